"""What a scenario has due between two scenario times: the replay engine's pure core.

Nothing here publishes, reads a clock or keeps state between calls, so playing, seeking and
the benchmark all share one function, and "seek to t gives the same records as playing to t"
follows from ``due(a, b) + due(b, c) == due(a, c)``. Sensor series and routes are expanded
arithmetically (step numbers), never into a list of every reading: a 24-hour series at one
reading a second costs nothing until it is due.
"""

from __future__ import annotations

import bisect
import math
from typing import NamedTuple

from app.scenario.model import ScenarioSpec

# Groups, in the order equal times are published: injects (file order), series, routes.
INJECT, SERIES, ROUTE = 0, 1, 2
_EPSILON = 1e-9  # absorbs float error in k * every_s, so a step at exactly t is due at t


class Due(NamedTuple):
    """One thing due: ``group`` says what ``index`` points into (the spec's injects, series or
    routes); ``step`` numbers a series reading or route position (0 for an inject)."""

    at_s: float
    group: int
    index: int
    step: int


class Schedule:
    """A scenario's timed content, indexed once for fast ``due`` queries."""

    def __init__(self, spec: ScenarioSpec) -> None:
        self.spec = spec
        order = sorted(range(len(spec.injects)), key=lambda i: (spec.injects[i].at_s, i))
        self._inject_order = order
        self._inject_times = [spec.injects[i].at_s for i in order]
        self._periodic = [
            (SERIES, index, s.start_s, s.every_s, self._end(s.end_s))
            for index, s in enumerate(spec.series)
        ] + [
            (ROUTE, index, r.start_s, r.every_s, self._end(r.end_s))
            for index, r in enumerate(spec.routes)
        ]

    def _end(self, end_s: float | None) -> float:
        return self.spec.duration_s if end_s is None else min(end_s, self.spec.duration_s)

    def due(self, after_s: float, until_s: float) -> list[Due]:
        """Everything with ``after_s < at_s <= until_s``, in publishing order (time, then
        injects before series before routes, then file order, then step)."""
        if until_s <= after_s:
            return []
        found: list[Due] = []
        low = bisect.bisect_right(self._inject_times, after_s)
        high = bisect.bisect_right(self._inject_times, until_s)
        for position in range(low, high):
            found.append(Due(self._inject_times[position], INJECT, self._inject_order[position], 0))
        for group, index, start_s, every_s, end_s in self._periodic:
            first = _step_at(after_s, start_s, every_s) + 1
            last = _step_at(min(until_s, end_s), start_s, every_s)
            found.extend(
                Due(start_s + step * every_s, group, index, step)
                for step in range(max(first, 0), last + 1)
            )
        found.sort()
        return found

    def count(self, until_s: float) -> int:
        """How many things are due up to ``until_s`` from the start, without listing them."""
        total = bisect.bisect_right(self._inject_times, until_s)
        for _group, _index, start_s, every_s, end_s in self._periodic:
            total += max(0, _step_at(min(until_s, end_s), start_s, every_s) + 1)
        return total


def _step_at(time_s: float, start_s: float, every_s: float) -> int:
    """The last step ``k`` with ``start_s + k * every_s <= time_s`` (-1 before the first)."""
    if time_s == -math.inf:
        return -1
    return max(-1, math.floor((time_s - start_s) / every_s + _EPSILON))
