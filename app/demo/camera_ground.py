"""What the simulated square's ground looks like at a point: paving, painted zone markings, and
the harbour water beyond the quay.

Functions take whole arrays of ground positions (metres in the site's local frame) and the size
of one pixel's footprint there, so a background is painted in a handful of NumPy passes. Lines
are drawn with their *coverage* of the pixel (a thin joint far away becomes a faint tint instead
of a flickering alias), which is what keeps the distant paving from turning into moiré.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np

SLAB_M = 1.2
JOINT_M = 0.05
BAND_PERIOD_M = 12.0
BAND_M = 0.7
MARKING_M = 0.25
HATCH_PERIOD_M = 1.6
STONE = np.array([150.0, 158.0, 165.0])  # BGR: a light, warm granite
BAND_STONE = np.array([96.0, 100.0, 108.0])
WATER = np.array([112.0, 92.0, 62.0])
FENCE_PAINT = np.array([70.0, 70.0, 74.0])


def stripe_coverage(coord: np.ndarray, period: float, width: float, fp: np.ndarray) -> np.ndarray:
    """How much of each pixel is covered by stripes ``width`` wide every ``period`` metres along
    ``coord``, for pixels ``fp`` metres wide along that axis."""
    distance = np.abs(((coord / period) + 0.5) % 1.0 - 0.5) * period
    return line_coverage(distance, width, fp)


def line_coverage(distance: np.ndarray, width: float, fp: np.ndarray) -> np.ndarray:
    """Coverage of a line ``width`` wide by pixels at ``distance`` from its centre line."""
    effective = np.maximum(width, fp)
    edge = np.clip((effective / 2.0 - distance) / np.maximum(fp, 1e-3) + 0.5, 0.0, 1.0)
    return edge * (width / effective)


def _hash(i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """A stable pseudo-random 0..1 per integer cell (the same slab is always the same tone)."""
    return (np.sin(i * 12.9898 + j * 78.233) * 43758.5453) % 1.0


def paving(gx: np.ndarray, gy: np.ndarray, fpx: np.ndarray, fpy: np.ndarray) -> np.ndarray:
    """Granite slabs with dark joints, crossed every ``BAND_PERIOD_M`` by darker stone bands:
    the regular grid is what makes distance readable in a flat picture."""
    tone = 0.9 + 0.16 * _hash(np.floor(gx / SLAB_M), np.floor(gy / SLAB_M))
    tone *= 1.0 + 0.05 * np.sin(gx * 0.21 + 1.3) * np.sin(gy * 0.17 + 0.4)
    colour = STONE * tone[..., None]
    joints = np.maximum(
        stripe_coverage(gx, SLAB_M, JOINT_M, fpx), stripe_coverage(gy, SLAB_M, JOINT_M, fpy)
    )
    colour *= (1.0 - 0.35 * joints)[..., None]
    bands = np.maximum(
        stripe_coverage(gx, BAND_PERIOD_M, BAND_M, fpx),
        stripe_coverage(gy, BAND_PERIOD_M, BAND_M, fpy),
    )
    return mix(colour, BAND_STONE, bands)


def water(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """Calm harbour water: dark blue-grey with long, low ripples."""
    ripple = 1.0 + 0.06 * np.sin(gy * 1.7 + np.sin(gx * 0.15) * 2.0)
    return WATER * ripple[..., None]


def mix(base: np.ndarray, colour: np.ndarray, amount: np.ndarray) -> np.ndarray:
    """``base`` blended towards ``colour`` by ``amount`` (0..1 per pixel)."""
    amount = amount[..., None]
    return base * (1.0 - amount) + np.asarray(colour, dtype=np.float64) * amount


def inside(gx: np.ndarray, gy: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Even-odd point-in-polygon test of every ground position against a closed ring (Nx2)."""
    result = np.zeros(gx.shape, dtype=bool)
    for (x0, y0), (x1, y1) in pairwise(ring):
        if y0 == y1:
            continue
        crosses = (y0 > gy) != (y1 > gy)
        x_at = x0 + (gy - y0) * (x1 - x0) / (y1 - y0)
        result ^= crosses & (gx < x_at)
    return result


def ring_distance(gx: np.ndarray, gy: np.ndarray, ring: np.ndarray) -> np.ndarray:
    """Distance (metres) from every ground position to the nearest edge of a ring."""
    best = np.full(gx.shape, np.inf)
    for (x0, y0), (x1, y1) in pairwise(ring):
        ex, ey = x1 - x0, y1 - y0
        length2 = max(ex * ex + ey * ey, 1e-9)
        t = np.clip(((gx - x0) * ex + (gy - y0) * ey) / length2, 0.0, 1.0)
        best = np.minimum(best, np.hypot(gx - (x0 + t * ex), gy - (y0 + t * ey)))
    return best


def paint_zone(
    colour: np.ndarray,
    gx: np.ndarray,
    gy: np.ndarray,
    fp: np.ndarray,
    ring: np.ndarray,
    paint: np.ndarray,
    hatched: bool,
) -> np.ndarray:
    """A zone as painted markings: a light tint inside, a solid border line, and for zones one
    must not enter, diagonal hatching."""
    within = inside(gx, gy, ring)
    colour = mix(colour, paint, within * 0.09)
    if hatched:
        diagonal = (gx + gy) / np.sqrt(2.0)
        colour = mix(
            colour, paint, within * stripe_coverage(diagonal, HATCH_PERIOD_M, 0.35, fp) * 0.8
        )
    border = line_coverage(ring_distance(gx, gy, ring), MARKING_M, fp)
    return mix(colour, paint, border * 0.9)
