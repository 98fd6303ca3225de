"""The record store: one transaction per batch, idempotent by identifier.

A tool that delivers the same record twice (a retry after a lost response) updates the stored
row instead of doubling it, so counts on the operator's screen stay true.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from app.model import Alert, AlertAction, Incident, Track, Zone, utc_now
from app.storage import orm
from app.storage.changes import announce
from app.storage.codecs import TABLES, from_row, to_row
from app.storage.engine import StorageError

log = logging.getLogger(__name__)

R = TypeVar("R")

_UPSERT_DIALECTS = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}

# The change kinds the other workstations listen for (app/storage/listener.py); any other record
# type is announced by its table name.
_KINDS: dict[type, str] = {
    Alert: "alert",
    AlertAction: "alert-action",
    Zone: "zone",
    Incident: "incident",
}


def change_kind(record_type: type) -> str:
    """The kind a stored change of ``record_type`` is announced as."""
    return _KINDS.get(record_type) or TABLES[record_type].__tablename__


def _explain(exc: SQLAlchemyError) -> str:
    text = str(getattr(exc, "orig", exc))
    if "disk is full" in text or "No space left" in text:
        return "the disk holding the database is full; free space, nothing new can be stored"
    if "readonly" in text or "read-only" in text:
        return "the database is read-only; check the file's permissions"
    return text.splitlines()[0] if text else type(exc).__name__


class RecordStore:
    def __init__(self, engine: Engine, origin: str | None = None) -> None:
        self.engine = engine
        # Names this store in change announcements (app/storage/changes.py), so a workstation
        # sharing a PostgreSQL database ignores its own.
        self.origin = origin or uuid.uuid4().hex
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    def session(self) -> Session:
        """A new session for one unit of work; never share it between threads."""
        return self._sessions()

    def save(self, records: Iterable[Any]) -> int:
        """Stores a batch whole or not at all; raises ``StorageError`` with a readable reason."""
        by_type: dict[type, list[Any]] = defaultdict(list)
        for record in records:
            if type(record) not in TABLES:
                raise StorageError(f"{type(record).__name__} records cannot be stored")
            by_type[type(record)].append(record)
        if not by_type:
            return 0
        stored = utc_now()
        try:
            with self.session() as session, session.begin():
                for record_type, batch in by_type.items():
                    self._upsert(session, record_type, [to_row(r, stored) for r in batch])
                    announce(
                        session,
                        self.origin,
                        change_kind(record_type),
                        dict.fromkeys(r.identifier for r in batch),
                    )
                if Track in by_type:
                    self._keep_positions(session, by_type[Track])
        except SQLAlchemyError as exc:
            raise StorageError(
                f"could not store {sum(map(len, by_type.values()))} record(s): {_explain(exc)}"
            ) from exc
        return sum(len(batch) for batch in by_type.values())

    def _upsert(self, session: Session, record_type: type, rows: list[dict[str, Any]]) -> None:
        table = TABLES[record_type].__table__
        make_insert = _UPSERT_DIALECTS.get(self.engine.dialect.name)
        if make_insert is None:  # any other backend: correct, just slower
            for row in rows:
                session.merge(TABLES[record_type](**row))
            return
        # Collapse repeats inside one batch: the last delivery of an identifier wins.
        unique = list({row["identifier"]: row for row in rows}.values())
        statement = make_insert(table)
        kept = getattr(TABLES[record_type], "OPERATOR_OWNED", frozenset())
        updates = {
            c.name: statement.excluded[c.name]
            for c in table.columns
            if not c.primary_key and c.name not in kept
        }
        if "priority" in updates and record_type is Alert:
            # More urgent wins, in SQL: an escalation is never undone by a re-delivery racing it.
            least = func.least if self.engine.dialect.name == "postgresql" else func.min
            updates["priority"] = least(table.c.priority, statement.excluded.priority)
        statement = statement.on_conflict_do_update(index_elements=["identifier"], set_=updates)
        session.execute(statement, unique)

    def _keep_positions(self, session: Session, tracks: list[Track]) -> None:
        """Appends each position to the track's history; a position delivered twice (same
        track, same time) is kept once."""
        rows = {
            (t.identifier, t.time): {
                "track_identifier": t.identifier,
                "time": t.time,
                "lat": t.point.lat,
                "lon": t.point.lon,
                "course_deg": t.course_deg,
                "speed_mps": t.speed_mps,
            }
            for t in tracks
        }
        table = orm.TrackPositionRow.__table__
        make_insert = _UPSERT_DIALECTS.get(self.engine.dialect.name)
        if make_insert is None:
            for row in rows.values():
                session.merge(orm.TrackPositionRow(**row))
            return
        statement = make_insert(table).on_conflict_do_nothing()
        session.execute(statement, list(rows.values()))

    def get(self, record_type: type[R], identifier: str) -> R | None:
        with self.session() as session:
            row = session.get(TABLES[record_type], identifier)
            return None if row is None else from_row(record_type, row)

    def all(self, record_type: type[R]) -> list[R]:
        """Every record of a small kind (cameras, sensors, zones); never for event kinds."""
        try:
            with self.session() as session:
                rows = session.scalars(select(TABLES[record_type]))
                return [from_row(record_type, row) for row in rows]
        except SQLAlchemyError as exc:
            raise StorageError(f"could not read {record_type.__name__}: {_explain(exc)}") from exc

    def delete(self, record_type: type, identifier: str) -> bool:
        """Removes one record; False when it was not there."""
        table = TABLES[record_type]
        try:
            with self.session() as session, session.begin():
                row = session.get(table, identifier)
                if row is None:
                    return False
                session.delete(row)
                announce(session, self.origin, change_kind(record_type), [identifier])
                return True
        except SQLAlchemyError as exc:
            raise StorageError(f"could not delete {identifier!r}: {_explain(exc)}") from exc

    def count(self, record_type: type) -> int:
        with self.session() as session:
            return session.scalar(select(func.count()).select_from(TABLES[record_type])) or 0

    def latest(self, record_type: type[R], limit: int = 100) -> Sequence[R]:
        """The newest records by their own time (alerts by ``sent``), newest first."""
        table = TABLES[record_type]
        time_column = next(
            getattr(table, name)
            for name in ("sent", "time", "opened", "identifier")
            if hasattr(table, name)
        )
        with self.session() as session:
            rows = session.scalars(select(table).order_by(time_column.desc()).limit(limit))
            return [from_row(record_type, row) for row in rows]
