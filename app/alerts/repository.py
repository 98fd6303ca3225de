"""Alert queries and the one-transaction write of an operator's action."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.alerts.lifecycle import OPEN_STATES, Action, AlertChange
from app.model import Alert, AlertAction, utc_now
from app.storage import RecordStore, StorageError
from app.storage.changes import announce
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


class StaleAlert(Exception):  # noqa: N818 - named for what it is, as the contract says
    """The alert changed since the version an action was based on (another workstation, or
    another operator, acted first); nothing was written. ``current`` is the alert as stored
    now (None when it is gone), ``last_action`` the latest operator action on it."""

    def __init__(self, current: Alert | None, last_action: AlertAction | None) -> None:
        super().__init__(current.identifier if current is not None else "alert gone")
        self.current = current
        self.last_action = last_action


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

    def actions(self, identifiers: Iterable[str]) -> list[AlertAction]:
        """Action records by their identifiers (for workstations hearing of them)."""
        wanted = list(set(identifiers))
        found: list[AlertAction] = []
        with self.store.session() as session:
            for start in range(0, len(wanted), 500):
                rows = session.scalars(
                    select(AlertActionRow).where(
                        AlertActionRow.identifier.in_(wanted[start : start + 500])
                    )
                )
                found.extend(from_row(AlertAction, row) for row in rows)
        return sorted(found, key=lambda a: a.time)

    def last_action(self, alert_id: str, kinds: Iterable[str] | None = None) -> AlertAction | None:
        """The latest action on ``alert_id`` (of ``kinds`` when given)."""
        query = select(AlertActionRow).where(AlertActionRow.alert_identifier == alert_id)
        if kinds is not None:
            query = query.where(AlertActionRow.action.in_(list(kinds)))
        query = query.order_by(AlertActionRow.time.desc(), AlertActionRow.stored.desc()).limit(1)
        with self.store.session() as session:
            row = session.scalars(query).first()
            return None if row is None else from_row(AlertAction, row)

    def apply(self, change: AlertChange, outbox: tuple[str, dict[str, Any]] | None) -> Alert:
        """The alert's triage, the action record and the owed update to the tool, all in one
        transaction: an acknowledged alert always has its record and its push-back.

        Optimistic locking: the triage is written only if the stored alert is still at the
        version the change was based on (``change.alert.version``), and the version goes up by
        one. When another workstation wrote first, nothing is written and ``StaleAlert``
        carries the alert as it is now. Returns the alert as stored (its new version)."""
        alert, now = change.alert, utc_now()
        row = to_row(alert)
        seen = alert.version
        try:
            with self.store.session() as session, session.begin():
                result = session.execute(
                    update(AlertRow)
                    .where(AlertRow.identifier == alert.identifier, AlertRow.version == seen)
                    .values(
                        {**{column: row[column] for column in TRIAGE_COLUMNS}, "version": seen + 1}
                    )
                )
                written = result.rowcount == 1
                if written:
                    self._write_action(session, change, outbox, now)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise StorageError(f"could not store the alert action: {reason}") from exc
        if not written:
            raise self._stale(alert.identifier)
        return dataclasses.replace(alert, version=seen + 1)

    def _stale(self, alert_id: str) -> StaleAlert:
        current = self.by_ids([alert_id]).get(alert_id)
        kinds = {a.value for a in Action}
        return StaleAlert(current, self.last_action(alert_id, kinds))

    def _write_action(
        self,
        session: Session,
        change: AlertChange,
        outbox: tuple[str, dict[str, Any]] | None,
        now: datetime,
    ) -> None:
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
        # Committed with the triage: the other workstations hear of the action and load the
        # alert with it, as this one publishes both (one announcement, not two).
        announce(session, self.store.origin, "alert-action", [change.action.identifier])
