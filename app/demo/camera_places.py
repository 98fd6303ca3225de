"""Where on the demo site things can happen so that a camera sees them.

The scenario (``camera_script``) picks spots with these helpers instead of hard-coded
coordinates: the middle of a zone best seen by some camera, ground points in a camera's view,
and checks that a walk does not stray into a zone it should not enter. So the same scenario
works on an edited site file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise

import numpy as np

from app.demo.camera_ground import inside, ring_distance
from app.demo.camera_pose import CameraPose, camera_pose, site_grid
from app.demo.camera_site import SiteZone, demo_site

VIEW_X = (0.12, 0.88)
VIEW_Y_MARGIN = 0.12
GRID_STEP_M = 1.0
PERSON_M = 1.75
# People meant to be found (crowds, intruders, loiterers) stand where they are drawn this tall
# or taller in a 640x360 picture: OpenCV's HOG people detector at its default analysis width
# finds most figures 60-95 px tall, few below 50 px or much above 110 px; the motion detector's
# smallest blob (0.15 % of the picture) is a person about 40 px tall.
DETECTABLE_PX = 60.0
TOO_CLOSE_PX = 100.0


@dataclass(frozen=True, slots=True, eq=False)
class Places:
    poses: tuple[CameraPose, ...]
    zones: tuple[SiteZone, ...]
    rings: tuple[np.ndarray, ...]

    def forbidden(self, points: np.ndarray) -> np.ndarray:
        """Which ground points (Nx2) lie in a zone one must not enter."""
        result = np.zeros(len(points), dtype=bool)
        for zone, ring in zip(self.zones, self.rings, strict=True):
            if zone.restricted:
                result |= inside(points[:, 0], points[:, 1], ring)
        return result

    def path_allowed(self, points: list[np.ndarray]) -> bool:
        """Whether a walk through these waypoints stays out of every restricted zone."""
        samples = []
        for a, b in pairwise(points):
            steps = max(int(np.hypot(*(b - a)) / GRID_STEP_M), 1)
            samples.append(a + (b - a) * np.linspace(0.0, 1.0, steps + 1)[:, None])
        return not self.forbidden(np.vstack(samples)).any()

    def seen_weight(self, points: np.ndarray) -> np.ndarray:
        """How well the cameras see each ground point (Nx2): 0 unseen, more for close views
        and for points that several cameras see (a crowd seen twice shows on two tiles)."""
        total = np.zeros(len(points))
        for pose in self.poses:
            total += view_weight(pose, points)
        return total

    def best_camera(self, point: np.ndarray) -> CameraPose:
        weights = [view_weight(pose, point[None, :])[0] for pose in self.poses]
        return self.poses[int(np.argmax(weights))]

    def best_spot(self, ring: np.ndarray, margin: float) -> np.ndarray:
        """The point inside a zone, at least ``margin`` from its edge, that a camera sees best
        (the zone's middle when no camera sees any of it)."""
        xs = np.arange(ring[:, 0].min(), ring[:, 0].max(), GRID_STEP_M)
        ys = np.arange(ring[:, 1].min(), ring[:, 1].max(), GRID_STEP_M)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        ok = inside(gx, gy, ring) & (ring_distance(gx, gy, ring) >= margin)
        if not ok.any():
            return ring[:-1].mean(axis=0)
        candidates = np.stack([gx[ok], gy[ok]], axis=1)
        return candidates[int(np.argmax(self.seen_weight(candidates)))]

    def crowd_places(
        self, ring: np.ndarray, count: int, pad_m: float
    ) -> tuple[CameraPose, list[np.ndarray]]:
        """``count`` places in a zone for a group, in the view of the camera that shows them
        biggest: first where each stands clear of the others in the picture (a detector can
        count them one by one), then, if the zone's near part is full, behind them as a real
        crowd would stand."""
        xs = np.arange(ring[:, 0].min(), ring[:, 0].max(), GRID_STEP_M / 2)
        ys = np.arange(ring[:, 1].min(), ring[:, 1].max(), GRID_STEP_M / 2)
        gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
        ok = inside(gx, gy, ring) & (ring_distance(gx, gy, ring) >= 1.0)
        candidates = np.stack([gx[ok], gy[ok]], axis=1)
        candidates = candidates[~self.forbidden(candidates)]
        sizes = [_usable_size(pose, candidates) for pose in self.poses]
        best = int(np.argmax([np.sort(s)[-count:].sum() for s in sizes]))
        pose, size = self.poses[best], sizes[best]
        ordered = candidates[np.argsort(-size)][: int((size > 0).sum())]
        chosen = _spread(pose, ordered, count, pad_m, allowed_overlap=0.15)
        if len(chosen) < count:
            rest = [p for p in ordered if not any(np.array_equal(p, c) for c in chosen)]
            chosen += _spread(
                pose,
                np.array(rest).reshape(-1, 2),
                count - len(chosen),
                pad_m,
                allowed_overlap=0.4,
                taken=chosen,
            )
        return pose, chosen


def _usable_size(pose: CameraPose, points: np.ndarray) -> np.ndarray:
    """Drawn height (px) of a person at each point, or 0 where not wholly in the picture
    or too close to be found."""
    width, height = pose.size
    uv, _ = pose.project(np.column_stack([points, np.zeros(len(points))]))
    tall = person_px(pose, points)
    with np.errstate(invalid="ignore"):
        seen = (uv[:, 0] > 0.05 * width) & (uv[:, 0] < 0.95 * width)
        seen &= (uv[:, 1] < 0.96 * height) & (uv[:, 1] - tall * 1.1 > 0.08 * height)
    return np.where(seen & (tall <= TOO_CLOSE_PX), tall, 0.0)


def _spread(
    pose: CameraPose,
    points: np.ndarray,
    count: int,
    pad_m: float,
    allowed_overlap: float,
    taken: Sequence[np.ndarray] = (),
) -> list[np.ndarray]:
    """Greedily pick ``points`` whose picture boxes overlap the picked ones' by at most
    ``allowed_overlap`` of the smaller box, and that stand 0.8 m apart on the ground."""
    boxes = [figure_box(pose, p, pad_m) for p in taken]
    ground = list(taken)
    chosen: list[np.ndarray] = []
    for point in points:
        if len(chosen) == count:
            break
        box = figure_box(pose, point, pad_m)
        if any(_overlap(box, other) > allowed_overlap for other in boxes):
            continue
        if any(np.hypot(*(point - other)) < 0.8 for other in ground):
            continue
        chosen.append(point)
        boxes.append(box)
        ground.append(point)
    return chosen


def person_px(pose: CameraPose, points: np.ndarray, height_m: float = PERSON_M) -> np.ndarray:
    """How tall (pixels) a person standing at each ground point (Nx2) is drawn."""
    feet = pose.project(np.column_stack([points, np.zeros(len(points))]))[0]
    heads = pose.project(np.column_stack([points, np.full(len(points), height_m)]))[0]
    return np.nan_to_num(feet[:, 1] - heads[:, 1])


def view_weight(pose: CameraPose, points: np.ndarray) -> np.ndarray:
    """How well a camera sees ground points: 0 outside the picture's comfortable middle, more
    for people drawn big enough for the detectors and near the middle of the picture (a group
    drawn there stays whole in the picture)."""
    width, height = pose.size
    uv, _ = pose.project(np.column_stack([points, np.zeros(len(points))]))
    x, y = uv[:, 0] / width, uv[:, 1] / height
    top = max(pose.horizon_row / height, 0.0) + VIEW_Y_MARGIN
    with np.errstate(invalid="ignore"):
        seen = (x >= VIEW_X[0]) & (x <= VIEW_X[1]) & (y >= top) & (y <= 1.0 - VIEW_Y_MARGIN)
        middle = (1.0 - 0.7 * (2.0 * x - 1.0) ** 2) * (1.0 - 0.5 * ((y - 0.6) / 0.4) ** 2)
    tall = person_px(pose, points)
    big = np.minimum(tall / DETECTABLE_PX, 1.0) * np.minimum(
        TOO_CLOSE_PX / np.maximum(tall, 1), 1.0
    )
    return np.where(seen, np.nan_to_num(big * middle), 0.0)


def figure_box(pose: CameraPose, point: np.ndarray, pad_m: float) -> tuple[float, ...]:
    """The picture box (x0, y0, x1, y1) a tall person standing at ``point`` and moving up to
    ``pad_m`` either way may cover (not the shadow: motion detectors tell shadows apart)."""
    tall = PERSON_M * 1.12
    uv, _ = pose.project(np.array([[*point, 0.0], [*point, tall]]))
    size = uv[0, 1] - uv[1, 1]
    pad = size * (0.25 + pad_m / PERSON_M) + 2.0
    return (uv[:, 0].min() - pad, uv[1, 1] - 2.0, uv[:, 0].max() + pad, uv[0, 1] + 2.0)


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """The shared area of two boxes as a share of the smaller one."""
    across = min(a[2], b[2]) - max(a[0], b[0])
    down = min(a[3], b[3]) - max(a[1], b[1])
    if across <= 0 or down <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return across * down / max(smaller, 1e-9)


def in_view(pose: CameraPose, x_norm: float, y_norm: float) -> np.ndarray:
    """The ground point seen at a normalised picture position (may lie outside the picture's
    x range, for walks that start and end off-screen)."""
    width, height = pose.size
    return pose.ground_at(np.array([[x_norm * width, y_norm * height]]))[0]


@cache
def demo_places() -> Places:
    site = demo_site()
    grid = site_grid()
    poses = tuple(camera_pose(c.identifier) for c in site.cameras)
    rings = tuple(
        np.array([grid.to_metres(p.lat, p.lon) for p in z.zone.polygon]) for z in site.zones
    )
    return Places(poses, site.zones, rings)
