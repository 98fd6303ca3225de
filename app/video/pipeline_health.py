"""What a camera pipeline's threads know about its health, in one place under one lock.

The reader says when frames arrive and why the source failed, the analysis thread when a
detector failed, the display thread when face blurring failed; the status thread reads it all
once a second to publish a ``CameraStatus`` and to decide, once per silence, that the camera is
offline. Problems are kept as translated sentences because that is what operators read.
"""

from __future__ import annotations

import threading
import time

from app.messages import HealthState
from app.model import Detection, new_identifier, utc_now
from i18n import format_decimal, gettext, ngettext

# A detector that failed keeps the camera DEGRADED this long after its last failure, so an
# intermittent failure shows in a once-a-second status instead of flickering in and out.
DETECTOR_PROBLEM_HOLD_S = 10.0


class CameraHealth:
    def __init__(self, offline_after_s: float) -> None:
        self.offline_after_s = offline_after_s
        self._lock = threading.Lock()
        self._started = time.monotonic()
        self._last_frame: float | None = None
        self._source_problem = ""
        self._detector_problem = ""
        self._detector_failed_at = 0.0
        self._privacy_problem = ""
        self._offline_reported = False
        self._ended = False

    def frame_arrived(self) -> None:
        with self._lock:
            self._last_frame = time.monotonic()
            self._source_problem = ""
            self._offline_reported = False

    def source_failed(self, problem: str) -> None:
        with self._lock:
            self._source_problem = problem

    def source_ended(self) -> None:
        with self._lock:
            self._ended = True

    def detector_failed(self, problem: str) -> None:
        with self._lock:
            self._detector_problem = problem
            self._detector_failed_at = time.monotonic()

    def privacy_problem(self, problem: str) -> None:
        """Face blurring failed (the picture is then not shown), or works again (``""``)."""
        with self._lock:
            self._privacy_problem = problem

    def last_frame_age_s(self) -> float | None:
        with self._lock:
            last = self._last_frame
        return None if last is None else time.monotonic() - last

    def newly_offline(self) -> bool:
        """True once per silence: when no frame came for ``offline_after_s`` (counted from the
        start if none ever came) and this silence was not reported yet."""
        with self._lock:
            if self._ended or self._offline_reported or self._silent_s() < self.offline_after_s:
                return False
            self._offline_reported = True
            return True

    def state(self) -> tuple[HealthState, str]:
        """The state and the translated problem ("" when all is well), worst first."""
        with self._lock:
            silent_s = self._silent_s()
            if self._ended:
                return HealthState.DOWN, gettext("The video file has ended")
            if silent_s >= self.offline_after_s:
                return HealthState.DOWN, self._offline_problem(silent_s)
            if self._source_problem:
                return HealthState.DEGRADED, self._source_problem
            if self._last_frame is None:
                return HealthState.DEGRADED, gettext("Connecting to the camera")
            if self._privacy_problem:
                return HealthState.DEGRADED, self._privacy_problem
            held = time.monotonic() - self._detector_failed_at < DETECTOR_PROBLEM_HOLD_S
            if self._detector_problem and held:
                return HealthState.DEGRADED, self._detector_problem
            return HealthState.OK, ""

    def _silent_s(self) -> float:
        return time.monotonic() - (self._last_frame or self._started)

    def _offline_problem(self, silent_s: float) -> str:
        seconds = int(silent_s)
        text = ngettext(
            "No picture for {seconds} second", "No picture for {seconds} seconds", seconds
        ).format(seconds=format_decimal(seconds))
        if self._source_problem:
            return gettext("{silence}: {reason}").format(silence=text, reason=self._source_problem)
        return text


def offline_detection(camera_id: str) -> Detection:
    """The one ``camera_offline`` detection of a silence, timed when it was noticed."""
    return Detection(
        identifier=new_identifier(),
        detector_id="pipeline",
        source_id=camera_id,
        time=utc_now(),
        event_type="camera_offline",
        label="offline",
        confidence=1.0,
    )
