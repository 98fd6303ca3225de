"""Privacy by default: where faces are blurred, and how, for display and for snapshots.

Haar cascades alone are not enough for a control room. They cannot find faces smaller than about
20 pixels (every face in a typical overview camera), they miss turned heads, and at full
thoroughness they cost half a second per frame on a workstation's CPU, which would show one
picture a second. So two things are blurred:

- the head of every person (or moving shape) the camera's detectors have boxed: the top of
  the box, widened, wherever the detector sees someone, whatever the size of the face;
- every face the cascades find, for close-ups where a person is not boxed as a whole.

Live display runs the cascades on every few pictures and holds what they found in between
(cheap enough for source rate); snapshots, which are kept as evidence and exported, run them
on every picture with the thorough defaults.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np

from app.model import Detection
from app.video.display import DisplaySlot, Overlay
from detectors.video.faces import Face, FaceBlurrer, FaceParams, pixelate

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

LIVE_FACES = FaceParams(
    width=320,
    cascades=("frontalface_default", "profileface"),
    scale_factor=1.2,
    # Once a second at 10 fps: people in motion are covered by their boxes in between, and a
    # face close enough for the cascades rarely crosses the picture in under a second.
    detect_every=10,
    hold_frames=10,
)

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


def live_privacy(slot: DisplaySlot) -> Callable[[np.ndarray], np.ndarray]:
    """One camera's display blur: its own cascade state (held faces) and its latest boxes."""
    faces = FaceBlurrer(LIVE_FACES)

    def blur(image: np.ndarray) -> np.ndarray:
        shown = slot.latest()
        boxes = person_boxes_of(shown.overlays) if shown is not None else []
        return blur_people(faces.apply(image), boxes)

    return blur


class SnapshotPrivacy:
    """The thorough blur for pictures that are kept: every face the cascades find on this
    very picture, and the head of every person the detectors boxed on it."""

    def __init__(self) -> None:
        self.faces = FaceBlurrer()

    def __call__(self, image: np.ndarray, detections: Iterable[Detection]) -> np.ndarray:
        return blur_people(self.faces.apply(image), person_boxes_of(detections))
