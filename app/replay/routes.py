"""A scenario's moving unit: where it is after walking its closed polyline for a while.

The legs are measured once (flat earth, accurate to centimetres over a site), so a position is
a bisect and an interpolation: a 24-hour patrol reporting every second costs microseconds per
position, not a walk over every leg each time.
"""

from __future__ import annotations

import bisect
import itertools
import math

from app.model import GeoPoint

EARTH_RADIUS_M = 6_371_008.8


def _offset_m(a: tuple[float, float], b: tuple[float, float]) -> tuple[float, float]:
    """Metres east and north from ``a`` to ``b`` (``[lat, lon]`` pairs)."""
    mean_lat = math.radians((a[0] + b[0]) / 2)
    east = math.radians(b[1] - a[1]) * EARTH_RADIUS_M * math.cos(mean_lat)
    return east, math.radians(b[0] - a[0]) * EARTH_RADIUS_M


class RouteWalker:
    """Positions along ``points`` (closed: the last leads back to the first) at ``speed_mps``."""

    def __init__(self, points: tuple[tuple[float, float], ...], speed_mps: float) -> None:
        self.speed_mps = speed_mps
        self._origin = points[0]
        closed = (*points, points[0])
        self._legs: list[tuple[tuple[float, float], tuple[float, float], float, float]] = []
        self._starts: list[float] = []
        walked = 0.0
        for a, b in itertools.pairwise(closed):
            east, north = _offset_m(a, b)
            length = math.hypot(east, north)
            if length > 0:  # a repeated point is an empty leg
                course = round(math.degrees(math.atan2(east, north)) % 360.0, 1) % 360.0
                self._legs.append((a, b, length, course))
                self._starts.append(walked)
                walked += length
        self.length_m = walked

    def position(self, elapsed_s: float) -> tuple[GeoPoint, float | None]:
        """Where the unit is after ``elapsed_s`` seconds, and its course (0 = north)."""
        if not self._legs:  # every point is the same place: standing still
            return GeoPoint(*self._origin), None
        distance = (self.speed_mps * elapsed_s) % self.length_m
        index = max(0, bisect.bisect_right(self._starts, distance) - 1)
        (lat_a, lon_a), (lat_b, lon_b), length, course = self._legs[index]
        share = (distance - self._starts[index]) / length
        point = GeoPoint(
            round(lat_a + share * (lat_b - lat_a), 7), round(lon_a + share * (lon_b - lon_a), 7)
        )
        return point, course
