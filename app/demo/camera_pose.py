"""Geometry of the simulated cameras: map ↔ local metres ↔ picture.

One flat local frame (metres east and north of the site's middle) is shared by every camera and
every simulated person, so a person seen by two cameras stands in the same place in both. Each
camera is a pinhole at its map position, ``MAST_HEIGHT_M`` up, turned to its heading and tilted
down so that the ground at its ``range_m`` lies ``RANGE_ROW`` of the way down the picture; its
horizontal field of view is the site file's ``fov_deg``. Because the ground is a plane, the
picture ↔ map relation is exactly a homography, which is what ``demo_ground_points`` lets the
analytics recover.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

from app.demo.camera_site import SiteCamera, demo_site
from app.model import GeoPoint

EARTH_RADIUS_M = 6_371_008.8
MAST_HEIGHT_M = 8.0
RANGE_ROW = 0.24
DEFAULT_SIZE = (640, 360)
NEAR_M = 0.3
# Normalised picture points whose ground positions pin the mapping: a 3x3 grid over the part of
# the picture that shows the square (the top rows show façades, not ground).
GROUND_GRID = tuple((x, y) for y in (0.34, 0.64, 0.94) for x in (0.06, 0.5, 0.94))

LatLon = tuple[float, float]


@dataclass(frozen=True, slots=True)
class LocalGrid:
    """An equirectangular plane around ``origin``: centimetre-exact over a site of a few
    hundred metres, and linear, so ground homographies stay exact in latitude/longitude too."""

    origin: GeoPoint

    @property
    def _scale(self) -> tuple[float, float]:
        per_deg = math.radians(1.0) * EARTH_RADIUS_M
        return per_deg * math.cos(math.radians(self.origin.lat)), per_deg

    def to_metres(self, lat: float, lon: float) -> tuple[float, float]:
        sx, sy = self._scale
        return (lon - self.origin.lon) * sx, (lat - self.origin.lat) * sy

    def to_geo(self, x: float, y: float) -> LatLon:
        sx, sy = self._scale
        return self.origin.lat + y / sy, self.origin.lon + x / sx


@cache
def site_grid() -> LocalGrid:
    """The local frame of the demo site, centred on the middle of its cameras and zones."""
    site = demo_site()
    points = [c.point for c in site.cameras] + [p for z in site.zones for p in z.zone.polygon]
    points += list(site.venue)
    lats, lons = [p.lat for p in points], [p.lon for p in points]
    return LocalGrid(GeoPoint((min(lats) + max(lats)) / 2, (min(lons) + max(lons)) / 2))


@dataclass(frozen=True, slots=True, eq=False)
class CameraPose:
    """A pinhole camera in the local frame: ``axes`` rows are the camera's right, down and
    forward directions (x east, y north, z up)."""

    position: np.ndarray
    axes: np.ndarray
    focal_px: float
    size: tuple[int, int]
    tilt_rad: float

    @property
    def centre(self) -> tuple[float, float]:
        return self.size[0] / 2.0, self.size[1] / 2.0

    @property
    def horizon_row(self) -> float:
        """The picture row of the horizon (the camera does not roll, so it is level)."""
        return self.centre[1] - self.focal_px * math.tan(self.tilt_rad)

    def to_camera(self, points: np.ndarray) -> np.ndarray:
        """World points (Nx3 metres) in camera coordinates (Nx3: right, down, forward)."""
        return (np.asarray(points, dtype=np.float64) - self.position) @ self.axes.T

    def project(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Pixel positions (Nx2) and depths (N) of world points; points behind the camera get
        NaN pixels."""
        cam = self.to_camera(points)
        depth = cam[:, 2]
        safe = np.where(depth > NEAR_M, depth, np.nan)
        cx, cy = self.centre
        uv = np.stack(
            [cx + self.focal_px * cam[:, 0] / safe, cy + self.focal_px * cam[:, 1] / safe]
        )
        return uv.T, depth

    def rays(self, uv: np.ndarray) -> np.ndarray:
        """World directions (Nx3, not normalised) through pixel positions (Nx2)."""
        cx, cy = self.centre
        uv = np.asarray(uv, dtype=np.float64)
        local = np.stack([(uv[:, 0] - cx) / self.focal_px, (uv[:, 1] - cy) / self.focal_px])
        local = np.vstack([local, np.ones(len(uv))])
        return local.T @ self.axes

    def ground_at(self, uv: np.ndarray) -> np.ndarray:
        """Where pixel rays meet the ground (Nx2 metres); NaN above the horizon."""
        rays = self.rays(uv)
        down = -rays[:, 2]
        t = np.where(down > 1e-9, self.position[2] / np.where(down > 1e-9, down, 1.0), np.nan)
        return self.position[:2] + rays[:, :2] * t[:, None]


