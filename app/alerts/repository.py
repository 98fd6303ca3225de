"""Alert queries and the one-transaction write of an operator's action."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update

from app.alerts.lifecycle import OPEN_STATES, AlertChange
from app.model import Alert, utc_now
from app.storage import RecordStore
from app.storage.codecs import from_row, to_row
from app.storage.orm import AlertActionRow, AlertRow, OutboxRow

_OPEN = [state.value for state in OPEN_STATES]


@dataclass(frozen=True, slots=True)
class BoundingBox:
    south: float
    west: float
    north: float
    east: float

    @classmethod
    def around(cls, alerts: Iterable[Alert], margin_m: float) -> BoundingBox | None:
        """The box holding every positioned alert, widened by ``margin_m``; ``None`` when
        no alert has a position."""
        points = [a.point for a in alerts if a.point is not None]
        if not points:
            return None
        lat_margin = margin_m / 111_320.0
        widest = max(abs(p.lat) for p in points)
        lon_margin = lat_margin / max(math.cos(math.radians(min(widest + 1, 89.9))), 0.01)
        return cls(
            min(p.lat for p in points) - lat_margin,
            min(p.lon for p in points) - lon_margin,
            max(p.lat for p in points) + lat_margin,
            max(p.lon for p in points) + lon_margin,
        )


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

    def open_since(
        self, since: datetime, sources: Iterable[str] | None = None, box: BoundingBox | None = None
    ) -> list[Alert]:
        """Open alerts seen since ``since`` (by last repeat, else by sending time); with
        ``box``, only those inside it or without a position."""
        query = select(AlertRow).where(
            AlertRow.state.in_(_OPEN),
            or_(AlertRow.last_seen >= since, AlertRow.sent >= since),
        )
        if sources is not None:
            query = query.where(AlertRow.source_tool.in_(list(set(sources))))
        if box is not None:
            query = query.where(
                or_(
                    AlertRow.lat.is_(None),
                    AlertRow.lat.between(box.south, box.north)
                    & AlertRow.lon.between(box.west, box.east),
                )
            )
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
