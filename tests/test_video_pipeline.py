"""Camera pipelines on real decoded video: frames reach the display and the detectors, lost
sources come back, slow or broken detectors skip or fail without stopping the camera, and a
black, covered or frozen picture raises one tampering alert."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from app.messages import HealthState
from app.model import Detection
from app.video.display import DisplaySlot
from app.video.messages import CameraStatus
from app.video.pipeline import CameraPipeline, PipelineOptions
from app.video.pipeline_batch import analyse_source
from detectors.api import CancelToken
from detectors.video.capture import open_source
from detectors.video.cv import cv2
from detectors.video.frames import Frame, make_detection
from detectors.video.tamper import TamperParams, TamperWatch
from tests.video_helpers import (
    PETS_FRAMES,
    MjpegServer,
    closed_port,
    pets_frames,
    pets_video,
    wait_until,
    write_clip,
)

FAST = PipelineOptions(
    offline_after_s=1.0,
    status_interval_s=0.05,
    reconnect_base_s=0.1,
    reconnect_cap_s=0.3,
    open_timeout_s=2.0,
    read_timeout_s=2.0,
)
QUICK_TAMPER = TamperParams(min_duration_s=2.0, rearm_after_s=2.0)


class Recorder:
    """What a pipeline hands over, collected from its threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.findings: list[tuple[Frame | None, list[Detection]]] = []
        self.statuses: list[CameraStatus] = []

    def on_findings(self, frame: Frame | None, found: list[Detection]) -> None:
        with self._lock:
            self.findings.append((frame, found))

    def on_status(self, status: CameraStatus) -> None:
        with self._lock:
            self.statuses.append(status)

    def detections(self, event_type: str) -> list[Detection]:
        with self._lock:
            return [d for _, found in self.findings for d in found if d.event_type == event_type]

    def saw(self, state: HealthState, problem: str = "") -> bool:
        with self._lock:
            return any(s.state is state and problem in s.problem for s in self.statuses)


class Steps:
    """A detector stand-in: records the frames it saw, optionally slow, failing or boxing."""

    def __init__(self, delay_s: float = 0.0, error: str = "", event_type: str = "") -> None:
        self.delay_s, self.error, self.event_type = delay_s, error, event_type
        self.seen: list[Frame] = []

    def step(self, item: Frame) -> list[Detection]:
        self.seen.append(item)
        if self.delay_s:
            time.sleep(self.delay_s)  # the work of a slow model
        if self.error:
            raise RuntimeError(self.error)
        if self.event_type:
            box = (0.25, 0.25, 0.2, 0.5)
            return [make_detection(item, "stand-in", self.event_type, "x", 0.8, box)]
        return []


class StillSource:
    """A generator source that repeats one picture, as a hung encoder does."""

    fps, live = 30.0, False

    def __init__(self, image: np.ndarray) -> None:
        self.image = image

    def read(self) -> np.ndarray:
        return self.image

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    return pets_frames(60)


@pytest.fixture
def clip(tmp_path: Path, frames: list[np.ndarray]) -> Path:
    """A real half-second clip at 30 fps, so that looping and vanishing happen quickly."""
    return write_clip(tmp_path / "cam.avi", frames[:15], fps=30.0)


@pytest.fixture
def pipelines() -> Iterator[Callable[..., CameraPipeline]]:
    """Starts pipelines on camera ``cam1``; every one is stopped and joined afterwards."""
    started: list[CameraPipeline] = []

    def start(uri: str, recorder: Recorder, **kwargs: object) -> CameraPipeline:
        kwargs.setdefault("options", FAST)
        display = DisplaySlot("cam1")
        pipeline = CameraPipeline(
            "cam1", "Gate", uri, display, recorder.on_findings, recorder.on_status, **kwargs
        )
        started.append(pipeline)
        pipeline.start()
        return pipeline

    yield start
    for pipeline in started:
        assert pipeline.stop(10.0), "a pipeline thread did not stop"


