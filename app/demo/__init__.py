"""The embedded demo: a bundled exercise scenario played as a live source."""
