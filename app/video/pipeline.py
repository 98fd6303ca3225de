"""One camera's pipeline: a reader, an analysis, a display and a status thread, Qt-free.

The reader decodes frames and hands each to two latest-wins slots, one for the detectors and
one for the display, so that neither a slow detector nor a slow face blur ever holds up the
picture or queues frames: they skip what they had no time for, and the skips are counted.
The reader reconnects a lost source with jittered exponential backoff; a camera silent for
``offline_after_s`` raises one ``camera_offline`` detection per silence, and the tampering
watch raises ``camera_tampering`` when the picture goes black, featureless or frozen.
Detectors and callbacks that raise are logged and reported in the status; no failure of theirs
ends a thread. ``stop()`` wakes every thread and joins it.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from app.model import Detection
from app.sync.backoff import Backoff
from app.terminology import Terminology, default_terminology
from app.video.display import DisplaySlot, Point
from app.video.messages import CameraStatus
from app.video.pipeline_batch import analyse_source
from app.video.pipeline_health import CameraHealth, offline_detection
from app.video.pipeline_parts import LatestSlot, overlays_for
from app.video.pipeline_reader import Opener, SourceReader
from detectors.api import CancelToken
from detectors.video.capture import CaptureOptions, open_source
from detectors.video.frames import Frame, FrameStepper
from detectors.video.tamper import TamperParams, TamperWatch
from i18n import gettext

__all__ = ["CameraPipeline", "LatestSlot", "PipelineOptions", "analyse_source", "overlays_for"]

log = logging.getLogger(__name__)

Findings = Callable[[Frame | None, list[Detection]], None]
Privacy = Callable[[np.ndarray], np.ndarray]
IDLE_WAIT_S = 0.25  # how long a waiting thread sleeps before it looks at the cancel token


@dataclass(frozen=True, slots=True, kw_only=True)
class PipelineOptions:
    """``realtime``: pace files and generators at their own rate (False: read as fast as they
    decode; the detectors still get only the latest frame; use ``analyse_source`` to analyse
    every frame). ``loop``: start a file again when it ends. ``tamper``: None turns the
    tampering watch off."""

    realtime: bool = True
    loop: bool = True
    offline_after_s: float = 5.0
    status_interval_s: float = 1.0
    reconnect_base_s: float = 1.0
    reconnect_cap_s: float = 30.0
    open_timeout_s: float = 5.0
    read_timeout_s: float = 5.0
    tamper: TamperParams | None = field(default_factory=TamperParams)
    # At most this many analysed frames a second (0: as many as the detectors manage). A
    # costly detector on several cameras would otherwise take every core the GUI needs.
    max_analysis_fps: float = 0.0


class CameraPipeline:
    """``on_findings(frame, detections)`` is called from the analysis thread with what was
    found on a frame, and with ``(None, [camera_offline])`` from the status thread;
    ``on_status`` from the status thread about every ``status_interval_s``. Both must be quick
    and thread-safe (publish on the hub, put in a queue). ``privacy`` gets the read-only
    picture and returns a blurred copy; when it is set, no unblurred picture is ever shown."""

    def __init__(
        self,
        camera_id: str,
        name: str,
        uri: str,
        display: DisplaySlot,
        on_findings: Findings,
        on_status: Callable[[CameraStatus], None],
        stages: FrameStepper | None = None,
        privacy: Privacy | None = None,
        options: PipelineOptions = PipelineOptions(),
        opener: Opener | None = None,
        terms: Terminology | None = None,
    ) -> None:
        self.camera_id, self.name, self.uri = camera_id, name, uri
        # Which boxes are drawn as alerting; read once, not per analysed frame.
        self._terms = terms or default_terminology()
        self.display, self.options = display, options
        self._on_findings, self._on_status = on_findings, on_status
        self._lock = threading.Lock()
        self._stages, self._privacy = stages, privacy
        self._zones: tuple[tuple[Point, ...], ...] = ()
        self._lines: tuple[tuple[Point, Point], ...] = ()
        self._token = CancelToken()
        self._to_analyse: LatestSlot[Frame] = LatestSlot()
        self._to_display: LatestSlot[Frame] = LatestSlot()
        self._health = CameraHealth(options.offline_after_s)
        timeouts = CaptureOptions(options.open_timeout_s, options.read_timeout_s)
        self._reader = SourceReader(
            camera_id,
            uri,
            opener or functools.partial(open_source, options=timeouts),
            self._token,
            self._health,
            self._frame_read,
            realtime=options.realtime,
            loop=options.loop,
            backoff=Backoff(options.reconnect_base_s, options.reconnect_cap_s),
        )
        self._threads: list[threading.Thread] = []
        self._last_error = ""
        self._privacy_failing = False
        self.frames_analysed = 0

    # -- control (any thread) -------------------------------------------------------------

    def start(self) -> None:
        if self._threads:
            raise RuntimeError(f"camera {self.camera_id} pipeline already started")
        roles = {
            "read": self._reader.run,
            "analyse": self._analysis_loop,
            "display": self._display_loop,
            "status": self._status_loop,
        }
        for role, target in roles.items():
            name = f"video-{role}-{self.camera_id}"
            self._threads.append(threading.Thread(target=target, name=name, daemon=True))
        for thread in self._threads:
            thread.start()

    def stop(self, timeout: float = 10.0) -> bool:
        """Stops and joins every thread; False (and a warning) if one did not end in time,
        which only a stream read blocked in FFmpeg can do, for at most its read timeout."""
        self._token.cancel()
        self._to_analyse.close()
        self._to_display.close()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))
        alive = [t.name for t in self._threads if t.is_alive()]
        if alive:
            log.warning("Camera %s: threads still running after stop: %s", self.camera_id, alive)
        return not alive

    def set_stages(self, stages: FrameStepper | None) -> None:
        """The detectors to run from the next analysed frame on (None: tampering only)."""
        with self._lock:
            self._stages = stages

    def set_privacy(self, privacy: Privacy | None) -> None:
        """The face blur to apply from the next displayed frame on (None: show as decoded)."""
        with self._lock:
            self._privacy = privacy

    def set_zones(self, zones: tuple[tuple[Point, ...], ...]) -> None:
        """The zone outlines (normalised image polygons) drawn from the next frame on."""
        with self._lock:
            self._zones = tuple(tuple(polygon) for polygon in zones)

    def set_lines(self, lines: tuple[tuple[Point, Point], ...]) -> None:
        """The counting lines (normalised image coordinates) drawn from the next frame on."""
        with self._lock:
            self._lines = tuple(lines)

    # -- read-only statistics ---------------------------------------------------------------

    @property
    def frames_read(self) -> int:
        return self._reader.frames_read

    @property
    def reconnects(self) -> int:
        return self._reader.reconnects

    @property
    def fps(self) -> float:
        """Frames read per second, measured over the last two seconds."""
        return self._reader.rate.rate()

    @property
    def frames_skipped(self) -> int:
        return self._to_analyse.overwritten

    @property
    def analysis_backlog(self) -> int:
        """Frames waiting for the detectors: never more than one."""
        return len(self._to_analyse)

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._threads)

    def status(self) -> CameraStatus:
        state, problem = self._health.state()
        return CameraStatus(
            camera_id=self.camera_id,
            name=self.name,
            state=state,
            problem=problem,
            fps=self.fps,
            last_frame_age_s=self._health.last_frame_age_s(),
            reconnects=self.reconnects,
            frames_read=self.frames_read,
            frames_analysed=self.frames_analysed,
            frames_skipped=self.frames_skipped,
        )

    def _frame_read(self, frame: Frame) -> None:
        self._to_analyse.put(frame)
        self._to_display.put(frame)

    # -- analysis thread ----------------------------------------------------------------------

    def _analysis_loop(self) -> None:
        tamper = TamperWatch(self.options.tamper) if self.options.tamper else None
        while not self._token.cancelled:
            frame = self._to_analyse.take(IDLE_WAIT_S)
            if frame is None:
                continue
            with self._lock:
                stages = self._stages
            started = time.monotonic()
            found = self._run_stage(tamper, frame) + self._run_stage(stages, frame)
            self.frames_analysed += 1
            if found:
                self._deliver(frame, found)
            self.display.put_overlays(frame.time, overlays_for(found, self._terms))
            if self.options.max_analysis_fps > 0:
                rest = 1.0 / self.options.max_analysis_fps - (time.monotonic() - started)
                if rest > 0:
                    self._token.wait(rest)

    def _run_stage(self, stage: FrameStepper | None, frame: Frame) -> list[Detection]:
        if stage is None:
            return []
        try:
            return list(stage.step(frame))
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if error != self._last_error:  # once per distinct error, not at the frame rate
                log.exception("Camera %s: detector %r failed", self.camera_id, stage)
                self._last_error = error
            self._health.detector_failed(gettext("A detector failed: {error}").format(error=error))
            return []

    def _deliver(self, frame: Frame | None, found: list[Detection]) -> None:
        try:
            self._on_findings(frame, found)
        except Exception:
            log.exception(
                "Camera %s: handing over %d detections failed", self.camera_id, len(found)
            )

    # -- display thread -----------------------------------------------------------------------

    def _display_loop(self) -> None:
        while not self._token.cancelled:
            frame = self._to_display.take(IDLE_WAIT_S)
            if frame is None:
                continue
            with self._lock:
                privacy, zones, lines = self._privacy, self._zones, self._lines
            image = frame.image
            if privacy is not None:
                try:
                    image = privacy(frame.image)
                except Exception as exc:  # never fall back to showing unblurred faces
                    self._privacy_failed(exc)
                    continue
                self._privacy_failing = False
                self._health.privacy_problem("")
            self.display.put_image(frame.time, image, privacy is not None, zones, lines)

    def _privacy_failed(self, exc: Exception) -> None:
        if not self._privacy_failing:  # the traceback once, not at the frame rate
            log.exception(
                "Camera %s: face blurring failed; not showing the picture", self.camera_id
            )
            self._privacy_failing = True
        problem = gettext("Face blurring failed, so the picture is not shown: {error}")
        self._health.privacy_problem(problem.format(error=exc))

    # -- status thread ------------------------------------------------------------------------

    def _status_loop(self) -> None:
        while not self._token.wait(self.options.status_interval_s):
            if self._health.newly_offline():
                log.warning("Camera %s is offline", self.camera_id)
                self._deliver(None, [offline_detection(self.camera_id)])
            try:
                self._on_status(self.status())
            except Exception:
                log.exception("Camera %s: publishing its status failed", self.camera_id)
