"""Analysing a source frame by frame, every frame, as fast as it decodes: the headless form.

The live pipeline lets a busy detector skip frames, which is right for a console watching
cameras and wrong for ``main.py detect`` going through a recording: there every frame is
analysed, in order, in the caller's thread. Frames are timed in scene time (a 10 fps file
analysed at 200 fps still spans its real duration), so durations measured by the detectors
mean what they would live.
"""

from __future__ import annotations

from collections.abc import Iterator

from app.model import Detection
from app.video.pipeline_parts import FrameClock
from detectors.api import CancelToken
from detectors.video.frames import Frame, FrameSource, FrameStepper
from detectors.video.tamper import TamperParams, TamperWatch


def analyse_source(
    source: FrameSource,
    stages: FrameStepper | None,
    token: CancelToken,
    max_frames: int | None = None,
    *,
    camera_id: str = "source",
    tamper: TamperParams | None = None,
) -> Iterator[tuple[Frame, list[Detection]]]:
    """Every frame of ``source`` (up to ``max_frames``) with what ``stages`` and, when
    ``tamper`` is given, the tampering watch found on it (often nothing). Stops at the end of
    the source or when ``token`` is cancelled; a detector's exception propagates. The caller
    opened ``source`` and closes it."""
    clock = FrameClock(camera_id, scene_time=True)
    clock.opened(source)
    watch = TamperWatch(tamper) if tamper is not None else None
    count = 0
    while not token.cancelled and (max_frames is None or count < max_frames):
        image = source.read()
        if image is None:
            return
        frame = clock.frame(image)
        count += 1
        found = watch.step(frame) if watch is not None else []
        if stages is not None:
            found += stages.step(frame)
        yield frame, found
