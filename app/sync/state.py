"""What a connector must remember across restarts: its cursor in the tool's feed and the
updates it still owes the tool (the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from app.model import utc_now
from app.storage import RecordStore
from app.storage.orm import OutboxRow, SyncCursorRow


@dataclass(frozen=True, slots=True)
class FeedPosition:
    cursor: str | None = None
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class PendingUpdate:
    action_id: str
    payload: dict[str, Any]
    attempts: int


class SyncState:
    def __init__(self, store: RecordStore, connector_id: str) -> None:
        self.store = store
        self.connector_id = connector_id

    def position(self) -> FeedPosition:
        with self.store.session() as session:
            row = session.get(SyncCursorRow, self.connector_id)
            return FeedPosition() if row is None else FeedPosition(row.cursor, row.etag)

    def advance(self, position: FeedPosition) -> None:
        with self.store.session() as session, session.begin():
            session.merge(
                SyncCursorRow(
                    connector_id=self.connector_id,
                    cursor=position.cursor,
                    etag=position.etag,
                    updated=utc_now(),
                )
            )

    def enqueue(self, action_id: str, payload: dict[str, Any]) -> None:
        """Writes the update before anything is sent; a second enqueue of one id is a no-op."""
        with self.store.session() as session, session.begin():
            if session.get(OutboxRow, action_id) is None:
                session.add(
                    OutboxRow(
                        action_id=action_id,
                        connector_id=self.connector_id,
                        payload=payload,
                        created=utc_now(),
                        attempts=0,
                    )
                )

    def pending(self, limit: int = 100) -> list[PendingUpdate]:
        with self.store.session() as session:
            rows = session.scalars(
                select(OutboxRow)
                .where(OutboxRow.connector_id == self.connector_id, OutboxRow.delivered.is_(None))
                .order_by(OutboxRow.created)
                .limit(limit)
            )
            return [PendingUpdate(r.action_id, r.payload, r.attempts) for r in rows]

    def delivered(self, action_id: str) -> None:
        self._update(action_id, delivered=utc_now(), last_error=None)

    def failed(self, action_id: str, error: str) -> None:
        self._update(action_id, attempts=OutboxRow.attempts + 1, last_error=error)

    def _update(self, action_id: str, **values: Any) -> None:
        with self.store.session() as session, session.begin():
            session.execute(
                update(OutboxRow).where(OutboxRow.action_id == action_id).values(**values)
            )
