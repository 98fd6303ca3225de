"""Synchronisation with remote detection tools over REST (one connector, one thread, per tool)."""
