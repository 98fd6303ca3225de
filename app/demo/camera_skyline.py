"""What a simulated camera sees beyond the square: façades on three sides, the harbour and the
far shore to the south, and the sky.

A real square is closed by buildings; without them a wide camera shows ground meeting sky at the
top of the picture, which looks like a game, not a city. The layout is derived from the site's
extent, so it fits any site file: streets of terraced blocks ``STREET_M`` beyond the west, east
and north edges, open water south of the quay.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

STREET_M = 40.0
QUAY_M = 30.0
BLOCK_M = 22.0
FLOOR_M = 3.3
PALETTE = np.array(
    [[95, 150, 190], [175, 195, 210], [70, 85, 150], [140, 140, 135], [160, 165, 200]],
    dtype=np.float64,
)  # BGR: ochre, cream, brick, grey, pale pink
SKY_LOW = np.array([228.0, 218.0, 208.0])
SKY_HIGH = np.array([205.0, 165.0, 125.0])
HILLS = np.array([120.0, 128.0, 118.0])
HAZE = np.array([205.0, 200.0, 195.0])


@dataclass(frozen=True, slots=True)
class Skyline:
    """The box of streets around the square (local metres): walls at ``west``/``east`` from
    ``quay`` to ``north``, and at ``north`` from ``west`` to ``east``; water south of ``quay``."""

    west: float
    east: float
    north: float
    quay: float

    @classmethod
    def around(cls, xs: list[float], ys: list[float]) -> Skyline:
        return cls(min(xs) - STREET_M, max(xs) + STREET_M, max(ys) + STREET_M, min(ys) - QUAY_M)

    def wall_hits(self, origin: np.ndarray, rays: np.ndarray) -> tuple[np.ndarray, ...]:
        """For each ray: the distance parameter to the first wall (inf if none), the position
        along that wall (metres) and the wall's number (0 west, 1 east, 2 north)."""
        px, py = origin[0], origin[1]
        dx, dy = rays[:, 0], rays[:, 1]
        best = np.full(len(rays), np.inf)
        along = np.zeros(len(rays))
        wall = np.full(len(rays), -1)
        with np.errstate(divide="ignore", invalid="ignore"):
            for number, (s, a, low, high) in enumerate(
                (
                    ((self.west - px) / dx, py + (self.west - px) / dx * dy, self.quay, self.north),
                    ((self.east - px) / dx, py + (self.east - px) / dx * dy, self.quay, self.north),
                    (
                        (self.north - py) / dy,
                        px + (self.north - py) / dy * dx,
                        self.west,
                        self.east,
                    ),
                )
            ):
                hit = (s > 0) & (a >= low) & (a <= high) & (s < best)
                best = np.where(hit, s, best)
                along = np.where(hit, a, along)
                wall = np.where(hit, number, wall)
        return best, along, wall


def facade(along: np.ndarray, height: np.ndarray, wall: np.ndarray) -> tuple[np.ndarray, ...]:
    """Colour of façades at positions along their wall and heights, and whether the point is
    below the roofline (above it is sky)."""
    block = np.floor(along / BLOCK_M)
    pick = (np.sin(block * 7.13 + wall * 3.7) * 9431.7) % 1.0
    roof = 13.0 + 15.0 * ((np.sin(block * 3.91 + wall * 1.3) * 5171.3) % 1.0)
    colour = PALETTE[(pick * len(PALETTE)).astype(int) % len(PALETTE)]
    storey = height % FLOOR_M
    column = (along % BLOCK_M) % 2.8
    windows = (storey > 1.0) & (storey < 2.4) & (column > 0.7) & (column < 2.1) & (height > 4.0)
    shops = (height > 0.4) & (height < 3.2) & (column > 0.3) & (column < 2.5)
    dark = windows | shops
    colour = np.where(dark[:, None], colour * 0.38 + np.array([20.0, 15.0, 10.0]), colour)
    cornice = (roof - height) < 0.7
    colour = np.where(cornice[:, None], colour * 0.7, colour)
    return colour, height <= roof


def sky(elevation: np.ndarray, azimuth: np.ndarray, open_south: np.ndarray) -> np.ndarray:
    """Sky brightening towards the horizon, with the far shore's low hills where the view is
    open over the water."""
    t = np.clip(elevation / 0.35, 0.0, 1.0)[:, None]
    colour = SKY_LOW * (1.0 - t) + SKY_HIGH * t
    hill = 0.014 + 0.007 * np.sin(3.0 * azimuth + 1.0) + 0.004 * np.sin(7.0 * azimuth + 2.0)
    on_hill = open_south & (elevation < hill)
    return np.where(on_hill[:, None], HILLS, colour)


def haze(colour: np.ndarray, distance: np.ndarray) -> np.ndarray:
    """Air between the camera and far things: contrast fades with distance."""
    amount = (1.0 - np.exp(-np.nan_to_num(distance, nan=1e6) / 420.0))[:, None]
    return colour * (1.0 - amount) + HAZE * amount
