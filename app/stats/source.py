"""Reads one period's alerts and their actions from the store, for the diagrams.

Meant for a worker thread: each ``load`` opens its own session (sessions are never shared
between threads) and reads both tables in one transaction, so the actions always belong to
the alerts read with them, even while ingest keeps writing.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.model import Alert, AlertAction
from app.stats.aggregates import StatsInput
from app.storage import RecordStore, StorageError
from app.storage.codecs import from_row
from app.storage.orm import AlertActionRow, AlertRow

log = logging.getLogger(__name__)


class AlertStatsSource:
    def __init__(self, store: RecordStore) -> None:
        self.store = store

    def load(self, since: datetime, until: datetime) -> StatsInput:
        """Alerts whose first sending is in ``[since, until)``, oldest first, and every action
        on them; raises ``StorageError`` with a reason an operator can read."""
        if since.tzinfo is None or until.tzinfo is None:
            raise ValueError("since and until must carry a time zone")
        in_period = (AlertRow.sent >= since) & (AlertRow.sent < until)
        # A sub-select rather than a list of identifiers: no SQL parameter limit to hit.
        ids = select(AlertRow.identifier).where(in_period)
        alerts_query = select(AlertRow).where(in_period).order_by(AlertRow.sent)
        actions_query = (
            select(AlertActionRow)
            .where(AlertActionRow.alert_identifier.in_(ids))
            .order_by(AlertActionRow.time)
        )
        try:
            with self.store.session() as session, session.begin():
                alerts = tuple(from_row(Alert, row) for row in session.scalars(alerts_query))
                actions = tuple(
                    from_row(AlertAction, row) for row in session.scalars(actions_query)
                )
        except SQLAlchemyError as exc:
            log.warning("Could not read alert statistics: %s", exc)
            text = str(getattr(exc, "orig", exc))
            reason = text.splitlines()[0] if text else type(exc).__name__
            raise StorageError(f"could not read alerts for the statistics: {reason}") from exc
        log.debug("Read %d alerts and %d actions for statistics", len(alerts), len(actions))
        return StatsInput(since, until, alerts, actions)
