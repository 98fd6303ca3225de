"""Statistical change detection: a two-sided CUSUM against the series' own robust baseline.

Fixed levels only catch what someone thought to configure; a sensor whose readings shift well
inside its levels (a bleach reservoir starting to drain, a filter clogging) is caught by
comparing it with its own recent past. The baseline is the median and the MAD (scaled to a
normal sigma) of a training window, so a few outliers in training do not blind it. Each reading
becomes ``z = (x - median) / sigma``; the sums ``S+ = max(0, S+ + z - k)`` and
``S- = max(0, S- - z - k)`` collect evidence of a shift up or down, and a sum passing ``h``
raises a finding. After a finding the detector re-arms: the sums restart and the baseline is
learnt again from the readings that follow (the new normal). While the series is in control
(both sums at zero) the baseline is refreshed once per window from up to ``HISTORY_WINDOWS``
windows of readings, so a slow diurnal drift does not accumulate into false alarms, and the
longer history makes the estimate steadier than the first window's (a median off by a fifth
of a sigma multiplies a k = 0.5 CUSUM's false alarms many times over). Everything is a pure
function of the readings: the same series always gives the same findings.
"""

from __future__ import annotations

import statistics
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from app.model import Observation
from detectors.api import CancelToken, run_steps
from detectors.sensor.findings import FindingKind, Level, SensorFinding

MAD_TO_SIGMA = 1.4826  # MAD of a normal distribution times this is its sigma
# A flat training window (a reservoir at exactly 80 %) has MAD 0; any change would then be
# infinitely many sigmas. The floor keeps a 1 % move of such a series at about one sigma.
MIN_SIGMA_FRACTION = 0.01
MIN_SIGMA = 1e-6
HISTORY_WINDOWS = 4  # training windows of in-control readings a refresh looks back over


@dataclass(frozen=True, slots=True, kw_only=True)
class CusumParams:
    """``k`` (allowed drift) and ``h`` (decision threshold) in robust-sigma units;
    ``training_window`` in readings."""

    k: float = 0.5
    h: float = 10.0
    training_window: int = 60


@dataclass(frozen=True, slots=True)
class Baseline:
    median: float
    sigma: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Baseline:
        median = statistics.median(values)
        mad = statistics.median(abs(v - median) for v in values)
        floor = max(abs(median) * MIN_SIGMA_FRACTION, MIN_SIGMA)
        return cls(median, max(mad * MAD_TO_SIGMA, floor))


class ChangeWatch:
    """The state machine over one series; ``step`` takes readings in time order."""

    def __init__(self, params: CusumParams) -> None:
        self.params = params
        self.baseline: Baseline | None = None
        self._recent: deque[float] = deque(maxlen=params.training_window * HISTORY_WINDOWS)
        self._since_refresh = 0
        self._high = self._low = 0.0
        self._high_since: datetime | None = None
        self._low_since: datetime | None = None

    def step(self, observation: Observation) -> tuple[SensorFinding, ...]:
        if self.baseline is None:
            self._train(observation.value)
            return ()
        self._accumulate(observation, self.baseline)
        statistic = max(self._high, self._low)
        if statistic > self.params.h:
            finding = self._finding(observation, self.baseline, statistic)
            self._rearm()
            return (finding,)
        self._recent.append(observation.value)
        self._since_refresh += 1
        if self._high == self._low == 0.0 and self._since_refresh >= self.params.training_window:
            self._refresh()
        return ()

    def _train(self, value: float) -> None:
        self._recent.append(value)
        if len(self._recent) == self.params.training_window:
            self._refresh()

    def _refresh(self) -> None:
        self.baseline = Baseline.of(self._recent)
        self._since_refresh = 0

    def _accumulate(self, observation: Observation, baseline: Baseline) -> None:
        z = (observation.value - baseline.median) / baseline.sigma
        k = self.params.k
        self._high = max(0.0, self._high + z - k)
        self._low = max(0.0, self._low - z - k)
        # Where each run started: the estimate of when the change began.
        self._high_since = (self._high_since or observation.time) if self._high else None
        self._low_since = (self._low_since or observation.time) if self._low else None

    def _rearm(self) -> None:
        self.baseline = None
        self._recent.clear()
        self._high = self._low = 0.0
        self._high_since = self._low_since = None

    def _finding(
        self, observation: Observation, baseline: Baseline, statistic: float
    ) -> SensorFinding:
        rising = self._high >= self._low
        reason = (
            ("direction", 1.0 if rising else -1.0),
            ("statistic", statistic),
            ("baseline", baseline.median),
            ("sigma", baseline.sigma),
            ("k", self.params.k),
            ("h", self.params.h),
        )
        return SensorFinding(
            sensor_id=observation.sensor_id,
            kind=FindingKind.CHANGE,
            level=Level.WARNING,
            time=observation.time,
            value=observation.value,
            started=(self._high_since if rising else self._low_since) or observation.time,
            reason=reason,
            status=observation.status,
        )


def run(
    source: Iterable[Observation], params: CusumParams, token: CancelToken
) -> Iterator[SensorFinding]:
    """Change findings over one sensor's readings, sorted by time."""
    return run_steps(ChangeWatch(params), source, token)
