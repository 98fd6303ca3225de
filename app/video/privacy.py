"""Privacy by default: where faces are blurred, and how, for display and for snapshots.

Haar cascades alone are not enough for a control room. They cannot find faces smaller than about
20 pixels (every face in a typical overview camera), they miss turned heads, and at full
thoroughness they cost half a second per frame on a workstation's CPU, which would show one
picture a second. So two things are blurred:

- the head of every person (or moving shape) the camera's detectors have boxed: the top of
  the box, widened, wherever the detector sees someone, whatever the size of the face;
- every face the cascades find, for close-ups where a person is not boxed as a whole.

Live display looks for faces on a thread of its own, on the newest picture about once a second,
and blurs each picture shown with the faces found last (and the time before, so that one missed
pass does not uncover a face): the picture is shown at the camera's rate however long the
cascades take. Snapshots, which are kept as evidence and exported, run the cascades on that very
picture with the thorough defaults.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable

import numpy as np

from app.model import Detection
from app.video.display import DisplaySlot, Overlay
from detectors.video.faces import Face, FaceBlurrer, FaceFinder, FaceParams, pixelate

# Classes whose boxes hold a person (motion boxes may be people: blurring a moving car's top
# costs nothing).
PERSON_CLASSES = frozenset({"person", "motion"})
# A head is about an eighth of a standing person's height; a detector's box is looser than
# the body, so the top fifth and most of the width are blurred. Generous on purpose: recall
# matters more than precision.
HEAD_HEIGHT = 0.22
HEAD_WIDTH = 0.7
PAD = 0.25
CELLS = 6

# At most one face search a second per camera on live video.
SEARCH_INTERVAL_S = 1.0
LIVE_FACES = FaceParams(width=320, cascades=("frontalface_default", "profileface"))

Box = tuple[float, float, float, float]


def head_regions(boxes: Iterable[Box], width: int, height: int) -> list[Face]:
    """The head of each normalised person box, in pixels."""
    heads = []
    for x, y, w, h in boxes:
        head_w, head_h = w * HEAD_WIDTH, h * HEAD_HEIGHT
        cx = x + w / 2
        heads.append(
            Face(
                int((cx - head_w / 2) * width),
                int(y * height),
                max(2, int(np.ceil(head_w * width))),
                max(2, int(np.ceil(head_h * height))),
                1.0,
            )
        )
    return heads


def person_boxes_of(items: Iterable[Detection | Overlay]) -> list[Box]:
    return [i.bbox for i in items if i.bbox is not None and i.event_type in PERSON_CLASSES]


def blur_people(image: np.ndarray, boxes: Iterable[Box]) -> np.ndarray:
    heads = head_regions(boxes, image.shape[1], image.shape[0])
    return pixelate(image, heads, PAD, CELLS) if heads else image


class LivePrivacy:
    """One camera's display blur: ``privacy(image)`` returns the picture to show at once; the
    face search runs behind it on the newest picture. ``close()`` ends that search."""

    def __init__(self, slot: DisplaySlot, params: FaceParams = LIVE_FACES) -> None:
        self.slot = slot
        self._finder = FaceFinder(params)
        self._ready = threading.Condition()
        self._newest: np.ndarray | None = None
        self._found: list[Face] = []
        self._before: list[Face] = []
        self._closed = False
        self._thread = threading.Thread(
            target=self._search, name=f"video-faces-{slot.camera_id}", daemon=True
        )
        self._thread.start()

    def __call__(self, image: np.ndarray) -> np.ndarray:
        with self._ready:
            self._newest = image
            faces = self._found + self._before
            self._ready.notify()
        shown = self.slot.latest()
        boxes = person_boxes_of(shown.overlays) if shown is not None else []
        heads = head_regions(boxes, image.shape[1], image.shape[0])
        regions = faces + heads
        return pixelate(image, regions, PAD, CELLS) if regions else image

    def _search(self) -> None:
        while True:
            with self._ready:
                self._ready.wait_for(lambda: self._closed or self._newest is not None)
                if self._closed:
                    return
                image, self._newest = self._newest, None
            started = time.monotonic()
            found = self._finder.find(image)
            with self._ready:
                self._before, self._found = self._found, found
                # Searching without pause would take a core per camera; moving people are
                # covered by their boxes in between.
                rest = SEARCH_INTERVAL_S - (time.monotonic() - started)
                self._ready.wait_for(lambda: self._closed, timeout=max(rest, 0.0))

    def close(self) -> None:
        with self._ready:
            self._closed = True
            self._ready.notify()
        self._thread.join(5)


class SnapshotPrivacy:
    """The thorough blur for pictures that are kept: every face the cascades find on this
    very picture, and the head of every person the detectors boxed on it."""

    def __init__(self) -> None:
        self.faces = FaceBlurrer()

    def __call__(self, image: np.ndarray, detections: Iterable[Detection]) -> np.ndarray:
        return blur_people(self.faces.apply(image), person_boxes_of(detections))