def test_frames_reach_the_display_and_the_detectors(pipelines: Callable[..., CameraPipeline]):
    recorder, steps = Recorder(), Steps(event_type="person")
    pipeline = pipelines(str(pets_video()), recorder, stages=steps)
    wait_until(lambda: len(steps.seen) >= 5 and pipeline.display.latest() is not None)
    wait_until(lambda: recorder.saw(HealthState.OK), what="an OK status")
    shown = pipeline.display.latest()
    assert shown is not None and shown.image.shape == (360, 480, 3) and not shown.blurred
    wait_until(lambda: pipeline.display.latest().overlays, what="the boxes on the picture")
    overlay = pipeline.display.latest().overlays[0]
    assert (overlay.event_type, overlay.alerting) == ("person", False)
    frame, found = recorder.findings[0]
    assert frame is not None and found[0].source_id == "cam1"
    names = {t.name for t in threading.enumerate()}
    assert {f"video-{r}-cam1" for r in ("read", "analyse", "display", "status")} <= names
    status = pipeline.status()
    assert status.fps > 0 and status.frames_read >= 5 and status.last_frame_age_s is not None
    zone = ((0.1, 0.1), (0.5, 0.1), (0.5, 0.6))
    pipeline.set_zones((zone,))
    pipeline.set_lines((((0.0, 0.9), (1.0, 0.9)),))
    wait_until(lambda: pipeline.display.latest().zones == (zone,), what="the zone drawn")
    assert pipeline.display.latest().lines == (((0.0, 0.9), (1.0, 0.9)),)
    pipeline.set_stages(None)  # old boxes must not stay on the picture
    wait_until(lambda: pipeline.display.latest().overlays == (), what="the boxes to clear")
    assert pipeline.stop(10.0)
    assert not pipeline.running
    assert not [t for t in threading.enumerate() if t.name.startswith("video-")]


def test_boxes_of_alerting_event_types_are_marked(pipelines: Callable[..., CameraPipeline]):
    pipeline = pipelines(str(pets_video()), Recorder(), stages=Steps(event_type="knife"))
    wait_until(lambda: (shown := pipeline.display.latest()) is not None and shown.overlays)
    assert pipeline.display.latest().overlays[0].alerting


def test_privacy_applies_to_every_shown_picture_and_never_falls_back(
    pipelines: Callable[..., CameraPipeline], clip: Path
) -> None:
    recorder = Recorder()
    pipeline = pipelines(str(clip), recorder, privacy=np.zeros_like)
    wait_until(lambda: pipeline.display.latest() is not None)
    shown = pipeline.display.latest()
    assert shown.blurred and not shown.image.any()

    def broken(image: np.ndarray) -> np.ndarray:
        raise ValueError("no face model")

    pipeline.set_privacy(broken)
    wait_until(lambda: recorder.saw(HealthState.DEGRADED, "Face blurring failed"))
    assert pipeline.display.latest().blurred  # the unblurred picture was never shown
    pipeline.set_privacy(None)
    wait_until(lambda: not pipeline.display.latest().blurred)
    assert pipeline.display.latest().image.any()


def test_a_file_loops(pipelines: Callable[..., CameraPipeline], clip: Path) -> None:
    recorder, steps = Recorder(), Steps()
    pipeline = pipelines(str(clip), recorder, stages=steps)
    wait_until(lambda: pipeline.frames_read >= 40, what="the clip to play more than twice")
    assert pipeline.reconnects == 0
    indexes = [f.index for f in steps.seen]
    assert indexes == sorted(set(indexes))  # numbering goes on across loops
    times = [f.time for f in steps.seen]
    assert times == sorted(times)
    assert recorder.findings == []  # real footage: no tampering, no offline


def test_a_file_that_ends_without_looping_says_so(
    pipelines: Callable[..., CameraPipeline], clip: Path
) -> None:
    recorder = Recorder()
    pipeline = pipelines(str(clip), recorder, options=replace(FAST, loop=False))
    wait_until(lambda: recorder.saw(HealthState.DOWN, "ended"), what="the end of the file")
    assert pipeline.frames_read == 15
    assert recorder.detections("camera_offline") == []


def test_a_file_that_disappears_goes_offline_once_and_comes_back(
    pipelines: Callable[..., CameraPipeline], clip: Path, tmp_path: Path
) -> None:
    recorder = Recorder()
    pipeline = pipelines(str(clip), recorder)
    wait_until(lambda: pipeline.frames_read >= 20 and recorder.saw(HealthState.OK))
    hidden = clip.rename(tmp_path / "moved-away.avi")
    wait_until(lambda: recorder.detections("camera_offline"), what="the offline detection")
    assert recorder.saw(HealthState.DEGRADED, "does not exist")  # reconnecting, not yet offline
    offline = recorder.detections("camera_offline")[0]
    assert (offline.source_id, offline.detector_id, offline.bbox) == ("cam1", "pipeline", None)
    assert [frame for frame, _ in recorder.findings] == [None]
    wait_until(lambda: pipeline.status().state is HealthState.DOWN)
    assert "does not exist" in pipeline.status().problem
    wait_until(lambda: pipeline.reconnects >= 3, what="more reconnection attempts")

    before = pipeline.frames_read
    hidden.rename(clip)
    wait_until(lambda: pipeline.frames_read >= before + 10, what="frames again")
    wait_until(lambda: pipeline.status().state is HealthState.OK)
    assert len(recorder.detections("camera_offline")) == 1


