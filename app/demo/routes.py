"""Patrol routes of the demo scenario: units walking a closed polyline at a steady speed.

A route turns scenario time into positions and courses; ``app.demo.scenario`` turns those into
Track records, so the map shows units that move the way people and drones do.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from typing import Any

from app.model import GeoPoint

EARTH_RADIUS_M = 6_371_008.8
# Same rule as the tool API's TrackIn, checked on load so a typo is not silently dropped later.
_COT_TYPE = re.compile(r"^[a-z](-[A-Za-z0-9]+)*$")
MAX_SPEED_MPS = 2000.0


class RouteError(ValueError):
    """A route in the scenario file is unusable; the message names it."""


@dataclass(frozen=True, slots=True)
class Route:
    """A unit going round a closed polyline (the last point leads back to the first) at a steady
    speed, reporting its position every ``every_s`` seconds of scenario time.

    It is seen from ``start_s`` to ``end_s`` of each scenario loop. Without ``end_s`` it walks on
    across the scenario's loops, so a patrol never jumps back to its first point when the
    scenario restarts; with one, it leaves at ``end_s`` and starts again from its first point in
    the next loop (an intruder that appears, crosses and goes).
    """

    callsign: str
    cot_type: str
    every_s: float
    speed_mps: float
    points: tuple[GeoPoint, ...]
    start_s: float = 0.0
    end_s: float | None = None

    def __post_init__(self) -> None:
        if not self.callsign.strip():
            raise ValueError("a route needs a callsign (its track identifier is made from it)")
        if not _COT_TYPE.match(self.cot_type):
            raise ValueError(f"cot_type {self.cot_type!r} is not a Cursor-on-Target type")
        if len(self.points) < 2:
            raise ValueError(f"a route needs at least 2 points, it has {len(self.points)}")
        if not (math.isfinite(self.every_s) and self.every_s > 0):
            raise ValueError(f"every_s must be above 0, not {self.every_s}")
        if not (math.isfinite(self.speed_mps) and 0 < self.speed_mps <= MAX_SPEED_MPS):
            raise ValueError(f"speed_mps must be above 0 and at most {MAX_SPEED_MPS:g}")
        if not self._legs():
            raise ValueError("all its points are the same place")

    @property
    def identifier(self) -> str:
        """Stable for the route's whole life, so each position updates the same track."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.callsign.lower()).strip("-")
        return f"demo-track-{slug or 'unit'}"

    @property
    def length_m(self) -> float:
        return sum(length for _, _, length in self._legs())

    def position(self, elapsed_s: float) -> tuple[GeoPoint, float]:
        """Where the unit is after ``elapsed_s`` seconds on the route, and its course in degrees
        (0 = north, clockwise): the direction of the leg it is walking."""
        (start, end, length), left = self._leg_at((self.speed_mps * elapsed_s) % self.length_m)
        east, north = _offset_m(start, end)
        share = left / length
        point = GeoPoint(
            round(start.lat + share * (end.lat - start.lat), 7),
            round(start.lon + share * (end.lon - start.lon), 7),
        )
        course = round(math.degrees(math.atan2(east, north)) % 360.0, 1) % 360.0
        return point, course

    def _leg_at(self, distance_m: float) -> tuple[tuple[GeoPoint, GeoPoint, float], float]:
        """The leg ``distance_m`` into a lap falls on, and how far along that leg it is."""
        legs = self._legs()
        for leg in legs:
            if distance_m < leg[2]:
                return leg, distance_m
            distance_m -= leg[2]
        return legs[0], 0.0  # rounding at the very end of a lap: back at the first point

    def _legs(self) -> list[tuple[GeoPoint, GeoPoint, float]]:
        """Each leg with its length; a repeated point makes an empty leg, which is skipped."""
        closed = (*self.points, self.points[0])
        legs = ((a, b, math.hypot(*_offset_m(a, b))) for a, b in itertools.pairwise(closed))
        return [leg for leg in legs if leg[2] > 0]


def _offset_m(a: GeoPoint, b: GeoPoint) -> tuple[float, float]:
    """Metres east and north from ``a`` to ``b``. A flat earth is accurate to centimetres over
    a site's legs, and keeps distance linear along a leg, so interpolation and speed agree."""
    mean_lat = math.radians((a.lat + b.lat) / 2)
    east = math.radians(b.lon - a.lon) * EARTH_RADIUS_M * math.cos(mean_lat)
    return east, math.radians(b.lat - a.lat) * EARTH_RADIUS_M


def parse_route(raw: dict[str, Any], index: int, duration_s: float) -> Route:
    """One ``routes`` entry; a bad one raises ``RouteError`` naming it by callsign (or
    position) and saying what is wrong."""
    name = raw.get("callsign") if isinstance(raw, dict) else None
    label = repr(name) if name else f"#{index + 1}"
    try:
        end = raw.get("end_s")
        route = Route(
            callsign=str(raw["callsign"]),
            cot_type=str(raw.get("cot_type", "a-u-G")),
            every_s=float(raw["every_s"]),
            speed_mps=float(raw["speed_mps"]),
            points=tuple(_waypoint(pair) for pair in raw["points"]),
            start_s=float(raw.get("start_s", 0.0)),
            end_s=None if end is None else float(end),
        )
        until_s = duration_s if route.end_s is None else route.end_s
        if not 0 <= route.start_s < until_s <= duration_s:
            raise ValueError(f"start_s and end_s must lie in 0..{duration_s:g}, start before end")
    except KeyError as exc:
        raise RouteError(f"route {label}: {exc.args[0]} is missing") from exc
    except (AttributeError, TypeError, ValueError) as exc:
        raise RouteError(f"route {label}: {exc}") from exc
    return route


def _waypoint(pair: Any) -> GeoPoint:
    if not isinstance(pair, list | tuple) or len(pair) != 2:
        raise ValueError(f"a point is [lat, lon], not {pair!r}")
    return GeoPoint(float(pair[0]), float(pair[1]))
