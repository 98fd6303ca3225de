"""Camera tampering: a picture that went black, lost its detail (covered or defocused), or froze.

A camera that is sprayed, taped over, turned to the sky or whose encoder hangs still delivers
frames, so the pipeline thinks it is healthy and every detector on it goes quiet: the operator
reads the silence as "all normal". Every video management system raises this as an alert; so do
we. Each frame is measured on a small grey copy (about a millisecond whatever the resolution):

- black: mean luminance below ``black_luma`` (lens cap, cut video signal, IR failure at night);
- covered: almost no detail, measured as the variance of the Laplacian (tape, spray, a hand,
  a badly defocused lens, a camera turned to a blank wall or the sky);
- frozen: practically no pixel changed since the previous frame (a hung encoder or a stream
  that repeats its last picture); a live scene always has some sensor noise.

A condition must last ``min_duration_s`` of *frame* time, so that a passing truck or a light
switched off for a second raise nothing, and so that a file analysed faster than real time
behaves as it would live. It is reported once per episode, and again only after the picture
was normal for ``rearm_after_s``, so a camera that stays covered does not raise every second.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

import numpy as np

from app.model import Detection
from detectors.video.cv import cv2
from detectors.video.frames import Frame, make_detection

DETECTOR_ID = "tamper"
EVENT_TYPE = "camera_tampering"
BLACK, COVERED, FROZEN = "black", "covered", "frozen"


@dataclass(frozen=True, slots=True, kw_only=True)
class TamperParams:
    """Thresholds, all measured on the grey copy ``analysis_width`` pixels wide (0..255 grey).

    ``covered_detail`` is a Laplacian variance: a sharp outdoor scene gives thousands, a heavy
    blur single digits. ``frozen_delta`` is the grey difference below which a pixel counts as
    unchanged, ``frozen_changed_fraction`` the share of changed pixels below which the whole
    frame counts as the same picture again.
    """

    min_duration_s: float = 10.0
    rearm_after_s: float = 5.0
    black_luma: float = 16.0
    covered_detail: float = 50.0
    frozen_delta: int = 2
    frozen_changed_fraction: float = 0.001
    analysis_width: int = 160

    def __post_init__(self) -> None:
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
                raise ValueError(f"{item.name}: must be a number >= 0 (got {value!r})")
        if self.analysis_width < 16:
            raise ValueError(f"analysis_width: must be at least 16 (got {self.analysis_width})")

    @classmethod
    def from_mapping(cls, params: Mapping[str, Any]) -> TamperParams:
        """From settings; an unknown key is an error, not silently ignored."""
        known = {item.name for item in fields(cls)}
        unknown = sorted(set(params) - known)
        if unknown:
            raise ValueError(f"unknown tampering parameters {unknown}; known: {sorted(known)}")
        return cls(**dict(params))


class TamperWatch:
    """The per-camera state machine (a ``FrameStepper``): frames in, ``camera_tampering``
    detections (``label`` one of ``black``, ``covered``, ``frozen``; no box) out."""

    def __init__(self, params: TamperParams | None = None) -> None:
        self.params = params or TamperParams()
        self._previous: np.ndarray | None = None
        self._condition: str | None = None
        self._since: datetime | None = None
        self._normal_since: datetime | None = None
        self._armed = True

    def step(self, item: Frame) -> list[Detection]:
        grey = self._small_grey(item.image)
        condition = self.classify(grey, self._previous)
        self._previous = grey
        return self._track(item, condition)

    def classify(self, grey: np.ndarray, previous: np.ndarray | None) -> str | None:
        """What is wrong with this (small grey) picture, if anything; black first, since a
        black picture is also featureless and unchanging."""
        p = self.params
        if float(grey.mean()) < p.black_luma:
            return BLACK
        detail = float(cv2.meanStdDev(cv2.Laplacian(grey, cv2.CV_16S))[1][0, 0]) ** 2
        if detail < p.covered_detail:
            return COVERED
        if previous is not None and previous.shape == grey.shape:
            changed = np.count_nonzero(cv2.absdiff(grey, previous) > p.frozen_delta)
            if changed <= p.frozen_changed_fraction * grey.size:
                return FROZEN
        return None

    def _small_grey(self, image: np.ndarray) -> np.ndarray:
        target = self.params.analysis_width
        step = image.shape[1] // (2 * target)
        if step > 1:  # a large picture: every step-th pixel first, a cheap pre-shrink
            image = image[::step, ::step]
        height, width = image.shape[:2]
        if width > target:
            size = (target, max(1, round(height * target / width)))
            image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)

    def _track(self, frame: Frame, condition: str | None) -> list[Detection]:
        now = frame.time
        if condition is None:
            self._condition = self._since = None
            self._normal_since = self._normal_since or now
            normal_s = (now - self._normal_since).total_seconds()
            if not self._armed and normal_s >= self.params.rearm_after_s:
                self._armed = True
            return []
        self._normal_since = None
        if condition != self._condition or self._since is None:
            self._condition, self._since = condition, now
        lasted_s = (now - self._since).total_seconds()
        if not self._armed or lasted_s < self.params.min_duration_s:
            return []
        self._armed = False
        return [make_detection(frame, DETECTOR_ID, EVENT_TYPE, condition, 1.0, None)]
