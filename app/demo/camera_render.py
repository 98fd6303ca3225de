"""A simulated camera's still background, painted once per camera: the paved square in
perspective with the site's zones marked on it, lamp posts, façades, harbour and sky.

Every pixel's ray is traced against the ground plane and the box of streets around the square
(``camera_skyline``), so the picture agrees exactly with ``camera_pose``: a zone's painted border
is where the analytics' ground mapping puts that zone's edge.
"""

from __future__ import annotations

import zlib
from functools import cache
from itertools import pairwise

import numpy as np

from app.demo.camera_ground import (
    FENCE_PAINT,
    line_coverage,
    mix,
    paint_zone,
    paving,
    ring_distance,
    water,
)
from app.demo.camera_pose import DEFAULT_SIZE, CameraPose, camera_pose, site_grid
from app.demo.camera_site import demo_site
from app.demo.camera_skyline import Skyline, facade, haze, sky
from detectors.video.cv import cv2

LAMP_SPACING_M = 32.0
LAMP_HEIGHT_M = 5.5
GRAIN = 2.0


def _hex_bgr(colour: str) -> np.ndarray:
    value = int(colour.lstrip("#"), 16)
    return np.array([value & 0xFF, (value >> 8) & 0xFF, value >> 16], dtype=np.float64)


@cache
def site_skyline() -> Skyline:
    grid, site = site_grid(), demo_site()
    points = [grid.to_metres(p.lat, p.lon) for p in site.venue]
    points += [grid.to_metres(c.point.lat, c.point.lon) for c in site.cameras]
    xs, ys = zip(*points, strict=True)
    return Skyline.around(list(xs), list(ys))


def _rings() -> list[tuple[np.ndarray, np.ndarray, bool]]:
    grid, site = site_grid(), demo_site()
    return [
        (
            np.array([grid.to_metres(p.lat, p.lon) for p in z.zone.polygon]),
            _hex_bgr(z.colour),
            z.restricted,
        )
        for z in site.zones
    ]


def _ground(pose: CameraPose, gx: np.ndarray, gy: np.ndarray, box: Skyline) -> np.ndarray:
    """Paving, water and markings for ground positions laid out as the picture (HxW)."""
    fpx = np.abs(np.gradient(gx, axis=0)) + np.abs(np.gradient(gx, axis=1))
    fpy = np.abs(np.gradient(gy, axis=0)) + np.abs(np.gradient(gy, axis=1))
    fp = (fpx + fpy) / 2.0
    colour = paving(gx, gy, fpx, fpy)
    wet = (gy < box.quay) | (gx < box.west) | (gx > box.east)
    colour = np.where(wet[..., None], water(gx, gy), colour)
    venue = demo_site().venue
    if venue:
        grid = site_grid()
        ring = np.array([grid.to_metres(p.lat, p.lon) for p in venue])
        colour = mix(colour, FENCE_PAINT, line_coverage(ring_distance(gx, gy, ring), 0.35, fp))
    for ring, paint, hatched in _rings():
        colour = paint_zone(colour, gx, gy, fp, ring, paint, hatched)
    return colour


def _trace(pose: CameraPose) -> np.ndarray:
    """The colour of every pixel (HxWx3 float BGR) by tracing its ray."""
    width, height = pose.size
    us, vs = np.meshgrid(np.arange(width) + 0.5, np.arange(height) + 0.5)
    rays = pose.rays(np.column_stack([us.ravel(), vs.ravel()]))
    box = site_skyline()
    origin = pose.position
    s_wall, along, wall = box.wall_hits(origin, rays)
    falling = rays[:, 2] < -1e-9
    s_ground = np.where(falling, origin[2] / np.where(falling, -rays[:, 2], 1.0), np.inf)
    on_ground = s_ground < s_wall
    gx = np.where(on_ground, origin[0] + rays[:, 0] * np.where(on_ground, s_ground, 0.0), 0.0)
    gy = np.where(on_ground, origin[1] + rays[:, 1] * np.where(on_ground, s_ground, 0.0), 0.0)
    ground = _ground(pose, gx.reshape(height, width), gy.reshape(height, width), box)
    ground = ground.reshape(-1, 3)
    wall_height = origin[2] + np.where(np.isfinite(s_wall), s_wall, 0.0) * rays[:, 2]
    front, below_roof = facade(along, wall_height, wall)
    horizontal = np.hypot(rays[:, 0], rays[:, 1])
    elevation = np.arctan2(rays[:, 2], horizontal)
    backdrop = sky(elevation, np.arctan2(rays[:, 0], rays[:, 1]), ~np.isfinite(s_wall))
    length = np.linalg.norm(rays, axis=1)
    on_wall = ~on_ground & np.isfinite(s_wall) & below_roof
    colour = np.where(on_wall[:, None], haze(front, s_wall * length), backdrop)
    colour = np.where(on_ground[:, None], haze(ground, s_ground * length), colour)
    return colour.reshape(height, width, 3)


def _lamps(image: np.ndarray, pose: CameraPose) -> None:
    """Lamp posts along the fence: upright lines that shrink with distance."""
    venue = demo_site().venue
    grid = site_grid()
    ring = np.array([grid.to_metres(p.lat, p.lon) for p in venue]) if venue else np.zeros((0, 2))
    for a, b in pairwise(ring):
        count = int(np.hypot(*(b - a)) // LAMP_SPACING_M)
        for k in range(count):
            base = a + (b - a) * (k + 0.5) / count
            ends = np.array([[*base, 0.0], [*base, LAMP_HEIGHT_M]])
            uv, depth = pose.project(ends)
            if depth.min() < 1.0 or np.isnan(uv).any():
                continue
            thick = max(round(pose.focal_px * 0.12 / depth[0]), 1)
            top = tuple(int(v) for v in uv[1])
            cv2.line(image, tuple(int(v) for v in uv[0]), top, (55, 58, 60), thick, cv2.LINE_AA)
            cv2.circle(image, top, thick + 1, (200, 215, 220), -1, cv2.LINE_AA)


def render_background(camera_id: str, size: tuple[int, int] = DEFAULT_SIZE) -> np.ndarray:
    """A camera's background (HxWx3 uint8 BGR). Slow-ish (tens of ms): cache it."""
    pose = camera_pose(camera_id, size)
    colour = _trace(pose)
    width, height = size
    yy, xx = np.mgrid[0:height, 0:width]
    r2 = ((xx - width / 2) / (width / 2)) ** 2 + ((yy - height / 2) / (height / 2)) ** 2
    colour *= (1.0 - 0.18 * r2 / 2.0)[..., None]
    rng = np.random.default_rng(zlib.crc32(camera_id.encode()))
    colour += rng.normal(0.0, GRAIN, colour.shape)
    image = np.clip(colour, 0, 255).astype(np.uint8)
    _lamps(image, pose)
    return cv2.GaussianBlur(image, (3, 3), 0.6)
