"""Reading back the recent past of the sensors, for the panel's starting picture and for
re-judging an episode that began before a restart."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from operator import attrgetter

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.model import Observation
from app.storage import RecordStore, StorageError
from app.storage.codecs import from_row
from app.storage.orm import ObservationRow

SNAPSHOT_LIMIT = 200_000


def recent_readings(
    store: RecordStore, sensor_ids: Sequence[str], since: datetime, limit: int = SNAPSHOT_LIMIT
) -> list[Observation]:
    """Readings of ``sensor_ids`` from ``since`` on, oldest first, at most ``limit`` (the
    newest kept). One query per sensor, because the table is indexed by sensor and time, not
    by time alone: a scan of a week of readings would hold the start for seconds."""
    table = ObservationRow
    readings: list[Observation] = []
    try:
        with store.session() as session:
            for sensor_id in sensor_ids:
                statement = (
                    select(table)
                    .where(table.sensor_id == sensor_id, table.time >= since)
                    .order_by(table.time.desc())
                    .limit(limit)
                )
                readings += [from_row(Observation, row) for row in session.scalars(statement)]
    except SQLAlchemyError as exc:
        raise StorageError(f"could not read the recent readings: {exc}") from exc
    readings.sort(key=attrgetter("time"))
    return readings[-limit:]
