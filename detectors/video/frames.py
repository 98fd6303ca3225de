"""What flows through a camera's pipeline: frames, and the per-frame detector contract.

A ``Frame`` is immutable once made (its pixels are marked read-only), so the reader thread, the
detector thread and the display can share one without copying or locking.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import numpy as np

from app.model import Detection, Status, new_identifier


@dataclass(frozen=True, slots=True, eq=False)
class Frame:
    """One decoded picture. ``image`` is HxWx3 ``uint8`` BGR (OpenCV's order), C-contiguous and
    read-only; ``index`` counts frames read since the source was opened; ``time`` is the aware
    UTC wall-clock time it was captured (for files: when it was read)."""

    camera_id: str
    index: int
    time: datetime
    image: np.ndarray

    def __post_init__(self) -> None:
        if self.image.ndim != 3 or self.image.shape[2] != 3 or self.image.dtype != np.uint8:
            raise ValueError(f"a frame is HxWx3 uint8, got {self.image.shape} {self.image.dtype}")
        if self.time.tzinfo is None:
            raise ValueError("a frame's time must carry a time zone")
        self.image.flags.writeable = False

    @property
    def width(self) -> int:
        return int(self.image.shape[1])

    @property
    def height(self) -> int:
        return int(self.image.shape[0])


class FrameStepper(Protocol):
    """A video detector's state machine: one frame in, what it found on it out (often nothing).
    ``detectors.api.run_steps`` turns it into the generator form ``run(source, params, token)``."""

    def step(self, item: Frame) -> list[Detection]: ...


def normalised_bbox(
    frame: Frame, x: float, y: float, w: float, h: float
) -> tuple[float, float, float, float]:
    """A pixel box as the (x, y, w, h) fractions of the frame that ``Detection.bbox`` holds,
    clipped to the picture."""
    x0 = min(max(x / frame.width, 0.0), 1.0)
    y0 = min(max(y / frame.height, 0.0), 1.0)
    x1 = min(max((x + w) / frame.width, 0.0), 1.0)
    y1 = min(max((y + h) / frame.height, 0.0), 1.0)
    return (x0, y0, x1 - x0, y1 - y0)


def make_detection(
    frame: Frame,
    detector_id: str,
    event_type: str,
    label: str,
    confidence: float,
    bbox: tuple[float, float, float, float] | None,
    track_id: str | None = None,
    status: Status = Status.ACTUAL,
) -> Detection:
    """A ``Detection`` on ``frame``, timed at the frame (not at when inference finished), so the
    timeline and the snapshot agree."""
    return Detection(
        identifier=new_identifier(),
        detector_id=detector_id,
        source_id=frame.camera_id,
        time=frame.time,
        event_type=event_type,
        label=label,
        confidence=min(max(float(confidence), 0.0), 1.0),
        bbox=bbox,
        track_id=track_id,
        status=status,
    )


class SourceError(Exception):
    """A camera source cannot be opened or read; the message says why, for the operator."""


class FrameSource(Protocol):
    """An opened camera: files, streams, webcams and simulated cameras all look like this.

    ``read`` returns the next BGR picture (HxWx3 uint8), or ``None`` when a file ended or a
    stream stopped delivering (the reader then reconnects, or loops a file). ``fps`` is the
    nominal rate (0.0 when the source does not say); ``live`` is true for sources that deliver
    in real time by themselves (streams, webcams), false for files and generators, which the
    reader paces at ``fps`` when it runs in real time and reads as fast as it can otherwise.
    """

    fps: float
    live: bool

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...
