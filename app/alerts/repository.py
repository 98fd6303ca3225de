"""Alert queries and the one-transaction write of an operator's action."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from app.alerts.lifecycle import OPEN_STATES, AlertChange
from app.model import Alert, utc_now
from app.storage import RecordStore
from app.storage.codecs import from_row, to_row
from app.storage.orm import AlertActionRow, AlertRow, OutboxRow

_OPEN = [state.value for state in OPEN_STATES]
TRIAGE_COLUMNS = ("state", "assignee", "shelved_until", "state_reason", "priority")


class AlertRepository:
    def __init__(self, store: RecordStore) -> None:
        self.store = store

    def by_ids(self, identifiers: Iterable[str]) -> dict[str, Alert]:
        wanted = list(set(identifiers))
        found: dict[str, Alert] = {}
        with self.store.session() as session:
            for start in range(0, len(wanted), 500):  # stay under SQL parameter limits
                rows = session.scalars(
                    select(AlertRow).where(AlertRow.identifier.in_(wanted[start : start + 500]))
                )
                found.update((row.identifier, from_row(Alert, row)) for row in rows)
        return found

    def open_since(self, since: datetime, sources: Iterable[str] | None = None) -> list[Alert]:
        """Open alerts seen since ``since`` (by last repeat, else by sending time)."""
        query = select(AlertRow).where(
            AlertRow.state.in_(_OPEN),
            or_(AlertRow.last_seen >= since, AlertRow.sent >= since),
        )
        if sources is not None:
            query = query.where(AlertRow.source_tool.in_(list(set(sources))))
        with self.store.session() as session:
            return [from_row(Alert, row) for row in session.scalars(query)]

    def recent(self, since: datetime, limit: int = 50_000) -> list[Alert]:
        """What the queue shows on start: every open alert, and recent closed ones."""
        query = (
            select(AlertRow)
            .where(or_(AlertRow.state.in_(_OPEN), AlertRow.sent >= since))
            .order_by(AlertRow.sent.desc())
            .limit(limit)
        )
        with self.store.session() as session:
            return [from_row(Alert, row) for row in session.scalars(query)]

    def apply(self, change: AlertChange, outbox: tuple[str, dict[str, Any]] | None) -> None:
        """The alert's triage, the action record and the owed update to the tool, all in one
        transaction: an acknowledged alert always has its record and its push-back."""
        alert, now = change.alert, utc_now()
        row = to_row(alert)
        with self.store.session() as session, session.begin():
            session.execute(
                update(AlertRow)
                .where(AlertRow.identifier == alert.identifier)
                .values({column: row[column] for column in TRIAGE_COLUMNS})
            )
            session.add(AlertActionRow(**to_row(change.action, now)))
            if outbox is not None:
                connector_id, payload = outbox
                session.add(
                    OutboxRow(
                        action_id=change.action.identifier,
                        connector_id=connector_id,
                        payload=payload,
                        created=now,
                        attempts=0,
                    )
                )
