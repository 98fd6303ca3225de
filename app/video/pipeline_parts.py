"""The small parts a camera pipeline is made of: the latest-wins slot, the frame clock, the pacer,
the rate meter and the overlays. Each is thread-safe where the pipeline shares it between
threads."""

from __future__ import annotations

import threading
import time
from collections import deque
from datetime import datetime, timedelta
from typing import Generic, TypeVar

import numpy as np

from app.model import Detection, utc_now
from app.terminology import Terminology
from app.video.display import Overlay
from detectors.api import CancelToken
from detectors.video.frames import Frame, FrameSource

T = TypeVar("T")

# A file or generator that does not state its rate is paced at this rate when shown live.
FALLBACK_FPS = 10.0
# A paced reader this far behind its schedule starts a new one instead of racing to catch up.
MAX_LAG_S = 1.0


class LatestSlot(Generic[T]):
    """A queue of length one: ``put`` replaces what the taker has not taken yet (and counts it
    as ``overwritten``), so a slow taker always gets the newest item and never a backlog."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._item: T | None = None
        self._full = False
        self._closed = False
        self.overwritten = 0

    def put(self, item: T) -> None:
        with self._condition:
            if self._full:
                self.overwritten += 1
            self._item, self._full = item, True
            self._condition.notify()

    def take(self, timeout: float) -> T | None:
        """The waiting item, waiting up to ``timeout`` for one; None when none came or the
        slot was closed."""
        with self._condition:
            self._condition.wait_for(lambda: self._full or self._closed, timeout)
            if not self._full:
                return None
            item, self._item, self._full = self._item, None, False
            return item

    def close(self) -> None:
        """Wakes every taker at once (the pipeline is stopping)."""
        with self._condition:
            self._closed = True
            self._condition.notify_all()

    def __len__(self) -> int:
        with self._condition:
            return int(self._full)


class FrameClock:
    """Makes every ``Frame`` of one camera, so that live reading and batch analysis number and
    time them the same way.

    ``index`` runs on across reconnections and loops, so it never repeats within a pipeline.
    In wall-clock mode a frame is timed when it was read. In scene-time mode (a file analysed
    faster than real time) a frame of a source with a known rate is timed at the open time plus
    its position in the file, so durations a detector measures (loitering, a frozen picture)
    are the scene's, not the decoder's.
    """

    def __init__(self, camera_id: str, scene_time: bool = False) -> None:
        self.camera_id = camera_id
        self.scene_time = scene_time
        self._index = 0
        self._since_open = 0
        self._period = 0.0
        self._base = utc_now()
        self._last: datetime | None = None

    def opened(self, source: FrameSource) -> None:
        """A (re)opened source: scene time restarts from now, never before the last frame."""
        fps = source.fps
        self._period = 1.0 / fps if self.scene_time and not source.live and fps > 0 else 0.0
        self._since_open = 0
        start = utc_now()
        if self._last is not None and self._last >= start:
            start = self._last + timedelta(seconds=self._period or 1e-3)
        self._base = start

    def frame(self, image: np.ndarray) -> Frame:
        if self._period:
            when = self._base + timedelta(seconds=self._since_open * self._period)
        else:
            when = utc_now()
        frame = Frame(self.camera_id, self._index, when, image)
        self._index += 1
        self._since_open += 1
        self._last = when
        return frame


class Pacer:
    """Holds a reader of a file or generator to the source's own rate. It sleeps on the cancel
    token, so stopping the pipeline wakes it at once."""

    def __init__(self, token: CancelToken) -> None:
        self._token = token
        self._period = 0.0
        self._due = time.monotonic()

    def reset(self, fps: float) -> None:
        """Starts a schedule at ``fps`` (0: no pacing) from now."""
        self._period = 1.0 / fps if fps > 0 else 0.0
        self._due = time.monotonic()

    def wait(self) -> bool:
        """Sleeps until the next frame is due; False when the pipeline was stopped."""
        if self._period:
            self._due += self._period
            delay = self._due - time.monotonic()
            if delay < -MAX_LAG_S:
                self._due = time.monotonic()
            elif delay > 0:
                return not self._token.wait(delay)
        return not self._token.cancelled


class RateMeter:
    """Events per second over the last ``window_s`` (0 once they stopped for that long)."""

    def __init__(self, window_s: float = 2.0) -> None:
        self.window_s = window_s
        self._times: deque[float] = deque()
        self._lock = threading.Lock()

    def tick(self) -> None:
        now = time.monotonic()
        with self._lock:
            self._times.append(now)
            self._prune(now)

    def rate(self) -> float:
        with self._lock:
            self._prune(time.monotonic())
            if len(self._times) < 2:
                return 0.0
            span = self._times[-1] - self._times[0]
            return (len(self._times) - 1) / span if span > 0 else 0.0

    def _prune(self, now: float) -> None:
        while self._times and now - self._times[0] > self.window_s:
            self._times.popleft()


def overlays_for(found: list[Detection], terminology: Terminology) -> tuple[Overlay, ...]:
    """The boxes to draw for ``found``; those of shared event types are drawn as alerting."""
    return tuple(
        Overlay(
            d.bbox, d.event_type, d.label, d.confidence, d.track_id, terminology.knows(d.event_type)
        )
        for d in found
        if d.bbox is not None
    )
