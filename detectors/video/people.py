"""People: OpenCV's HOG + linear SVM pedestrian detector (Dalal & Triggs), no download needed.

The detector's window is 64x128 pixels with the person about 96 pixels tall inside it, so a
person smaller than that is never found. Surveillance cameras see people small (the PETS clip's
walkers are 40-70 pixels tall at 480x360), so the picture is resized to a fixed analysis width
first: upscaled for small pictures, downscaled for HD ones, which also keeps the cost per frame
about the same whatever the camera. The boxes OpenCV returns are whole windows, with a margin
around the person; they are shrunk to the body so that the box's bottom is the person's feet,
where the scene rules and the ground mapping place them.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.model import Detection
from detectors.api import CancelToken, run_steps
from detectors.video.cv import cv2
from detectors.video.frames import Frame, make_detection, normalised_bbox
from detectors.video.params import check, from_mapping, number_in, whole_in

DETECTOR_ID = "people"
# Where the body sits in a 64x128 detection window (fractions of the window).
_BODY_X, _BODY_Y = 0.2, 0.09


@dataclass(frozen=True, slots=True, kw_only=True)
class PeopleParams:
    """``width``: the analysis width in pixels (the picture is scaled to it either way);
    ``win_stride``: the window step in analysis pixels (8: four times cheaper than 4, and
    still finds walkers); ``scale``: the pyramid step; ``hit_threshold``: the SVM margin a
    window needs; ``min_confidence``: the squashed score a person needs; ``nms_iou``: boxes
    overlapping more than this are one person."""

    width: int = 960
    win_stride: int = 8
    scale: float = 1.1
    hit_threshold: float = 0.0
    min_confidence: float = 0.3
    nms_iou: float = 0.4

    def __post_init__(self) -> None:
        check(
            self,
            {
                "width": (whole_in(128, 4096), "a whole number of pixels from 128 to 4096"),
                "win_stride": (
                    lambda v: v in (4, 8, 16),
                    "4, 8 or 16 (HOG's cell grid)",
                ),
                "scale": (number_in(1.01, 2.0), "a number from 1.01 to 2"),
                "hit_threshold": (number_in(-10, 10), "a number from -10 to 10"),
                "min_confidence": (number_in(0, 1), "a fraction from 0 to 1"),
                "nms_iou": (number_in(0, 1, low_open=True), "a fraction above 0 up to 1"),
            },
        )


def squash(weight: float) -> float:
    """The SVM's margin (0 at the decision boundary, 1-3 for clear walkers) as a 0..1
    confidence: 1 - e^-w, so 0.3 is a faint hit, 0.63 a typical one, 0.95 a sure one."""
    return float(1.0 - np.exp(-max(weight, 0.0)))


class PeopleDetector:
    """HOG people detection; stateless between frames, so one may serve any camera."""

    def __init__(self, params: PeopleParams | None = None) -> None:
        self.params = params or PeopleParams()
        self._hog = cv2.HOGDescriptor()
        self._hog.setSVMDetector(cv2.HOGDescriptor_getDefaultPeopleDetector())
        # OpenCV does not promise that one HOGDescriptor may run in two threads at once.
        self._lock = threading.Lock()

    def step(self, item: Frame) -> list[Detection]:
        factor = self.params.width / item.width
        found = self._windows(item.image, factor)
        return [
            make_detection(item, DETECTOR_ID, "person", "person", score, _body(item, box, factor))
            for box, score in found
        ]

    def _windows(self, image: np.ndarray, factor: float) -> list[tuple[np.ndarray, float]]:
        """The people windows (analysis pixels) and their confidences, after suppression."""
        interpolation = cv2.INTER_LINEAR if factor > 1 else cv2.INTER_AREA
        scaled = cv2.resize(image, None, fx=factor, fy=factor, interpolation=interpolation)
        stride = (self.params.win_stride, self.params.win_stride)
        with self._lock:
            boxes, weights = self._hog.detectMultiScale(
                scaled,
                hitThreshold=self.params.hit_threshold,
                winStride=stride,
                padding=(8, 8),
                scale=self.params.scale,
            )
        if len(boxes) == 0:
            return []
        scores = [squash(w) for w in np.ravel(weights)]
        keep = cv2.dnn.NMSBoxes(
            [list(map(int, b)) for b in boxes],
            scores,
            self.params.min_confidence,
            self.params.nms_iou,
        )
        kept = [(boxes[i], scores[i]) for i in np.ravel(keep)]
        return [(box, score) for box, score in kept if not _around_another(box, score, kept)]


def _around_another(box: np.ndarray, score: float, others: list[tuple[np.ndarray, float]]) -> bool:
    """A window that holds a more confident, much smaller one is a group of people (or the
    street furniture around one) seen as one tall person: the smaller window is the person."""
    x, y, w, h = (float(v) for v in box)
    for other, other_score in others:
        ox, oy, ow, oh = (float(v) for v in other)
        if other_score <= score or ow * oh > 0.5 * w * h:
            continue
        across = min(x + w, ox + ow) - max(x, ox)
        down = min(y + h, oy + oh) - max(y, oy)
        if across > 0 and down > 0 and across * down >= 0.8 * ow * oh:
            return True
    return False


def _body(frame: Frame, window: np.ndarray, factor: float) -> tuple[float, float, float, float]:
    x, y, w, h = (float(v) / factor for v in window)
    return normalised_bbox(
        frame, x + w * _BODY_X, y + h * _BODY_Y, w * (1 - 2 * _BODY_X), h * (1 - 2 * _BODY_Y)
    )


def build(params: Mapping[str, Any] | PeopleParams | None = None) -> PeopleDetector:
    return PeopleDetector(from_mapping(PeopleParams, params))


def run(
    source: Iterable[Frame], params: Mapping[str, Any], token: CancelToken
) -> Iterator[Detection]:
    return run_steps(build(params), source, token)
