"""Rate of change: a reading climbing (or falling) faster than the sensor's limit allows.

A contamination or a leak shows in how fast a value moves well before it crosses a level. The
rate is the change across the last ``window_s`` of readings, per minute, measured end to end so
that the alert can say "from 315 to 631 in 60 s". Two readings a second apart are no basis for a
rate, so the window must be at least half covered before anything is decided. One finding per
excursion: the detector re-arms once the rate is back within the limit.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from app.model import Observation
from detectors.api import CancelToken, run_steps
from detectors.sensor.findings import FindingKind, Level, SensorFinding

MIN_COVERAGE = 0.5  # of the window, before a rate is trusted


@dataclass(frozen=True, slots=True, kw_only=True)
class RateParams:
    """``limit_per_min`` in the sensor's unit per minute, either direction."""

    limit_per_min: float
    window_s: float = 60.0


class RateWatch:
    """The state machine over one series; ``step`` takes readings in time order."""

    def __init__(self, params: RateParams) -> None:
        self.params = params
        self._window: deque[tuple[float, float]] = deque()
        self._exceeding = False

    def step(self, observation: Observation) -> tuple[SensorFinding, ...]:
        now = observation.time.timestamp()
        self._window.append((now, observation.value))
        while self._window[0][0] < now - self.params.window_s:
            self._window.popleft()
        first_time, first_value = self._window[0]
        span_s = now - first_time
        if span_s < self.params.window_s * MIN_COVERAGE:
            return ()
        rate = (observation.value - first_value) / span_s * 60.0
        if abs(rate) <= self.params.limit_per_min:
            self._exceeding = False
            return ()
        if self._exceeding:
            return ()
        self._exceeding = True
        return (self._finding(observation, rate, span_s, first_value),)

    def _finding(
        self, observation: Observation, rate: float, span_s: float, first_value: float
    ) -> SensorFinding:
        reason = (
            ("rate_per_min", rate),
            ("limit_per_min", self.params.limit_per_min),
            ("span_s", span_s),
            ("from_value", first_value),
        )
        return SensorFinding(
            sensor_id=observation.sensor_id,
            kind=FindingKind.RATE,
            level=Level.WARNING,
            time=observation.time,
            value=observation.value,
            started=observation.time,
            reason=reason,
            status=observation.status,
        )


def run(
    source: Iterable[Observation], params: RateParams, token: CancelToken
) -> Iterator[SensorFinding]:
    """Rate-of-change findings over one sensor's readings, sorted by time."""
    return run_steps(RateWatch(params), source, token)
