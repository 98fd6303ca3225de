"""Training scenarios: the documented, schema-validated format trainers write, loaded into
immutable specs that the replay engine plays and the scorer judges."""
