"""Zero-download video analysis benchmarks: what each OpenCV stage costs per frame on the real
PETS clip (480x360), one thread, as a camera's detector thread runs it.

Motion, people (HOG) and the face blur are timed on decoded frames (decoding is not counted;
the capture benchmarks measure it). Tracking and the scene rules are timed on their own, fed
the people the HOG detector found, with a few zones and lines, so their share shows apart from
the detector's. Mean and 95th percentile per frame; the clip is read from ../shared/media and
the rows say so when it is missing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from app.model import Detection
from detectors.video import motion, people
from detectors.video.analysis import build_analysis
from detectors.video.cv import cv2
from detectors.video.faces import FaceBlurrer, FaceParams
from detectors.video.frames import Frame
from detectors.video.scene import SceneLine, SceneParams, SceneZone

Row = tuple[str, str, str]
PETS = Path(__file__).resolve().parents[1].parent / "shared" / "media" / "pets_vtest.avi"
AREA = "video"


START = datetime(2026, 1, 1, tzinfo=UTC)


def _frames(count: int) -> list[Frame]:
    capture = cv2.VideoCapture(str(PETS), cv2.CAP_FFMPEG)
    frames = []
    try:
        while len(frames) < count:
            ok, image = capture.read()
            if not ok:
                break
            index = len(frames)
            frames.append(_frame(index, image))
    finally:
        capture.release()
    return frames


def _frame(index: int, image: np.ndarray) -> Frame:
    return Frame("pets", index, START + timedelta(seconds=index / 10), image)


def _timed(work: Callable[[Frame], object], frames: Sequence[Frame]) -> tuple[list[float], list]:
    """Milliseconds per call, and what each call returned."""
    times, results = [], []
    for frame in frames:
        start = time.perf_counter()
        results.append(work(frame))
        times.append((time.perf_counter() - start) * 1000.0)
    return times, results


def _summary(times: Sequence[float]) -> str:
    mean, p95 = float(np.mean(times)), float(np.percentile(times, 95))
    return f"{mean:.1f} ms/frame (p95 {p95:.1f}; {1000.0 / mean:.0f} fps)"


class _Replay:
    """A base detector that hands back, in a loop, what another found on a run of frames, so
    only the stages after it count."""

    def __init__(self, found: Sequence[list[Detection]]) -> None:
        self.found = found

    def step(self, item: Frame) -> list[Detection]:
        return self.found[item.index % len(self.found)]


def _scene() -> tuple[list[SceneZone], list[SceneLine]]:
    zones = [
        SceneZone("gate", "Gate", "restricted", ((0.4, 0.3), (0.6, 0.3), (0.6, 0.5), (0.4, 0.5))),
        SceneZone("road", "Road", "crowd", ((0.0, 0.3), (1.0, 0.2), (1.0, 0.8), (0.0, 0.6))),
        SceneZone("stage", "Stage", "vip", ((0.7, 0.2), (0.9, 0.2), (0.9, 0.4), (0.7, 0.4))),
    ]
    lines = [
        SceneLine("kerb", "Kerb", (0.1, 0.45), (0.9, 0.45)),
        SceneLine("path", "Path", (0.5, 0.2), (0.5, 0.9), "left"),
    ]
    return zones, lines


def video_opencv_benchmarks() -> list[Row]:
    if not PETS.is_file():
        return [(AREA, "OpenCV detectors on the PETS clip", f"skipped: {PETS} is missing")]
    frames = _frames(240)
    rows = []
    detector = motion.build({})
    times, _ = _timed(detector.step, frames)
    rows.append((AREA, "motion (MOG2 at 320 px), 480x360", _summary(times[40:])))
    sample = frames[100:140]
    times, found = _timed(people.build({}).step, sample)
    count = sum(len(f) for f in found)
    rows.append((AREA, f"people (HOG at 960 px), 480x360, {count} people", _summary(times)))
    for params, how in [
        (FaceParams(), "every picture"),
        (FaceParams(detect_every=3), "faces looked for on every 3rd picture"),
    ]:
        blurrer = FaceBlurrer(params)
        times, _ = _timed(lambda frame, b=blurrer: b.apply(frame.image), sample[:21])
        rows.append((AREA, f"face blur (3 cascades at 480 px), 480x360, {how}", _summary(times)))
    zones, lines = _scene()
    analysis = build_analysis(
        _Replay(found), camera_id="pets", zones=zones, lines=lines, params=SceneParams(loiter_s=2.0)
    )
    looped = [_frame(index, sample[index % len(sample)].image) for index in range(200)]
    times, events = _timed(analysis.step, looped)
    rows.append(
        (
            AREA,
            f"tracker + scene rules ({len(zones)} zones, {len(lines)} lines), "
            f"{sum(len(e) for e in events)} outputs",
            f"{np.mean(times):.3f} ms/frame (p95 {np.percentile(times, 95):.3f})",
        )
    )
    return rows
