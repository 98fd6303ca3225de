"""Motion: what moved against a learnt background (OpenCV's MOG2 background subtractor).

The cheapest detector that works on any camera with no model: it runs on a downscaled
copy (the subtractor's cost grows with pixels, and a moving person is still dozens of pixels at
320 wide), drops shadows (MOG2 marks them separately, and a shadow is not an intruder), cleans
the mask with an opening (sensor noise, leaves) and a closing (one walker, one blob), and boxes
the blobs above a minimum area. During the first frames the background is still being learnt and
everything looks like motion, so nothing is reported until the warm-up is over.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.model import Detection
from detectors.api import CancelToken, run_steps
from detectors.video.cv import cv2
from detectors.video.frames import Frame, make_detection, normalised_bbox
from detectors.video.params import check, from_mapping, number_in, whole_in

DETECTOR_ID = "motion"
# MOG2 marks foreground 255 and shadows 127; anything above this is foreground proper.
_FOREGROUND = 200


@dataclass(frozen=True, slots=True, kw_only=True)
class MotionParams:
    """``width``: the analysis copy's width in pixels (never upscaled); ``min_area``: the
    smallest blob reported, as a fraction of the picture; ``warmup_frames``: frames learnt
    before anything is reported; ``history`` and ``var_threshold``: MOG2's memory (frames) and
    its squared Mahalanobis distance for "this pixel changed"; ``kernel``: the clean-up size
    in analysis pixels; ``max_regions``: the largest blobs kept (a camera shake lights up
    everything, and a thousand boxes help nobody)."""

    width: int = 320
    history: int = 300
    var_threshold: float = 16.0
    warmup_frames: int = 25
    min_area: float = 0.0015
    kernel: int = 3
    max_regions: int = 32

    def __post_init__(self) -> None:
        check(
            self,
            {
                "width": (whole_in(32, 4096), "a whole number of pixels from 32 to 4096"),
                "history": (whole_in(2, 100_000), "a whole number of frames >= 2"),
                "var_threshold": (number_in(0, 10_000, low_open=True), "a number > 0"),
                "warmup_frames": (whole_in(0, 100_000), "a whole number of frames >= 0"),
                "min_area": (number_in(0, 1, low_open=True), "a fraction above 0 up to 1"),
                "kernel": (whole_in(1, 31), "a whole number of pixels from 1 to 31"),
                "max_regions": (whole_in(1, 10_000), "a whole number >= 1"),
            },
        )


class MotionDetector:
    """The motion state machine of one camera (the background belongs to that camera)."""

    def __init__(self, params: MotionParams | None = None) -> None:
        self.params = params or MotionParams()
        self._kernel = cv2.getStructuringElement(
            cv2.MORPH_ELLIPSE, (self.params.kernel, self.params.kernel)
        )
        self._subtractor: Any = None
        self._size: tuple[int, int] | None = None
        self._seen = 0

    def step(self, item: Frame) -> list[Detection]:
        small = self._analysis_copy(item.image)
        mask = self._subtractor.apply(small)
        self._seen += 1
        if self._seen <= self.params.warmup_frames:
            return []
        return list(self._regions(item, self._cleaned(mask), item.width / small.shape[1]))

    def _analysis_copy(self, image: np.ndarray) -> np.ndarray:
        """The downscaled copy; a new picture size (camera reconfigured) restarts learning."""
        height, width = image.shape[:2]
        scale = min(1.0, self.params.width / width)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        if size != self._size:
            self._size, self._seen = size, 0
            self._subtractor = cv2.createBackgroundSubtractorMOG2(
                history=self.params.history,
                varThreshold=self.params.var_threshold,
                detectShadows=True,
            )
        if scale == 1.0:
            return image
        return cv2.resize(image, size, interpolation=cv2.INTER_AREA)

    def _cleaned(self, mask: np.ndarray) -> np.ndarray:
        _, foreground = cv2.threshold(mask, _FOREGROUND, 255, cv2.THRESH_BINARY)
        opened = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, self._kernel)
        return cv2.morphologyEx(opened, cv2.MORPH_CLOSE, self._kernel, iterations=2)

    def _regions(self, frame: Frame, mask: np.ndarray, scale: float) -> Iterator[Detection]:
        """One detection per blob, largest first; confidence is the share of the blob's box
        that is foreground (a solid walker scores high, scattered noise low)."""
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        smallest = self.params.min_area * mask.shape[0] * mask.shape[1]
        blobs = [c for c in contours if cv2.contourArea(c) >= smallest]
        blobs.sort(key=cv2.contourArea, reverse=True)
        for contour in blobs[: self.params.max_regions]:
            x, y, w, h = cv2.boundingRect(contour)
            fill = cv2.countNonZero(mask[y : y + h, x : x + w]) / float(w * h)
            bbox = normalised_bbox(frame, x * scale, y * scale, w * scale, h * scale)
            yield make_detection(frame, DETECTOR_ID, "motion", "motion", fill, bbox)


def build(params: Mapping[str, Any] | MotionParams | None = None) -> MotionDetector:
    return MotionDetector(from_mapping(MotionParams, params))


def run(
    source: Iterable[Frame], params: Mapping[str, Any], token: CancelToken
) -> Iterator[Detection]:
    return run_steps(build(params), source, token)
