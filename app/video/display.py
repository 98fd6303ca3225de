"""What a camera pipeline hands the video panel: the latest picture and its overlays.

Frames are not sent as messages: at 10-30 frames a second per camera that would queue pictures
the GUI may not have time to draw. Each camera has one ``DisplaySlot`` instead; the pipeline's
threads overwrite it and the panel reads it at its own draw rate. Latest wins, nothing queues,
and neither side waits longer than a pointer swap under a lock.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import numpy as np

# Boxes older than this (in frame time) are no longer drawn: a detector that fell behind must
# not leave boxes where nobody stands any more.
OVERLAY_MAX_AGE = timedelta(seconds=1.0)

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class Overlay:
    """One box to draw. ``bbox`` is normalised (x, y, w, h); ``event_type`` is a terminology id
    (``person``, ``knife``, ``person_in_restricted_zone``...) or a detector's own class."""

    bbox: tuple[float, float, float, float]
    event_type: str
    label: str
    confidence: float
    track_id: str | None = None
    alerting: bool = False


@dataclass(frozen=True, slots=True)
class DisplayFrame:
    """A picture that may be shown: when ``blurred`` is true, faces are already blurred in
    ``image`` (HxWx3 uint8 BGR, read-only). ``seq`` grows by one per new picture, so a reader
    can tell a new frame from the one it already drew. ``zones`` and ``lines`` are the
    camera's analytics geometry in normalised image coordinates, for drawing."""

    camera_id: str
    seq: int
    time: datetime
    image: np.ndarray
    blurred: bool
    overlays: tuple[Overlay, ...] = ()
    zones: tuple[tuple[Point, ...], ...] = ()
    lines: tuple[tuple[Point, Point], ...] = ()


class DisplaySlot:
    """The latest picture of one camera and the latest overlays, combined when read."""

    def __init__(self, camera_id: str) -> None:
        self.camera_id = camera_id
        self._lock = threading.Lock()
        self._frame: DisplayFrame | None = None
        self._overlays: tuple[Overlay, ...] = ()
        self._overlay_time: datetime | None = None
        self._seq = 0

    def put_image(
        self,
        time: datetime,
        image: np.ndarray,
        blurred: bool,
        zones: tuple[tuple[Point, ...], ...] = (),
        lines: tuple[tuple[Point, Point], ...] = (),
    ) -> None:
        image.flags.writeable = False
        with self._lock:
            self._seq += 1
            self._frame = DisplayFrame(
                self.camera_id, self._seq, time, image, blurred, (), zones, lines
            )

    def put_overlays(self, time: datetime, overlays: tuple[Overlay, ...]) -> None:
        with self._lock:
            self._overlays = overlays
            self._overlay_time = time

    def latest(self) -> DisplayFrame | None:
        with self._lock:
            frame, overlays, when = self._frame, self._overlays, self._overlay_time
        if frame is None:
            return None
        if when is None or frame.time - when > OVERLAY_MAX_AGE:
            return frame
        return replace(frame, overlays=overlays)

    def clear(self) -> None:
        with self._lock:
            self._frame = None
            self._overlays = ()
            self._overlay_time = None
