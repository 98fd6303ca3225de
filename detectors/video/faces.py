"""Faces: finding them (OpenCV Haar cascades) and blurring them (privacy by default, GDPR).

The blur is what the display, the snapshots and the dataset export apply before a picture leaves
the pipeline, so it leans towards blurring too much: two frontal cascades (each finds faces the
other misses) plus the profile cascade, run on the picture and on its mirror image (it only
knows faces turned one way), few neighbours are asked of a hit, and each face is blurred with a
generous margin for hair, ears and chin. The cascades run on a downscaled, histogram-equalised
grey copy: they only look at brightness, equalising helps backlit and dim faces, and their cost
grows with pixels.

Known limits: Haar cascades miss faces much smaller than about 20 pixels in the analysis copy
(distant people: raise ``width``), faces tilted past ~30°, and some strongly turned or shouting
faces; a person detector's head region is the safer blur where that matters.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from app.model import Detection
from detectors.api import CancelToken, run_steps
from detectors.video.cv import cv2
from detectors.video.frames import Frame, make_detection, normalised_bbox
from detectors.video.params import check, from_mapping, number_in, whole_in

DETECTOR_ID = "faces"
CASCADES = ("frontalface_default", "frontalface_alt2", "profileface")


def _known_cascades(value: Any) -> bool:
    return (
        isinstance(value, tuple)
        and len(value) > 0
        and all(isinstance(name, str) and os.path.isfile(_cascade_path(name)) for name in value)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class FaceParams:
    """``width``: pictures wider than this are analysed downscaled to it; ``cascades``: the
    OpenCV Haar cascades run (names without ``haarcascade_`` and ``.xml``; a profile cascade
    also runs mirrored); ``scale_factor``: the cascades' pyramid step (smaller finds more,
    costs more); ``min_neighbors``: overlapping hits a face needs (low: more faces, more false
    ones); ``min_size``: the smallest face in analysis pixels; ``pad``: margin added on each
    side of a face before blurring, as a fraction of its size; ``cells``: the mosaic's blocks
    across a blurred region; ``hold_frames``: a blurrer on one camera's video keeps blurring
    where faces were for this many more pictures, so a face the cascades miss on one frame
    does not flash into view (0: each picture on its own, as snapshots and exports need);
    ``detect_every``: a video blurrer looks for faces on every n-th picture only and blurs
    the held ones in between (held at least n - 1 pictures): n times cheaper, at the price of
    a face that walks in showing for up to n - 1 pictures; 1, the default, looks every time."""

    width: int = 480
    cascades: tuple[str, ...] = CASCADES
    scale_factor: float = 1.15
    min_neighbors: int = 3
    min_size: int = 20
    pad: float = 0.25
    cells: int = 8
    hold_frames: int = 0
    detect_every: int = 1

    def __post_init__(self) -> None:
        check(
            self,
            {
                "width": (whole_in(64, 4096), "a whole number of pixels from 64 to 4096"),
                "cascades": (_known_cascades, "a list of OpenCV Haar cascade names"),
                "scale_factor": (number_in(1.01, 2.0), "a number from 1.01 to 2"),
                "min_neighbors": (whole_in(0, 50), "a whole number from 0 to 50"),
                "min_size": (whole_in(8, 512), "a whole number of pixels from 8 to 512"),
                "pad": (number_in(0, 2), "a fraction from 0 to 2"),
                "cells": (whole_in(2, 64), "a whole number from 2 to 64"),
                "hold_frames": (whole_in(0, 1000), "a whole number >= 0"),
                "detect_every": (whole_in(1, 1000), "a whole number >= 1"),
            },
        )


@dataclass(frozen=True, slots=True)
class Face:
    """A face in the pixels of the picture it was found in; ``confidence`` grows with the
    number of overlapping cascade hits."""

    x: int
    y: int
    w: int
    h: int
    confidence: float


class FaceFinder:
    """The cascades, loaded once per finder; safe to share between threads (calls queue)."""

    def __init__(self, params: FaceParams | None = None) -> None:
        self.params = params or FaceParams()
        self._cascades = [(_cascade(name), "profile" in name) for name in self.params.cascades]
        self._lock = threading.Lock()

    def find(self, image: np.ndarray) -> list[Face]:
        """Every hit of every cascade (overlaps included: for blurring, more is safer)."""
        factor = min(1.0, self.params.width / image.shape[1])
        grey = _equalised_grey(image, factor)
        mirror = cv2.flip(grey, 1) if any(both for _, both in self._cascades) else None
        found: list[Face] = []
        with self._lock:
            for cascade, both_ways in self._cascades:
                found += self._hits(cascade, grey, mirrored=False)
                if both_ways:
                    found += self._hits(cascade, mirror, mirrored=True)
        return [_scaled(face, factor) for face in found]

    def _hits(self, cascade: Any, grey: np.ndarray, *, mirrored: bool) -> list[Face]:
        size = (self.params.min_size, self.params.min_size)
        boxes, neighbours = cascade.detectMultiScale2(
            grey,
            scaleFactor=self.params.scale_factor,
            minNeighbors=self.params.min_neighbors,
            minSize=size,
        )
        faces = []
        for (x, y, w, h), count in zip(boxes, np.ravel(neighbours), strict=True):
            left = grey.shape[1] - x - w if mirrored else x
            confidence = 1.0 - float(np.exp(-float(count) / 8.0))
            faces.append(Face(int(left), int(y), int(w), int(h), confidence))
        return faces


def _cascade_path(name: str) -> str:
    return os.path.join(cv2.data.haarcascades, f"haarcascade_{name}.xml")


def _cascade(name: str) -> Any:
    path = _cascade_path(name)
    cascade = cv2.CascadeClassifier(path)
    if cascade.empty():
        raise OSError(f"the OpenCV face model {path} is missing or unreadable")
    return cascade


def _equalised_grey(image: np.ndarray, factor: float) -> np.ndarray:
    if factor < 1.0:
        image = cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    return cv2.equalizeHist(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))


def _scaled(face: Face, factor: float) -> Face:
    if factor == 1.0:
        return face
    x, y, w, h = (round(v / factor) for v in (face.x, face.y, face.w, face.h))
    return Face(x, y, w, h, face.confidence)


def pixelate(image: np.ndarray, faces: Sequence[Face], pad: float, cells: int) -> np.ndarray:
    """A copy of ``image`` with each face (grown by ``pad`` on every side) replaced by a
    smoothed mosaic of ``cells`` blocks across: averaging into so few blocks throws the
    detail away for good (unlike a light Gaussian blur, which can be partly undone), and the
    smooth enlargement keeps the block edges from drawing a false face outline."""
    blurred = image.copy()
    height, width = image.shape[:2]
    for face in faces:
        x0, y0 = max(0, int(face.x - pad * face.w)), max(0, int(face.y - pad * face.h))
        x1 = min(width, int(np.ceil(face.x + face.w * (1 + pad))))
        y1 = min(height, int(np.ceil(face.y + face.h * (1 + pad))))
        if x1 - x0 < 2 or y1 - y0 < 2:
            continue
        region = blurred[y0:y1, x0:x1]
        across = max(1, min(cells, x1 - x0))
        down = max(1, min(round(cells * (y1 - y0) / (x1 - x0)), y1 - y0))
        mosaic = cv2.resize(region, (across, down), interpolation=cv2.INTER_AREA)
        blurred[y0:y1, x0:x1] = cv2.resize(
            mosaic, (x1 - x0, y1 - y0), interpolation=cv2.INTER_LINEAR
        )
    return blurred


class FaceBlurrer:
    """``apply(image)`` returns a new picture with every face found blurred beyond
    recognition; it never changes ``image``. When no face is found (and none is held, see
    ``FaceParams.hold_frames``) it returns ``image`` itself, unchanged, to save a copy. One
    blurrer may serve several threads; give each camera its own when faces are held."""

    def __init__(self, params: FaceParams | None = None, finder: FaceFinder | None = None) -> None:
        self.params = params or FaceParams()
        self.finder = finder or FaceFinder(self.params)
        hold = max(self.params.hold_frames, self.params.detect_every - 1)
        self._held: deque[tuple[tuple[int, ...], tuple[Face, ...]]] = deque(maxlen=hold)
        self._calls = 0
        self._lock = threading.Lock()

    def apply(self, image: np.ndarray) -> np.ndarray:
        with self._lock:
            looks = self._calls % self.params.detect_every == 0
            self._calls += 1
        found = self.finder.find(image) if looks else []
        faces = found + self._remembered(image.shape, found)
        if not faces:
            return image
        return pixelate(image, faces, self.params.pad, self.params.cells)

    def _remembered(self, shape: tuple[int, ...], found: list[Face]) -> list[Face]:
        """The faces held from earlier pictures of the same size; remembers ``found``."""
        with self._lock:
            held = [face for size, old in self._held if size == shape for face in old]
            self._held.append((shape, tuple(found)))
        return held


class FaceDetector:
    """The ``faces`` video detector: one ``face`` detection per face found (overlapping hits
    of the several cascades merged)."""

    def __init__(self, params: FaceParams | None = None) -> None:
        self.finder = FaceFinder(params)

    def step(self, item: Frame) -> list[Detection]:
        faces = self.finder.find(item.image)
        if not faces:
            return []
        keep = cv2.dnn.NMSBoxes(
            [[f.x, f.y, f.w, f.h] for f in faces], [f.confidence for f in faces], 0.0, 0.3
        )
        return [
            make_detection(
                item,
                DETECTOR_ID,
                "face",
                "face",
                faces[i].confidence,
                normalised_bbox(item, faces[i].x, faces[i].y, faces[i].w, faces[i].h),
            )
            for i in np.ravel(keep)
        ]


def build(params: Mapping[str, Any] | FaceParams | None = None) -> FaceDetector:
    return FaceDetector(from_mapping(FaceParams, params))


def run(
    source: Iterable[Frame], params: Mapping[str, Any], token: CancelToken
) -> Iterator[Detection]:
    return run_steps(build(params), source, token)
