"""Warning and alarm levels, with hysteresis and a minimum duration.

A reading hovering at the threshold would otherwise raise and clear an alert on every sample
(EEMUA 191's "chattering alarm"), and one spike would raise an alarm nobody can act on. So a
level is entered only after the value has stayed at or above it for ``min_duration_s``, is
raised once per entry, and is left only when the value falls below the level minus its
hysteresis band, which yields a "cleared" finding. Each level (warning, alarm) is its own latch.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from app.model import Observation
from detectors.api import CancelToken, run_steps
from detectors.sensor.findings import FindingKind, Level, SensorFinding


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdParams:
    """Levels in the sensor's unit (``None``: no such level); ``hysteresis`` is a fraction of
    each level."""

    warning: float | None
    alarm: float | None
    hysteresis: float = 0.05
    min_duration_s: float = 0.0


class _Latch:
    """One level: pending while the value stays beyond, active once raised."""

    def __init__(self, level: Level, threshold: float, params: ThresholdParams) -> None:
        self.level = level
        self.threshold = threshold
        self.band = abs(threshold) * params.hysteresis
        self.min_duration_s = params.min_duration_s
        self.beyond_since: datetime | None = None
        self.active = False

    def step(self, observation: Observation) -> SensorFinding | None:
        value, time = observation.value, observation.time
        if self.active:
            if value >= self.threshold - self.band:
                return None
            cleared = self._finding(FindingKind.CLEARED, observation)
            self.active, self.beyond_since = False, None
            return cleared
        if value < self.threshold:
            self.beyond_since = None
            return None
        if self.beyond_since is None:
            self.beyond_since = time
        if (time - self.beyond_since).total_seconds() < self.min_duration_s:
            return None
        self.active = True
        return self._finding(FindingKind.THRESHOLD, observation)

    def _finding(self, kind: FindingKind, observation: Observation) -> SensorFinding:
        started = self.beyond_since or observation.time
        reason = (
            ("threshold", self.threshold),
            ("hysteresis", self.band),
            ("clears_below", self.threshold - self.band),
            ("duration_s", (observation.time - started).total_seconds()),
            ("min_duration_s", self.min_duration_s),
        )
        return SensorFinding(
            sensor_id=observation.sensor_id,
            kind=kind,
            level=self.level,
            time=observation.time,
            value=observation.value,
            started=started,
            reason=reason,
            status=observation.status,
        )


class ThresholdWatch:
    """The state machine over one series; ``step`` takes readings in time order."""

    def __init__(self, params: ThresholdParams) -> None:
        levels = ((Level.WARNING, params.warning), (Level.ALARM, params.alarm))
        self._latches = [_Latch(lv, value, params) for lv, value in levels if value is not None]

    def step(self, observation: Observation) -> tuple[SensorFinding, ...]:
        """Findings in a readable order: warning before alarm when rising, alarm cleared
        before warning when falling."""
        found = [f for latch in self._latches if (f := latch.step(observation)) is not None]
        if any(f.kind is FindingKind.CLEARED for f in found):
            found.reverse()
        return tuple(found)


def run(
    source: Iterable[Observation], params: ThresholdParams, token: CancelToken
) -> Iterator[SensorFinding]:
    """Threshold findings over one sensor's readings, sorted by time."""
    return run_steps(ThresholdWatch(params), source, token)
