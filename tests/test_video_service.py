"""The video side end to end in a real core: a real clip decoded by OpenCV, a zone on the map,
the analytics, stored alerts with blurred snapshots, operators' verdicts and the dataset."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from app.model import Alert, AlertAction, Detection, GeoPoint, Status, Zone
from app.runtime import Core
from app.security.model import PermissionRefused
from app.settings import Settings
from app.video.dataset import export_dataset
from app.video.marks import marked_samples
from app.video.messages import CameraStatus, MarkDetection, SetFaceBlur, VideoCameras
from tests.factories import signed_in
from tests.video_helpers import pets_video

# The clip's picture laid on a made-up 40 m x 30 m patch of ground (top of the picture north).
NORTH, SOUTH, WEST, EAST = 59.9003, 59.9000, 10.7000, 10.7007
GROUND = [
    {"image": [0, 0], "lat": NORTH, "lon": WEST},
    {"image": [1, 0], "lat": NORTH, "lon": EAST},
    {"image": [1, 1], "lat": SOUTH, "lon": EAST},
    {"image": [0, 1], "lat": SOUTH, "lon": WEST},
]
# The lower two thirds of the picture, where the clip's walkers pass.
MIDDLE = NORTH - (NORTH - SOUTH) / 3
RESTRICTED = Zone(
    identifier="zone-square",
    name="Square",
    kind="restricted",
    polygon=(
        GeoPoint(MIDDLE, WEST),
        GeoPoint(MIDDLE, EAST),
        GeoPoint(SOUTH, EAST),
        GeoPoint(SOUTH, WEST),
        GeoPoint(MIDDLE, WEST),
    ),
)


def wait_for(condition, timeout: float = 60.0, what: str = ""):  # -> the condition's value
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
def core(tmp_path: Path):
    video = {
        "cameras": {
            "pets": {
                "name": "Pets square",
                "uri": str(pets_video()),
                "detectors": ["motion"],
                "ground_points": GROUND,
                "loiter_s": 3600,
            }
        },
        "repeat_after_s": 3600,
    }
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'video.db'}", demo=False, video=video)
    core = signed_in(Core(settings), "op1")
    core.store.save([RESTRICTED])
    statuses: list[CameraStatus] = []
    cameras: list[VideoCameras] = []
    core.test_keep = (statuses.extend, cameras.extend)  # the hub holds subscribers weakly
    core.hub.subscribe(CameraStatus, core.test_keep[0])
    core.hub.subscribe(VideoCameras, core.test_keep[1])
    core.statuses, core.cameras_seen = statuses, cameras
    core.start()
    yield core
    core.stop()


def video_alerts(core: Core) -> list[Alert]:
    return [a for a in core.store.latest(Alert, 50) if a.source_tool == "video-watch"]


def test_walkers_entering_a_restricted_zone_raise_stored_alerts_with_blurred_snapshots(
    core: Core,
) -> None:
    alerts = wait_for(lambda: video_alerts(core), what="an intrusion alert from the clip")
    alert = alerts[0]
    assert alert.event_type == "person_in_restricted_zone"
    assert alert.status is Status.ACTUAL
    assert "Pets square" in alert.headline
    snapshot = next(e for e in alert.evidence if e.kind == "snapshot")
    # The alert is stored first; its blurred picture follows.
    wait_for(lambda: core.video.snapshot_path(snapshot.uri).is_file(), what="the snapshot")
    detection = core.store.get(Detection, alert.references[0])
    assert detection is not None and detection.snapshot_uri == snapshot.uri
    assert detection.track_id and detection.bbox
    # Its feet are on the ground inside the zone.
    assert detection.point is not None and SOUTH <= detection.point.lat <= MIDDLE
    # The display got the clip with the zone outlined and faces blurred by default.
    shown = core.video.display("pets").latest()
    assert shown is not None and shown.blurred and shown.zones
    assert any(s.frames_read > 0 and s.fps > 0 for s in core.statuses)
    assert core.cameras_seen[-1].cameras[0].blurred


def test_verdicts_are_stored_and_become_a_training_dataset(core: Core, tmp_path: Path) -> None:
    alerts = wait_for(lambda: video_alerts(core), what="an intrusion alert")
    pictures = [core.video.snapshot_path(a.evidence[0].uri) for a in alerts[:2]]
    wait_for(lambda: all(p.is_file() for p in pictures), what="the snapshots")
    core.submit(MarkDetection(alerts[0].identifier, True, by="op1"))
    if len(alerts) > 1:
        core.submit(MarkDetection(alerts[1].identifier, False, by="op1"))
    wait_for(lambda: core.store.count(AlertAction) >= min(len(alerts), 2), what="the marks")
    samples = marked_samples(core.store, core.video.snapshots)
    assert samples and samples[0].label == "person"
    summary = export_dataset(samples, tmp_path / "dataset", blur=lambda image: image)
    assert summary.classes == ("person",) and summary.boxes >= 1
    assert summary.data_yaml.is_file()


def test_showing_faces_needs_a_reason_and_is_logged(core: Core, caplog) -> None:
    wait_for(lambda: core.cameras_seen, what="the camera list")
    # Through the core faces are never shown: only an approved unmask request lifts the blur,
    # through the video service itself (as the unmask service does).
    refused: list[PermissionRefused] = []
    keep = refused.extend  # the hub holds subscribers weakly
    core.hub.subscribe(PermissionRefused, keep)
    core.submit(SetFaceBlur("pets", False, reason="identify the suspect for police", by="op1"))
    wait_for(lambda: refused, what="the refusal")
    assert core.cameras_seen[-1].cameras[0].blurred
    core.video.submit(SetFaceBlur("pets", False, reason="", by="op1"))
    core.video.submit(
        SetFaceBlur("pets", False, reason="identify the suspect for police", by="op1")
    )
    wait_for(
        lambda: not core.cameras_seen[-1].cameras[0].blurred, what="faces shown after a reason"
    )
    wait_for(lambda: not core.video.display("pets").latest().blurred, what="an unblurred frame")
    assert "no reason given" in caplog.text
    assert "identify the suspect for police" in caplog.text
    core.submit(SetFaceBlur("pets", True, by="op1"))
    wait_for(lambda: core.cameras_seen[-1].cameras[0].blurred, what="faces blurred again")


def test_a_camera_that_cannot_be_opened_is_reported_and_alerted(tmp_path: Path) -> None:
    video = {"cameras": {"gone": {"name": "Gone", "uri": str(tmp_path / "missing.avi")}}}
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'gone.db'}", demo=False, video=video)
    core = Core(settings)
    statuses: list[CameraStatus] = []
    keep = statuses.extend  # the hub holds subscribers weakly
    core.hub.subscribe(CameraStatus, keep)
    core.start()
    try:
        down = wait_for(lambda: [s for s in statuses if s.state == "down"], timeout=30, what="DOWN")
        assert "missing.avi" in down[-1].problem
        offline = wait_for(
            lambda: [a for a in video_alerts(core) if a.event_type == "camera_offline"],
            timeout=30,
            what="the offline alert",
        )
        assert offline[0].evidence[0].uri == "camera:gone"
    finally:
        core.stop()


def test_the_settings_file_carries_the_video_section(tmp_path: Path) -> None:
    from app import settings as settings_module

    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "video": {"blur_faces": False}}), encoding="utf-8")
    assert settings_module.load(path).video == {"blur_faces": False}


def test_a_camera_switched_to_a_trained_model_alerts_through_its_worker(tmp_path: Path) -> None:
    """The YOLO path end to end: a YAML-built model registered as a version, chosen by the
    operator, run by the camera's worker on the real clip, into stored detections and alerts."""
    from app.video.messages import SelectModel
    from app.video.models import ModelRegistry
    from tests.test_video_yolo import make_weights, pets_images

    weights = make_weights(tmp_path / "yolo.pt", pets_images(4))
    version = ModelRegistry().register(weights, "Test model", metrics={"map50": 0.5})
    video = {"cameras": {"pets": {"name": "Pets", "uri": str(pets_video()), "confidence": 0.01}}}
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'yolo.db'}", demo=False, video=video)
    core = signed_in(Core(settings), "op1")
    cameras: list[VideoCameras] = []
    keep = cameras.extend  # the hub holds subscribers weakly
    core.hub.subscribe(VideoCameras, keep)
    core.start()
    try:
        wait_for(lambda: cameras, what="the camera list")
        assert cameras[-1].models[0].version == version.version
        core.submit(SelectModel("pets", version.version, by="op1"))
        wait_for(lambda: cameras[-1].cameras[0].model_version == version.version, what="switch")
        alerts = wait_for(
            lambda: [a for a in video_alerts(core) if a.event_type in ("knife", "firearm")],
            what="a weapon alert from the model",
        )
        detection = core.store.get(Detection, alerts[0].references[0])
        assert detection.detector_id == "yolo" and detection.source_id == "pets"
        # The picture shown is the newest, which may be newer than the last one analysed.
        wait_for(
            lambda: any(
                o.event_type in ("knife", "firearm", "person")
                for o in getattr(core.video.display("pets").latest(), "overlays", ())
            ),
            what="the model's boxes on the picture shown",
        )
    finally:
        core.stop()