def pose_for(camera: SiteCamera, size: tuple[int, int] = DEFAULT_SIZE) -> CameraPose:
    """The pinhole that shows ``camera``'s coverage: its range near the top of the picture."""
    width, height = size
    focal = (width / 2.0) / math.tan(math.radians(min(max(camera.fov_deg, 10.0), 150.0)) / 2.0)
    above_axis = math.atan((height / 2.0 - RANGE_ROW * height) / focal)
    tilt = math.atan(MAST_HEIGHT_M / camera.range_m) + above_axis
    heading = math.radians(camera.heading_deg)
    ahead = np.array([math.sin(heading), math.cos(heading), 0.0])
    right = np.array([math.cos(heading), -math.sin(heading), 0.0])
    up = np.array([0.0, 0.0, 1.0])
    forward = math.cos(tilt) * ahead - math.sin(tilt) * up
    down = -(math.sin(tilt) * ahead + math.cos(tilt) * up)
    x, y = site_grid().to_metres(camera.point.lat, camera.point.lon)
    position = np.array([x, y, MAST_HEIGHT_M])
    return CameraPose(position, np.vstack([right, down, forward]), focal, (width, height), tilt)


@cache
def camera_pose(camera_id: str, size: tuple[int, int] = DEFAULT_SIZE) -> CameraPose:
    """The pose of a site camera; ``KeyError`` for a camera the site does not declare."""
    camera = demo_site().camera(camera_id)
    if camera is None:
        raise KeyError(camera_id)
    return pose_for(camera, size)


def geo_to_pixels(pose: CameraPose, points: list[LatLon]) -> np.ndarray:
    """Where ground points (lat, lon) appear in the picture (Nx2 pixels, NaN if behind)."""
    grid = site_grid()
    local = [(*grid.to_metres(lat, lon), 0.0) for lat, lon in points]
    return pose.project(np.array(local, dtype=np.float64).reshape(-1, 3))[0]


def pixels_to_geo(pose: CameraPose, uv: np.ndarray) -> list[LatLon | None]:
    """The ground (lat, lon) seen at each pixel, or None above the horizon."""
    grid = site_grid()
    ground = pose.ground_at(np.asarray(uv, dtype=np.float64).reshape(-1, 2))
    return [None if np.isnan(x) else grid.to_geo(float(x), float(y)) for x, y in ground]


def demo_ground_points(
    camera_id: str, size: tuple[int, int] = DEFAULT_SIZE
) -> list[tuple[tuple[float, float], LatLon]]:
    """Ground control points for a simulated camera: ((x_norm, y_norm), (lat, lon)) pairs, with
    picture positions as fractions of width and height (0..1, top-left origin). Nine points
    spread over the visible ground, exactly on the rendered ground plane, so a homography fitted
    to them maps a person's foot point in the picture to where the simulation put that person.
    ``KeyError`` for an unknown camera."""
    pose = camera_pose(camera_id, size)
    width, height = size
    uv = np.array([(x * width, y * height) for x, y in GROUND_GRID])
    return [
        (normalised, geo)
        for normalised, geo in zip(GROUND_GRID, pixels_to_geo(pose, uv), strict=True)
        if geo is not None
    ]
