"""The reader thread of a camera pipeline: open, read, pace, and reconnect when the source fails.

A lost source is opened again after a jittered exponential backoff (1 s doubling to 30 s by
default), so a dead camera costs nothing and a dozen cameras behind one failed switch do not
all retry in the same second. A file that played through starts again at once when looping.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from app.sync.backoff import Backoff
from app.video.pipeline_health import CameraHealth
from app.video.pipeline_parts import FALLBACK_FPS, FrameClock, Pacer, RateMeter
from detectors.api import CancelToken
from detectors.video.capture import mask_credentials
from detectors.video.frames import Frame, FrameSource, SourceError
from i18n import gettext

log = logging.getLogger(__name__)

Opener = Callable[[str], FrameSource]


class SourceReader:
    """Reads one camera's source until ``token`` is cancelled, handing every frame to
    ``on_frame`` and telling ``health`` what happens. ``realtime`` paces files and generators
    at their rate; ``loop`` starts a file again when it ends (otherwise reading ends there)."""

    def __init__(
        self,
        camera_id: str,
        uri: str,
        opener: Opener,
        token: CancelToken,
        health: CameraHealth,
        on_frame: Callable[[Frame], None],
        *,
        realtime: bool,
        loop: bool,
        backoff: Backoff,
    ) -> None:
        self.camera_id, self.uri, self._opener = camera_id, uri, opener
        self._token, self._health, self._on_frame = token, health, on_frame
        self.realtime, self.loop, self._backoff = realtime, loop, backoff
        self.clock = FrameClock(camera_id)
        self.rate = RateMeter()
        self.frames_read = 0
        self.reconnects = 0

    def run(self) -> None:
        while not self._token.cancelled:
            source = self._connect()
            if source is None:
                self._retry_later()
                continue
            try:
                count = self._read_until_end(source)
            finally:
                source.close()
            if self._token.cancelled:
                return
            if count and not source.live:
                if not self.loop:
                    self._health.source_ended()
                    log.info("Camera %s: the file ended", self.camera_id)
                    return
                self._backoff.reset()  # a file that played through: start it again at once
                continue
            if count:
                self._backoff.reset()
            self._health.source_failed(gettext("The camera stopped sending pictures; reconnecting"))
            log.warning("Camera %s: no more frames from %s", self.camera_id, self._shown_uri)
            self._retry_later()

    @property
    def _shown_uri(self) -> str:
        return mask_credentials(self.uri)

    def _connect(self) -> FrameSource | None:
        try:
            source = self._opener(self.uri)
        except SourceError as exc:
            self._health.source_failed(str(exc))
            log.warning("Camera %s: %s", self.camera_id, mask_credentials(str(exc)))
            return None
        except Exception as exc:  # a broken opener (a plug-in source) must not end the thread
            log.exception("Camera %s: opening %s failed", self.camera_id, self._shown_uri)
            problem = gettext("The camera source failed: {error}")
            self._health.source_failed(problem.format(error=mask_credentials(str(exc))))
            return None
        self.clock.opened(source)
        return source

    def _retry_later(self) -> None:
        if not self._token.wait(self._backoff.next_delay()):
            self.reconnects += 1

    def _read_until_end(self, source: FrameSource) -> int:
        """Reads until the source ends, fails or the pipeline stops; the number of frames."""
        pacer = Pacer(self._token)
        paced = self.realtime and not source.live
        pacer.reset((source.fps or FALLBACK_FPS) if paced else 0.0)
        count = 0
        while not self._token.cancelled:
            try:
                image = source.read()
                frame = None if image is None else self.clock.frame(image)
            except Exception:
                log.exception("Camera %s: reading %s failed", self.camera_id, self._shown_uri)
                return count
            if frame is None:
                return count
            count += 1
            self.frames_read += 1
            self.rate.tick()
            self._health.frame_arrived()
            self._on_frame(frame)
            if not pacer.wait():
                break
        return count
