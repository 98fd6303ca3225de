"""What a sensor detector decides: one finding per decision, with the numbers behind it.

Findings are plain data, not alerts: the detector knows the series, not the site, the
terminology or the operator's language. The core turns them into CAP alerts and words; keeping
the numbers (threshold, duration, rate, statistic) rather than text lets the alert say exactly
why it was raised, in whatever language the console runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.model import Status


class FindingKind(StrEnum):
    THRESHOLD = "threshold"
    RATE = "rate"
    CHANGE = "change"
    STALE = "stale"
    CLEARED = "cleared"  # a threshold level left again (below its hysteresis band)


class Level(StrEnum):
    WARNING = "warning"
    ALARM = "alarm"


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorFinding:
    """One decision on one sensor's series.

    ``started`` is when the episode began (first reading beyond the threshold, start of the
    CUSUM run, last reading before a silence); together with the sensor and the kind it names
    the episode, so the same data always yields the same alert identifier. It is ``None`` only
    for a sensor that went stale without ever having reported.
    """

    sensor_id: str
    kind: FindingKind
    level: Level
    time: datetime
    value: float
    started: datetime | None
    reason: tuple[tuple[str, float], ...] = ()
    status: Status = Status.ACTUAL

    @property
    def facts(self) -> dict[str, float]:
        """The numbers behind the decision, by name (``threshold``, ``duration_s``, ...)."""
        return dict(self.reason)
