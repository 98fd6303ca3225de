"""A fixed-size ring of (time, value) samples whose newest part is always one contiguous slice.

A sensor reporting every second for a 24-hour window keeps 86,400 samples; the chart redraws
them ten times a second. Each sample is written twice (at ``i`` and ``i + capacity``), so the
last ``n`` samples are a plain numpy slice: no copy, no reordering, and memory never grows.
"""

from __future__ import annotations

import math

import numpy as np

MIN_CAPACITY = 1_000
MAX_CAPACITY = 200_000
HEADROOM = 1.2  # late or bursty sensors send more samples than their interval promises


def capacity_for(window_s: float, interval_s: float) -> int:
    """Samples needed to hold ``window_s`` of a sensor reporting every ``interval_s``."""
    wanted = math.ceil(window_s / max(interval_s, 0.1) * HEADROOM)
    return int(min(max(wanted, MIN_CAPACITY), MAX_CAPACITY))


class SampleRing:
    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("a ring holds at least one sample")
        self.capacity = capacity
        self._times = np.full(2 * capacity, np.nan)
        self._values = np.full(2 * capacity, np.nan)
        self._written = 0

    def __len__(self) -> int:
        return min(self._written, self.capacity)

    def append(self, time_s: float, value: float) -> None:
        """Samples are expected in time order; one older than the newest is dropped (a late
        duplicate must not draw a line back in time)."""
        if self._written and time_s < self.last_time:
            return
        slot = self._written % self.capacity
        self._times[slot] = self._times[slot + self.capacity] = time_s
        self._values[slot] = self._values[slot + self.capacity] = value
        self._written += 1

    def extend(self, times: np.ndarray, values: np.ndarray) -> None:
        for time_s, value in zip(times.tolist(), values.tolist(), strict=True):
            self.append(time_s, value)

    @property
    def last_time(self) -> float:
        return (
            float(self._times[(self._written - 1) % self.capacity]) if self._written else math.nan
        )

    def view(self) -> tuple[np.ndarray, np.ndarray]:
        """The held samples, oldest first, as read-only views (valid until the next append)."""
        count = len(self)
        if count == 0:
            return self._times[:0], self._values[:0]
        end = (self._written - 1) % self.capacity + self.capacity + 1
        times, values = self._times[end - count : end], self._values[end - count : end]
        times.flags.writeable = values.flags.writeable = False
        return times, values

    @property
    def nbytes(self) -> int:
        return self._times.nbytes + self._values.nbytes
