"""A grid index over alert positions, so that "which alerts are near this one" looks at a few
neighbouring cells instead of every open alert: dedup and fusion stay linear in the number of
alerts rather than quadratic when thousands arrive in a burst."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Hashable, Iterator

from app.alerts.geo_math import area_key, position
from app.model import Alert

METRES_PER_DEGREE = 111_320.0


class GridIndex:
    """Alerts bucketed by a group key (e.g. tool and event type) and a grid cell at least
    ``cell_m`` wide; alerts with no position are bucketed by their area description."""

    def __init__(self, cell_m: float) -> None:
        self.cell_deg = max(cell_m, 1.0) / METRES_PER_DEGREE
        self._cells: dict[tuple, list[Alert]] = defaultdict(list)

    def _cell(self, alert: Alert) -> tuple[int, int] | None:
        where = position(alert)
        if where is None:
            return None
        return math.floor(where.lat / self.cell_deg), math.floor(where.lon / self.cell_deg)

    def add(self, group: Hashable, alert: Alert) -> None:
        cell = self._cell(alert)
        if cell is not None:
            self._cells[(group, cell)].append(alert)
        described = area_key(alert)
        if cell is None or described:
            # Without a position, or with a named area: findable by that name as well.
            self._cells[(group, "area", described)].append(alert)

    def near(self, group: Hashable, alert: Alert) -> Iterator[Alert]:
        """Each alert of ``group`` in the cells around ``alert`` or in its named area, once
        (a superset of the near ones: callers still apply their exact tests)."""
        seen: set[str] = set()
        for candidate in self._candidates(group, alert):
            if candidate.identifier not in seen:
                seen.add(candidate.identifier)
                yield candidate

    def _candidates(self, group: Hashable, alert: Alert) -> Iterator[Alert]:
        described = area_key(alert)
        cell = self._cell(alert)
        if cell is None or described:
            yield from self._cells.get((group, "area", described), ())
        if cell is None:
            return
        where = position(alert)
        assert where is not None
        # A degree of longitude shrinks towards the poles: look further east and west there.
        span = math.ceil(1.0 / max(math.cos(math.radians(where.lat)), 0.01))
        row, column = cell
        for dr in (-1, 0, 1):
            for dc in range(-span, span + 1):
                yield from self._cells.get((group, (row + dr, column + dc)), ())