def test_a_source_that_never_opens_is_offline_without_leaking_its_password(
    pipelines: Callable[..., CameraPipeline], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    recorder = Recorder()
    uri = f"rtsp://admin:s3cret@127.0.0.1:{closed_port()}/live"
    pipeline = pipelines(uri, recorder)
    wait_until(lambda: recorder.detections("camera_offline"), what="the offline detection")
    reconnects = pipeline.reconnects
    wait_until(lambda: pipeline.reconnects >= reconnects + 3, what="more attempts")
    assert len(recorder.detections("camera_offline")) == 1
    status = pipeline.status()
    assert status.state is HealthState.DOWN and status.last_frame_age_s is None
    assert "Cannot connect to the stream" in status.problem
    assert "s3cret" not in status.problem and "s3cret" not in caplog.text


@pytest.fixture
def mjpeg_server(frames: list[np.ndarray]) -> Iterator[MjpegServer]:
    server = MjpegServer(frames[:10], fps=30.0)
    server.start()
    yield server
    server.stop()


def test_an_mjpeg_camera_that_stops_and_comes_back_is_read_again(
    pipelines: Callable[..., CameraPipeline], mjpeg_server: MjpegServer
) -> None:
    recorder = Recorder()
    pipeline = pipelines(mjpeg_server.url, recorder)
    wait_until(lambda: pipeline.frames_read >= 10 and recorder.saw(HealthState.OK))
    mjpeg_server.stop()
    wait_until(lambda: pipeline.reconnects >= 1, what="a reconnection attempt")
    wait_until(lambda: pipeline.status().state is not HealthState.OK)
    wait_until(lambda: recorder.detections("camera_offline"), what="the offline detection")

    before = pipeline.frames_read
    mjpeg_server.start()  # the same port again
    wait_until(lambda: pipeline.frames_read >= before + 10, what="frames from the new server")
    wait_until(lambda: pipeline.status().state is HealthState.OK)
    assert pipeline.display.latest().image.shape == (360, 480, 3)


def test_a_slow_detector_skips_frames_and_nothing_queues(
    pipelines: Callable[..., CameraPipeline], clip: Path
) -> None:
    recorder, steps = Recorder(), Steps(delay_s=0.2)
    pipeline = pipelines(str(clip), recorder, stages=steps)
    backlog = []

    def skipped_enough() -> bool:
        backlog.append(pipeline.analysis_backlog)
        return pipeline.frames_skipped >= 10

    wait_until(skipped_enough, what="skipped frames")
    wait_until(lambda: recorder.statuses and recorder.statuses[-1].frames_skipped > 0)
    assert max(backlog) <= 1
    assert pipeline.display.latest().seq > pipeline.frames_analysed  # the picture kept going
    assert pipeline.stop(10.0)
    read, analysed, skipped = (
        pipeline.frames_read,
        pipeline.frames_analysed,
        pipeline.frames_skipped,
    )
    assert read == analysed + skipped + pipeline.analysis_backlog
    assert len(steps.seen) == analysed


def test_a_failing_detector_degrades_the_camera_but_does_not_stop_it(
    pipelines: Callable[..., CameraPipeline], clip: Path
) -> None:
    recorder = Recorder()
    pipeline = pipelines(str(clip), recorder, stages=Steps(error="model file is corrupt"))
    wait_until(lambda: recorder.saw(HealthState.DEGRADED, "model file is corrupt"))
    assert "A detector failed" in pipeline.status().problem
    analysed, shown = pipeline.frames_analysed, pipeline.display.latest().seq
    wait_until(lambda: pipeline.frames_analysed >= analysed + 10, what="analysis to go on")
    assert pipeline.display.latest().seq > shown
    assert pipeline.running


def test_a_frozen_black_camera_raises_one_tampering_alert(
    pipelines: Callable[..., CameraPipeline],
) -> None:
    recorder = Recorder()
    black = np.zeros((120, 160, 3), np.uint8)
    options = replace(FAST, tamper=TamperParams(min_duration_s=0.3, rearm_after_s=0.3))
    pipeline = pipelines(
        "demo://hung", recorder, options=options, opener=lambda _: StillSource(black)
    )
    wait_until(lambda: recorder.detections("camera_tampering"), what="the tampering detection")
    analysed = pipeline.frames_analysed
    wait_until(lambda: pipeline.frames_analysed >= analysed + 20)
    [tampering] = recorder.detections("camera_tampering")
    assert (tampering.label, tampering.detector_id, tampering.bbox) == ("black", "tamper", None)


# -- the tampering watch on its own, in frame time ---------------------------------------------


def feed(watch: TamperWatch, images: list[np.ndarray], fps: float = 10.0) -> list[Detection]:
    start = datetime(2025, 6, 1, 22, 0, tzinfo=UTC)
    found: list[Detection] = []
    for index, image in enumerate(images):
        found += watch.step(Frame("cam1", index, start + timedelta(seconds=index / fps), image))
    return found


def labels(found: list[Detection]) -> list[str]:
    assert {d.event_type for d in found} <= {"camera_tampering"}
    return [d.label for d in found]


def noisy_grey(count: int) -> list[np.ndarray]:
    """A lens taped over: flat grey, with the sensor noise that makes every frame differ."""
    rng = np.random.default_rng(5)
    return [
        np.clip(128 + rng.normal(0, 2, (360, 480, 3)), 0, 255).astype(np.uint8)
        for _ in range(count)
    ]


@pytest.mark.parametrize(
    ("label", "make"),
    [
        ("black", lambda frames: [np.zeros_like(frames[0])] * 40),
        ("frozen", lambda frames: [frames[30]] * 40),
        ("covered", lambda frames: noisy_grey(40)),
        ("covered", lambda frames: [cv2.GaussianBlur(f, (0, 0), 8) for f in frames[:40]]),
    ],
    ids=["black", "frozen", "taped", "defocused"],
)
def test_each_kind_of_tampering_is_raised_once_with_its_label(
    frames: list[np.ndarray], label: str, make: Callable[[list[np.ndarray]], list[np.ndarray]]
) -> None:
    bad = make(frames)
    assert labels(feed(TamperWatch(QUICK_TAMPER), frames[:20] + bad)) == [label]


def test_a_short_fault_raises_nothing(frames: list[np.ndarray]) -> None:
    black = [np.zeros_like(frames[0])] * 15  # 1.5 s, less than the 2 s it must last
    assert feed(TamperWatch(QUICK_TAMPER), frames[:20] + black + frames[20:40]) == []


def test_tampering_is_raised_again_only_after_the_picture_was_normal_for_a_while(
    frames: list[np.ndarray],
) -> None:
    black = [np.zeros_like(frames[0])] * 30
    again = frames[:30] + black + frames[:30] + black  # 3 s normal between: re-armed
    assert labels(feed(TamperWatch(QUICK_TAMPER), again)) == ["black", "black"]
    blip = frames[:30] + black + frames[:10] + black  # 1 s normal: the same episode
    assert labels(feed(TamperWatch(QUICK_TAMPER), blip)) == ["black"]


def test_the_tamper_parameters_refuse_unknown_keys() -> None:
    assert TamperParams.from_mapping({"min_duration_s": 3}).min_duration_s == 3
    with pytest.raises(ValueError, match="unknown"):
        TamperParams.from_mapping({"min_duration": 3})


# -- the headless form: every frame, in scene time ---------------------------------------------


def test_analyse_source_analyses_every_frame_of_real_footage_without_tampering() -> None:
    steps = Steps()
    source = open_source(str(pets_video()))
    try:
        results = list(analyse_source(source, steps, CancelToken(), tamper=QUICK_TAMPER))
    finally:
        source.close()
    assert len(results) == len(steps.seen) == PETS_FRAMES
    assert [frame.index for frame, _ in results] == list(range(PETS_FRAMES))
    assert [found for _, found in results if found] == []
    span = results[-1][0].time - results[0][0].time
    assert span == timedelta(seconds=(PETS_FRAMES - 1) / 10)  # the clip's time, not the decoder's


def test_analyse_source_stops_at_max_frames_and_on_cancel() -> None:
    source = open_source(str(pets_video()))
    token = CancelToken()
    try:
        assert len(list(analyse_source(source, None, token, max_frames=25))) == 25
        for count, _ in enumerate(analyse_source(source, None, token), start=1):
            if count == 7:
                token.cancel()
        assert count == 7
    finally:
        source.close()
