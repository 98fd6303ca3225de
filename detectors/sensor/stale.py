"""Sensors that stopped reporting.

A silent sensor is worse than a noisy one: every other detector on it goes quiet too, and the
operator reads the silence as "all normal". A sensor is stale once ``missed_intervals`` of its
reporting intervals have passed without a reading. It is reported once per silence: again only
after readings resumed and stopped again, so a dead sensor does not raise an alert every second.
Silence is measured against the readings' own times, which is what the sensor vouches for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from app.model import Observation, Status
from detectors.sensor.findings import FindingKind, Level, SensorFinding


def is_stale(last: datetime, interval_s: float, missed_intervals: int, now: datetime) -> bool:
    return (now - last).total_seconds() >= interval_s * missed_intervals


@dataclass(slots=True)
class _Expected:
    interval_s: float
    missed_intervals: int
    last: Observation | None = None
    reported: bool = False


class StaleWatch:
    """Last reading per expected sensor; ``check(now)`` returns the newly stale ones.

    ``started`` is when watching began: a sensor that never reported counts its silence from
    then, so a console started against a dead sensor still says so.
    """

    def __init__(self, started: datetime) -> None:
        self.started = started
        self._sensors: dict[str, _Expected] = {}

    def expect(self, sensor_id: str, interval_s: float, missed_intervals: int) -> None:
        """Adds a sensor, or changes its interval, keeping what was already seen of it."""
        known = self._sensors.get(sensor_id)
        last, reported = (known.last, known.reported) if known else (None, False)
        self._sensors[sensor_id] = _Expected(interval_s, missed_intervals, last, reported)

    def forget(self, sensor_id: str) -> None:
        self._sensors.pop(sensor_id, None)

    def seen(self, observation: Observation) -> None:
        """A reading; one older than the newest known (a late delivery) changes nothing."""
        expected = self._sensors.get(observation.sensor_id)
        if expected is None or (expected.last and observation.time <= expected.last.time):
            return
        expected.last, expected.reported = observation, False

    def check(self, now: datetime) -> tuple[SensorFinding, ...]:
        found = []
        for sensor_id, expected in self._sensors.items():
            last_time = expected.last.time if expected.last else self.started
            if expected.reported or not is_stale(
                last_time, expected.interval_s, expected.missed_intervals, now
            ):
                continue
            expected.reported = True
            found.append(_finding(sensor_id, expected, last_time, now))
        return tuple(found)


def _finding(
    sensor_id: str, expected: _Expected, last_time: datetime, now: datetime
) -> SensorFinding:
    last = expected.last
    reason = (
        ("silence_s", (now - last_time).total_seconds()),
        ("interval_s", expected.interval_s),
        ("missed_intervals", float(expected.missed_intervals)),
    )
    return SensorFinding(
        sensor_id=sensor_id,
        kind=FindingKind.STALE,
        level=Level.WARNING,
        time=now,
        value=last.value if last else math.nan,
        started=last.time if last else None,
        reason=reason,
        status=last.status if last else Status.ACTUAL,
    )
