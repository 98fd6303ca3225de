"""Exercise scoring: how well a trainee answered a scenario's injects, judged from the record
(stored alerts and the actions taken on them), never from what a panel happened to show."""
