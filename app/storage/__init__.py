"""Persistence: every record is stored before it is shown (see DESIGN.md, "One flow")."""

from app.storage.engine import StorageError, create_engine_for, upgrade_schema
from app.storage.store import RecordStore

__all__ = ["RecordStore", "StorageError", "create_engine_for", "upgrade_schema"]
