"""The video side's core pieces: settings, snapshots, which detections alert and how."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from app.model import Detection, GeoPoint, Status, new_identifier
from app.terminology import default_terminology
from app.video.alerting import CameraFacts, RepeatFilter, alertable, to_alert
from app.video.choices import ModelChoices
from app.video.config import VideoConfigError, video_config, video_config_or_default
from app.video.snapshots import SnapshotError, SnapshotStore

T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CAMERA = CameraFacts("cam-1", "Camera 1 (stage)", GeoPoint(59.91, 10.73))


def detection(event_type: str, at: datetime = T0, track: str | None = "cam-1/1") -> Detection:
    return Detection(
        identifier=new_identifier(),
        detector_id="yolo",
        source_id="cam-1",
        time=at,
        event_type=event_type,
        label=event_type,
        confidence=0.8,
        bbox=(0.1, 0.2, 0.1, 0.3),
        track_id=track,
    )


def test_video_settings_default_to_blurred_faces_and_motion() -> None:
    config = video_config({})
    assert config.blur_faces is True
    assert config.camera("anything").detectors == ("motion",)


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"cameras": {"cam 1": {}}}, "camera id"),
        ({"cameras": {"cam-1": {"confidence": 2}}}, "cameras.cam-1.confidence"),
        ({"cameras": {"cam-1": {"colour": "red"}}}, "cameras.cam-1.colour"),
        (
            {"cameras": {"cam-1": {"ground_points": [{"image": [0, 0], "lat": 1, "lon": 1}]}}},
            "at least 4 points",
        ),
        (
            {"cameras": {"c": {"lines": [{"id": "l", "a": [0, 0], "b": [2, 0]}]}}},
            "between 0 and 1",
        ),
    ],
)
def test_a_wrong_video_setting_is_refused_naming_the_field(document, named: str) -> None:
    with pytest.raises(VideoConfigError, match=named):
        video_config(document)


def test_a_wrong_video_setting_does_not_stop_the_console() -> None:
    assert video_config_or_default({"blur_faces": "maybe"}).blur_faces is True


def test_snapshots_are_written_read_back_and_never_escape_their_folder(tmp_path: Path) -> None:
    store = SnapshotStore(tmp_path / "snaps")
    image = np.full((90, 160, 3), (0, 128, 255), np.uint8)
    uri = store.save(image, "cam/../1", T0, "det-1")
    assert uri.startswith("snapshot:")
    back = store.read(uri)
    assert back is not None and back.shape == image.shape
    assert np.abs(back.astype(int) - image).max() < 8  # JPEG, near enough
    assert store.path(uri).is_relative_to(store.root)
    for hostile in ("snapshot:../../etc/passwd", "snapshot:/etc/passwd", "file:///etc/passwd"):
        assert store.path(hostile) is None
    assert store.read("snapshot:cam-1/20261121/missing.jpg") is None


def test_a_snapshot_on_a_full_disk_says_why_and_leaves_no_half_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    import app.video.snapshots as snapshots

    real = snapshots.tempfile.mkstemp

    def onto_a_full_disk(prefix: str, dir: Path):
        return os.open("/dev/full", os.O_WRONLY), real(prefix=prefix, dir=dir)[1]

    monkeypatch.setattr(snapshots.tempfile, "mkstemp", onto_a_full_disk)
    store = SnapshotStore(tmp_path / "snaps")
    with pytest.raises(SnapshotError, match="No space left"):
        store.save(np.zeros((64, 64, 3), np.uint8), "cam-1", T0, "x")
    assert not [p for p in store.root.rglob("*") if p.is_file()]


def test_a_snapshot_where_a_file_blocks_the_folder_says_why(tmp_path: Path) -> None:
    (tmp_path / "snaps").mkdir()
    (tmp_path / "snaps" / "cam-1").write_text("not a folder")
    with pytest.raises(SnapshotError, match="cannot write"):
        SnapshotStore(tmp_path / "snaps").save(np.zeros((8, 8, 3), np.uint8), "cam-1", T0, "x")


def test_only_shared_event_types_alert() -> None:
    terms = default_terminology()
    found = [detection("person"), detection("motion"), detection("knife"), detection("loitering")]
    assert [d.event_type for d in alertable(found, terms)] == ["knife", "loitering"]


def test_repeats_of_one_event_on_one_track_fold_until_the_repeat_time() -> None:
    repeats = RepeatFilter(timedelta(seconds=60))
    assert repeats.fresh(detection("knife"))
    assert not repeats.fresh(detection("knife", T0 + timedelta(seconds=30)))
    assert repeats.fresh(detection("knife", T0 + timedelta(seconds=30), track="cam-1/2"))
    assert repeats.fresh(detection("firearm", T0 + timedelta(seconds=30)))
    assert repeats.fresh(detection("knife", T0 + timedelta(seconds=61)))


def test_a_video_alert_points_at_its_camera_snapshot_and_detection() -> None:
    terms = default_terminology()
    found = detection("knife")
    alert = to_alert(found, CAMERA, terms, "snapshot:cam-1/20261121/x.jpg")
    assert alert.event_type == "knife" and alert.priority == terms.event_type("knife").priority
    assert alert.references == (found.identifier,)
    assert [(e.kind, e.uri) for e in alert.evidence] == [
        ("snapshot", "snapshot:cam-1/20261121/x.jpg"),
        ("camera", "camera:cam-1"),
    ]
    assert alert.point == CAMERA.point
    assert "Camera 1 (stage)" in alert.headline
    assert alert.status is Status.ACTUAL


def test_camera_health_alerts_say_what_is_wrong_with_the_picture() -> None:
    terms = default_terminology()
    tampered = detection("camera_tampering")
    tampered = Detection(**{**_fields(tampered), "label": "black", "bbox": None})
    alert = to_alert(tampered, CAMERA, terms, None)
    assert "black" in alert.headline and alert.evidence[0].kind == "camera"


def _fields(record: Detection) -> dict:
    return {name: getattr(record, name) for name in record.__slots__}


def test_model_choices_survive_a_restart_and_a_broken_file_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "choices.json"
    ModelChoices(path).choose("cam-1", "v2")
    ModelChoices(path).choose("cam-2", None)
    again = ModelChoices(path)
    assert again.chosen("cam-1") == (True, "v2")
    assert again.chosen("cam-2") == (True, None)
    assert again.chosen("cam-3") == (False, None)
    path.write_text("{not json", encoding="utf-8")
    assert ModelChoices(path).chosen("cam-1") == (False, None)


def test_live_privacy_blurs_faces_found_behind_the_display_and_the_heads_of_people() -> None:
    from app.video.display import DisplaySlot, Overlay
    from app.video.privacy import LivePrivacy
    from detectors.video.faces import FaceFinder, FaceParams
    from tests.test_video_detectors import photo

    image = photo("bus.jpg")
    image.flags.writeable = False
    slot = DisplaySlot("cam-1")
    person = Overlay((0.6, 0.5, 0.1, 0.4), "person", "person", 0.9)
    slot.put_image(T0, np.ascontiguousarray(image), blurred=True)
    slot.put_overlays(T0, (person,))
    faces = FaceFinder(FaceParams(width=320, cascades=("frontalface_default", "profileface")))
    face = faces.find(image)[0]
    privacy = LivePrivacy(slot)
    try:
        shown = privacy(image)  # at once, before any face search has finished
        height, width = image.shape[:2]
        head = shown[int(0.5 * height) : int(0.55 * height), int(0.63 * width) : int(0.67 * width)]
        original = image[
            int(0.5 * height) : int(0.55 * height), int(0.63 * width) : int(0.67 * width)
        ]
        assert not np.array_equal(head, original), "the person's head is blurred at once"
        deadline = time.monotonic() + 20
        region = (slice(face.y, face.y + face.h), slice(face.x, face.x + face.w))
        while np.array_equal(privacy(image)[region], image[region]):
            assert time.monotonic() < deadline, "the face found behind the display is blurred"
            time.sleep(0.05)
        far = (slice(0, 20), slice(0, 20))
        assert np.array_equal(privacy(image)[far], image[far])
    finally:
        privacy.close()
