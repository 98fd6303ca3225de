"""Benchmarks: ``make bench`` (``python -m bench``) prints one table. Not part of the tests."""
