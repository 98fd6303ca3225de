"""From picture to map and back: a camera's view of flat ground as a homography.

A fixed camera sees the ground plane through a perspective projection, which a 3x3 homography
describes exactly; four or more spots known both in the picture and on the map (ground control
points, picked by whoever installs the camera) determine it. It is fitted in a local metric
plane (metres east and north of the first point) rather than in degrees, because a degree of
longitude is shorter than one of latitude away from the equator, and a least-squares fit should
weigh every metre the same. Within a camera's range (well under a few kilometres) the flat
local plane is centimetre-exact.

Points above the horizon are not on the ground at all: the homography sends them "behind the
camera" (a negative projective scale), and they map to ``None`` instead of a place far away.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

import numpy as np

from app.model import GeoPoint
from detectors.video.cv import cv2

EARTH_RADIUS_M = 6_371_008.8
# Farther than this from the first control point is the horizon's noise, not a place.
MAX_RANGE_M = 20_000.0
_COLLINEAR = 1e-3  # a triangle flatter than this (relative to the spread) is a line

ImagePoint = tuple[float, float]
PointPair = tuple[ImagePoint, tuple[float, float]]


class GroundMapping:
    """Normalised image coordinates (0..1, y down) <-> WGS 84 on the camera's ground plane.

    ``error_m`` is the root-mean-square distance between where the control points are and
    where the fitted mapping puts them (0 for exactly four points): metres of disagreement
    between the points, worth showing to whoever picked them.
    """

    def __init__(
        self, origin: GeoPoint, to_ground: np.ndarray, error_m: float, near_scale: float
    ) -> None:
        """Use ``from_points``. ``near_scale`` is the smallest projective scale of the control
        points on the ground side: zone outlines are cut a thousand times beyond it."""
        self.origin = origin
        self.error_m = error_m
        self._to_ground = to_ground
        self._to_image = np.linalg.inv(to_ground)
        self._cos_lat = math.cos(math.radians(origin.lat))
        self._front = self._to_image[2] - np.array([0.0, 0.0, 1e-3 * near_scale])

    @classmethod
    def from_points(cls, pairs: Sequence[PointPair]) -> GroundMapping:
        """The mapping through ``((x, y), (lat, lon))`` pairs; raises ``ValueError`` when
        there are fewer than four, or when they cannot fix a perspective (three of every four
        on one line, in the picture or on the ground)."""
        if len(pairs) < 4:
            raise ValueError(f"a ground mapping needs at least 4 point pairs, got {len(pairs)}")
        image = np.array([_finite_pair(p[0]) for p in pairs], dtype=np.float64)
        geo = [GeoPoint(float(lat), float(lon)) for _, (lat, lon) in pairs]
        origin = geo[0]
        ground = np.array([_local(origin, point) for point in geo], dtype=np.float64)
        for name, points in (("picture", image), ("ground", ground)):
            if not _in_general_position(points):
                raise ValueError(
                    f"the ground points are degenerate: no four of them in the {name} "
                    "are free of three on one line"
                )
        homography = _fitted(image, ground)
        error = float(np.sqrt(np.mean(np.sum((_apply(homography, image) - ground) ** 2, 1))))
        scales = np.linalg.inv(homography)[2] @ np.column_stack([ground, np.ones(len(ground))]).T
        return cls(origin, homography, error, float(scales.min()))

    def to_geo(self, x: float, y: float) -> GeoPoint | None:
        """Where on the ground a picture point is; ``None`` above the horizon (or so near it
        that the answer would be kilometres off)."""
        east, north, scale = self._to_ground @ (x, y, 1.0)
        if scale <= 0:
            return None
        east, north = east / scale, north / scale
        if math.hypot(east, north) > MAX_RANGE_M:
            return None
        return self._geo(east, north)

    def to_image(self, lat: float, lon: float) -> ImagePoint | None:
        """Where a place on the ground is in the picture (possibly outside 0..1: off-screen);
        ``None`` when it is behind the camera."""
        x, y, scale = self._to_image @ (*_local(self.origin, GeoPoint(lat, lon)), 1.0)
        if scale <= 0:
            return None
        return (float(x / scale), float(y / scale))

    def zone_in_image(self, polygon: Sequence[GeoPoint]) -> tuple[ImagePoint, ...]:
        """A ground polygon's outline in the picture, cut to what is in front of the camera and
        inside the frame; empty when none of it is visible. A closed ring (first point repeated
        at the end, as zones are stored) is accepted."""
        points = list(polygon)
        if len(points) > 1 and points[0] == points[-1]:
            points.pop()
        ground = [_local(self.origin, point) for point in points]
        front = _clip(ground, self._front)
        picture = [tuple(_apply(self._to_image, np.array([p]))[0]) for p in front]
        for edge in _FRAME_EDGES:
            picture = _clip(picture, edge)
        if len(picture) < 3 or abs(_area(picture)) < 1e-9:
            return ()
        return tuple((float(x), float(y)) for x, y in picture)

    def _geo(self, east: float, north: float) -> GeoPoint | None:
        lat = self.origin.lat + math.degrees(north / EARTH_RADIUS_M)
        lon = self.origin.lon + math.degrees(east / (EARTH_RADIUS_M * self._cos_lat))
        try:
            return GeoPoint(lat, lon)
        except ValueError:
            return None


# The picture's inside, as half-planes a*x + b*y + c >= 0 in normalised coordinates.
_FRAME_EDGES = tuple(
    np.array(edge, dtype=np.float64) for edge in ((1, 0, 0), (-1, 0, 1), (0, 1, 0), (0, -1, 1))
)


def _finite_pair(point: Sequence[float]) -> tuple[float, float]:
    x, y = (float(v) for v in point)
    if not (math.isfinite(x) and math.isfinite(y)):
        raise ValueError(f"a ground point's picture position {point!r} is not finite")
    return (x, y)


def _local(origin: GeoPoint, point: GeoPoint) -> tuple[float, float]:
    """Metres east and north of ``origin`` (equirectangular around it)."""
    north = math.radians(point.lat - origin.lat) * EARTH_RADIUS_M
    east = (
        math.radians(point.lon - origin.lon) * EARTH_RADIUS_M * math.cos(math.radians(origin.lat))
    )
    return (east, north)


def _in_general_position(points: np.ndarray) -> bool:
    """True when some four of ``points`` have no three on one line: a homography needs that."""
    spread = float(np.ptp(points, axis=0).max())
    if spread == 0.0:
        return False
    unit = (points - points.mean(axis=0)) / spread
    for quad in itertools.combinations(unit, 4):
        if all(abs(cross(a, b, c)) > _COLLINEAR for a, b, c in itertools.combinations(quad, 3)):
            return True
    return False


def _fitted(image: np.ndarray, ground: np.ndarray) -> np.ndarray:
    """The least-squares homography, scaled so the control points lie in front (scale > 0)."""
    homography, _ = cv2.findHomography(image, ground, 0)
    if homography is None or not np.all(np.isfinite(homography)):
        raise ValueError("the ground points do not determine a perspective mapping")
    scales = (homography @ np.column_stack([image, np.ones(len(image))]).T)[2]
    if not (np.all(scales > 0) or np.all(scales < 0)):
        raise ValueError("the ground points contradict each other (some map behind the camera)")
    if abs(np.linalg.det(homography)) < 1e-12 * float(np.abs(homography).max()) ** 3:
        raise ValueError("the ground points do not determine a perspective mapping")
    return homography if scales[0] > 0 else -homography


def _apply(homography: np.ndarray, points: np.ndarray) -> np.ndarray:
    mapped = homography @ np.column_stack([points, np.ones(len(points))]).T
    return (mapped[:2] / mapped[2]).T


def _clip(polygon: Sequence[Sequence[float]], edge: np.ndarray) -> list[tuple[float, float]]:
    """Sutherland-Hodgman: the part of ``polygon`` where a*x + b*y + c >= 0."""
    kept: list[tuple[float, float]] = []
    count = len(polygon)
    for i in range(count):
        p, q = polygon[i], polygon[(i + 1) % count]
        fp = edge[0] * p[0] + edge[1] * p[1] + edge[2]
        fq = edge[0] * q[0] + edge[1] * q[1] + edge[2]
        if fp >= 0:
            kept.append((float(p[0]), float(p[1])))
        if (fp >= 0) != (fq >= 0):
            t = fp / (fp - fq)
            kept.append((float(p[0] + t * (q[0] - p[0])), float(p[1] + t * (q[1] - p[1]))))
    return kept


def _area(polygon: Sequence[Sequence[float]]) -> float:
    return 0.5 * sum(
        p[0] * q[1] - q[0] * p[1] for p, q in zip(polygon, [*polygon[1:], polygon[0]], strict=True)
    )


# -- plane geometry, in the picture too (y grows downwards) ------------------------------------


def distance(p: Sequence[float], q: Sequence[float]) -> float:
    return math.hypot(p[0] - q[0], p[1] - q[1])


def cross(a: Sequence[float], b: Sequence[float], p: Sequence[float]) -> float:
    """Twice the signed area of a, b, p: negative when ``p`` is left of a→b as seen on the
    picture (y down), zero when the three are on one line."""
    return (b[0] - a[0]) * (p[1] - a[1]) - (b[1] - a[1]) * (p[0] - a[0])


def side_of(a: ImagePoint, b: ImagePoint, p: ImagePoint, margin: float) -> int:
    """-1 left of the line a→b, +1 right, 0 within ``margin`` of it."""
    signed = cross(a, b, p) / distance(a, b)
    if abs(signed) <= margin:
        return 0
    return -1 if signed < 0 else 1


def crosses(a: ImagePoint, b: ImagePoint, p: ImagePoint, q: ImagePoint) -> bool:
    """Whether the step p→q, which changes side of the line through a and b, passes between
    the segment's ends rather than beside them."""
    dp, dq = cross(a, b, p), cross(a, b, q)
    if dp == dq:
        return False
    t = dp / (dp - dq)
    hit = (p[0] + t * (q[0] - p[0]), p[1] + t * (q[1] - p[1]))
    along = (hit[0] - a[0]) * (b[0] - a[0]) + (hit[1] - a[1]) * (b[1] - a[1])
    return 0.0 <= along <= distance(a, b) ** 2


def inside(point: ImagePoint, polygon: Sequence[ImagePoint]) -> bool:
    """Even-odd ray casting: is ``point`` inside ``polygon`` (same coordinates)?"""
    x, y = point
    result = False
    for (x0, y0), (x1, y1) in zip(polygon, [*polygon[1:], polygon[0]], strict=True):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            result = not result
    return result
