"""Sensor readings of the hour before ``t``, thinned per sensor, for review mode.

A busy site has tens of sensors reporting every few seconds: an hour is tens of thousands of
readings, more than a review state needs and slow to read. Each sensor's readings are
listed by time from the (sensor, time) index alone (no row is read), an even share of each
is chosen, always with the sensor's latest reading at or before ``t`` (the value the map
shows), and only the chosen rows are read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, func, select, type_coerce
from sqlalchemy.orm import Session

from app.model import Observation
from app.storage.codecs import from_row
from app.storage.orm import ObservationRow

OBSERVATION_WINDOW = timedelta(hours=1)
MAX_OBSERVATIONS = 2_400
_COLUMNS = select(*ObservationRow.__table__.columns)


def sensor_ids(session: Session) -> list[str]:
    """The sensors that have readings, found by hopping along the (sensor, time) index: one
    lookup per sensor instead of reading a million rows for DISTINCT."""
    column = ObservationRow.sensor_id
    seed = select(func.min(column).label("sensor")).cte("hops", recursive=True)
    step = select(select(func.min(column)).where(column > seed.c.sensor).scalar_subquery()).where(
        seed.c.sensor.is_not(None)
    )
    hops = seed.union_all(step)
    query = select(hops.c.sensor).where(hops.c.sensor.is_not(None))
    return [sensor for (sensor,) in session.execute(query)]


def observations_before(
    session: Session, t: datetime, window: timedelta = OBSERVATION_WINDOW
) -> list[Observation]:
    """Readings of (t - window, t], at most about ``MAX_OBSERVATIONS``, in time order."""
    sensors = sensor_ids(session)
    if not sensors:
        return []
    times = _times(session, sensors, t - window, t)
    if not times:
        return []
    share = max(2, MAX_OBSERVATIONS // len(times))
    convert = _time_reader(session)
    rows: list[Any] = []
    for sensor, raw in times.items():
        chosen = [convert(value) for value in spread(raw, share)]
        query = _COLUMNS.where(ObservationRow.sensor_id == sensor, ObservationRow.time.in_(chosen))
        rows += session.execute(query)
    readings = [from_row(Observation, row) for row in rows]
    readings.sort(key=lambda o: (o.time, o.sensor_id))
    return readings


def spread(values: list[Any], share: int) -> list[Any]:
    """``share`` of ``values`` evenly spread, the first and the last always among them."""
    if len(values) <= share:
        return values
    last = len(values) - 1
    return [values[round(n * last / (share - 1))] for n in range(share)]


def _times(
    session: Session, sensors: list[str], since: datetime, t: datetime
) -> dict[str, list[Any]]:
    """sensor → its reading times in (since, t], oldest first, as the database holds them
    (not converted: only the chosen few are), read from the (sensor, time) index alone."""
    raw_time = type_coerce(ObservationRow.time, String)
    query = (
        select(ObservationRow.sensor_id, raw_time)
        .where(
            ObservationRow.sensor_id.in_(sensors),
            ObservationRow.time > since,
            ObservationRow.time <= t,
        )
        .order_by(ObservationRow.sensor_id, ObservationRow.time)
    )
    found: dict[str, list[Any]] = defaultdict(list)
    for sensor, value in session.execute(query):
        found[sensor].append(value)
    return found


def _time_reader(session: Session) -> Callable[[Any], datetime]:
    """Turns a time as the database returned it into an aware datetime (the column's own
    conversion for this database)."""
    dialect = session.get_bind().dialect
    convert = ObservationRow.time.type.dialect_impl(dialect).result_processor(dialect, None)
    return convert if convert is not None else (lambda value: value)
