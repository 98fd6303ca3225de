"""Distances and places for alert matching.

Dedup and fusion both ask "are these two alerts at the same place?". Alerts carry a point, an
area with a circle or an outline, or only a described place; this module reduces each to one
position (or none) and measures great-circle distances between positions.
"""

from __future__ import annotations

import math

from app.model import Alert, GeoPoint

# The IUGG mean Earth radius: the haversine error against the ellipsoid stays below 0.5 %,
# far inside the tolerance of "within a few hundred metres" that matching needs.
EARTH_RADIUS_M = 6_371_008.8
# A millimetre: limits written in the rules are met exactly despite floating-point rounding.
TOLERANCE_M = 0.001


def haversine_m(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance in metres; the haversine form stays accurate at short range, where
    the spherical law of cosines loses precision to rounding."""
    lat_a, lat_b = math.radians(a.lat), math.radians(b.lat)
    d_lat = lat_b - lat_a
    d_lon = math.radians(b.lon - a.lon)
    h = math.sin(d_lat / 2) ** 2 + math.cos(lat_a) * math.cos(lat_b) * math.sin(d_lon / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def within_m(a: GeoPoint, b: GeoPoint, limit_m: float) -> bool:
    """Whether ``a`` and ``b`` are at most ``limit_m`` apart (inclusive)."""
    return haversine_m(a, b) <= limit_m + TOLERANCE_M


def position(alert: Alert) -> GeoPoint | None:
    """Where the alert is, as one point: its point, else its area's circle centre, else the
    mean of its outline's corners (good enough for the small areas tools send), else none."""
    if alert.point is not None:
        return alert.point
    area = alert.area
    if area is None:
        return None
    if area.circle is not None:
        return area.circle.centre
    if area.polygon:
        corners = area.polygon[:-1]  # the ring repeats its first corner at the end
        lat = sum(p.lat for p in corners) / len(corners)
        lon = sum(p.lon for p in corners) / len(corners)
        return GeoPoint(lat, lon)
    return None


def area_key(alert: Alert) -> str | None:
    """The alert's described place, normalised so that "Stage " and "stage" match; ``None``
    when the alert describes no place."""
    if alert.area is None:
        return None
    key = " ".join(alert.area.description.split()).casefold()
    return key or None
