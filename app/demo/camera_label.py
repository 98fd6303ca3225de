"""The band burned into every simulated picture: ``SIMULATED CAMERA``, the camera and the
simulation time, top left, so a screenshot can never pass for real footage.

The band itself is painted once into the cached background; each frame only puts it back over
anyone who walked under it and writes the clock (whole seconds, so the band changes once a
second and a motion detector does not see it flicker at the frame rate).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from detectors.video.cv import cv2

LABEL = "SIMULATED CAMERA"  # burned into the picture like a camera's OSD: ASCII, not translated
FONT = cv2.FONT_HERSHEY_SIMPLEX
TEXT = (40, 220, 255)
CLOCK = (235, 235, 235)


@dataclass(frozen=True, slots=True)
class LabelLayout:
    text: str
    scale: float
    band: int
    clock_x: int

    @property
    def baseline(self) -> int:
        return int(self.band * 0.7)

    @property
    def margin(self) -> int:
        return int(self.band * 0.35)


@cache
def label_layout(camera_id: str, width: int) -> LabelLayout:
    """Where the label goes in pictures ``width`` pixels wide (Hershey fonts are ASCII only)."""
    scale = 0.42 * width / 640.0
    band = round(24 * width / 640.0)
    text = f"{LABEL}  {camera_id.encode('ascii', 'replace').decode()}  "
    (text_width, _), _ = cv2.getTextSize(text, FONT, scale, 1)
    return LabelLayout(text, scale, band, int(band * 0.35) + text_width)


def paint_band(image: np.ndarray, layout: LabelLayout) -> None:
    """The static part: a darkened band with the label, wide enough for the clock."""
    (clock_width, _), _ = cv2.getTextSize("T+00:00:00", FONT, layout.scale, 1)
    right = min(layout.clock_x + clock_width + layout.margin, image.shape[1])
    image[: layout.band, :right] //= 4
    origin = (layout.margin, layout.baseline)
    cv2.putText(image, layout.text, origin, FONT, layout.scale, TEXT, 1, cv2.LINE_AA)


def stamp_clock(image: np.ndarray, background: np.ndarray, layout: LabelLayout, t: float) -> None:
    """Restore the band from ``background`` and write the simulation time ``t`` (seconds)."""
    image[: layout.band] = background[: layout.band]
    seconds = int(t)
    clock = f"T+{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
    origin = (layout.clock_x, layout.baseline)
    cv2.putText(image, clock, origin, FONT, layout.scale, CLOCK, 1, cv2.LINE_AA)
