"""The zero-download video detectors on real pictures: motion and people (HOG) on the PETS clip,
tracking on what HOG finds, and face finding and blurring on the photographs that ultralytics
ships (read from the installed package, never copied into the repository).

HOG costs about a tenth of a second per frame here, so it runs on a few dozen frames only.
"""

from __future__ import annotations

import importlib.util
import itertools
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from app.model import Detection
from detectors.api import CancelToken
from detectors.video import faces, motion, people
from detectors.video.analysis import build_analysis
from detectors.video.cv import cv2
from detectors.video.faces import Face, FaceBlurrer, FaceFinder, FaceParams
from detectors.video.frames import Frame
from detectors.video.tracker import iou
from tests.video_helpers import pets_video

T0 = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
MOTION_FRAMES = range(0, 150)
TRACKED_FRAMES = range(100, 136)
SPREAD_FRAMES = range(50, 795, 100)  # one frame every 10 s of the clip


@pytest.fixture(scope="module")
def clip() -> dict[int, Frame]:
    """The clip's frames that the tests use, decoded once (10 fps: frame i at i/10 s)."""
    wanted = set(MOTION_FRAMES) | set(TRACKED_FRAMES) | set(SPREAD_FRAMES)
    capture = cv2.VideoCapture(str(pets_video()), cv2.CAP_FFMPEG)
    frames: dict[int, Frame] = {}
    try:
        for index in range(max(wanted) + 1):
            ok, image = capture.read()
            assert ok, f"the clip ended early, at frame {index}"
            if index in wanted:
                time = T0 + timedelta(seconds=index / 10)
                frames[index] = Frame("pets", index, time, image)
    finally:
        capture.release()
    return frames


def photo(name: str) -> np.ndarray:
    """A photograph shipped inside the installed ultralytics package (found without importing
    it, which would be slow and could reach for settings)."""
    spec = importlib.util.find_spec("ultralytics")
    assert spec is not None and spec.submodule_search_locations, "ultralytics is not installed"
    path = Path(spec.submodule_search_locations[0]) / "assets" / name
    image = cv2.imread(str(path))
    assert image is not None, f"cannot read {path}"
    return image


def _valid(detection: Detection, event_type: str) -> None:
    assert detection.event_type == event_type and detection.label == event_type
    assert 0.0 < detection.confidence <= 1.0
    x, y, w, h = detection.bbox or (0.0, 0.0, 0.0, 0.0)
    assert w > 0 and h > 0
    assert 0.0 <= x <= x + w <= 1.0 and 0.0 <= y <= y + h <= 1.0


# -- motion ------------------------------------------------------------------------------------


def test_motion_waits_for_the_background_then_finds_the_walkers(clip: dict[int, Frame]) -> None:
    detector = motion.build({})
    found = {i: detector.step(clip[i]) for i in MOTION_FRAMES}
    warmup = motion.MotionParams().warmup_frames
    assert all(found[i] == [] for i in range(warmup))
    later = [found[i] for i in MOTION_FRAMES if i >= warmup + 5]
    assert sum(1 for boxes in later if boxes) >= 0.95 * len(later)
    for detection in (d for boxes in later for d in boxes):
        _valid(detection, "motion")
        assert detection.bbox is not None and detection.bbox[3] < 0.5  # people, not the scene


def test_a_new_picture_size_restarts_the_background(clip: dict[int, Frame]) -> None:
    detector = motion.build({"warmup_frames": 3})
    for i in range(40):
        detector.step(clip[i])
    assert detector.step(clip[40])
    small = cv2.resize(clip[41].image, (240, 180))
    assert detector.step(Frame("pets", 41, clip[41].time, small)) == []


def test_detectors_run_as_generators_and_stop_when_cancelled(clip: dict[int, Frame]) -> None:
    pulled = []

    def source() -> Iterator[Frame]:
        for i in MOTION_FRAMES:
            pulled.append(i)
            yield clip[i]

    token = CancelToken()
    findings = motion.run(source(), {"warmup_frames": 5}, token)
    first = next(findings)
    token.cancel()
    assert list(findings) == []
    assert first.source_id == "pets" and first.time == clip[pulled[-1]].time
    assert len(pulled) < 20


# -- people ------------------------------------------------------------------------------------


def test_people_are_found_on_most_frames_where_people_walk(clip: dict[int, Frame]) -> None:
    detector = people.build({})
    found = {i: detector.step(clip[i]) for i in SPREAD_FRAMES}
    assert sum(1 for boxes in found.values() if boxes) >= len(found) - 1
    assert sum(len(boxes) for boxes in found.values()) >= 2 * len(found)
    for detection in (d for boxes in found.values() for d in boxes):
        _valid(detection, "person")
        _, _, w, h = detection.bbox or (0, 0, 0, 0)
        assert h * 360 > 1.5 * w * 480  # upright
        assert detection.confidence >= people.PeopleParams().min_confidence


def test_people_tracks_persist_with_stable_ids(clip: dict[int, Frame]) -> None:
    analysis = build_analysis(people.build({}), camera_id="pets")
    boxes_of: dict[str, list[tuple[int, tuple[float, float, float, float]]]] = {}
    for i in TRACKED_FRAMES:
        for detection in analysis.step(clip[i]):
            if detection.track_id is not None and detection.bbox is not None:
                boxes_of.setdefault(detection.track_id, []).append((i, detection.bbox))
    lengths = Counter({track: len(boxes) for track, boxes in boxes_of.items()})
    longest, seen = lengths.most_common(1)[0]
    assert seen >= 0.7 * len(TRACKED_FRAMES), lengths
    assert sum(1 for n in lengths.values() if n >= len(TRACKED_FRAMES) // 2) >= 2, lengths
    assert all(track.startswith("pets/") for track in lengths)
    path = boxes_of[longest]
    # One person: consecutive boxes of the track overlap (no jump to someone else).
    assert all(iou(a, b) > 0.2 for (_, a), (_, b) in itertools.pairwise(path))
    assert analysis.tracker is not None
    state = next(s for s in analysis.tracker.tracks() if s.track_id == longest)
    assert state.last_seen == clip[path[-1][0]].time and state.first_seen <= clip[path[0][0]].time


# -- faces -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def zidane() -> np.ndarray:
    image = photo("zidane.jpg")
    image.flags.writeable = False  # the blur must not need to write to its input
    return image


@pytest.fixture(scope="module")
def zidane_faces(zidane: np.ndarray) -> list[Face]:
    return FaceFinder().find(zidane)


def test_faces_are_found_in_real_photographs(zidane_faces: list[Face]) -> None:
    # The man on the right faces the camera: his face is at about (920, 110), 150 px wide.
    assert any(iou((f.x, f.y, f.w, f.h), (920, 110, 150, 150)) > 0.5 for f in zidane_faces)
    bus = FaceFinder().find(photo("bus.jpg"))
    assert len(bus) >= 2


def _padded(face: Face, pad: float) -> tuple[float, float, float, float]:
    return (
        face.x - pad * face.w,
        face.y - pad * face.h,
        face.w * (1 + 2 * pad),
        face.h * (1 + 2 * pad),
    )


def test_blurring_destroys_the_faces_and_leaves_the_rest_untouched(
    zidane: np.ndarray, zidane_faces: list[Face]
) -> None:
    before = zidane.copy()
    blurred = FaceBlurrer().apply(zidane)
    assert np.array_equal(zidane, before)  # the input is never changed
    assert blurred is not zidane and blurred.shape == zidane.shape
    grey_before = cv2.cvtColor(zidane, cv2.COLOR_BGR2GRAY)
    grey_after = cv2.cvtColor(blurred, cv2.COLOR_BGR2GRAY)
    for face in zidane_faces:
        region = (slice(face.y, face.y + face.h), slice(face.x, face.x + face.w))
        sharp = cv2.Laplacian(grey_before[region], cv2.CV_64F).var()
        assert cv2.Laplacian(grey_after[region], cv2.CV_64F).var() < sharp / 5
    far = (1180, 620, 100, 100)  # bottom-right corner, away from every padded face
    assert all(iou(far, _padded(f, FaceParams().pad)) == 0.0 for f in zidane_faces)
    corner = (slice(620, 720), slice(1180, 1280))
    assert np.array_equal(blurred[corner], zidane[corner])


def test_a_picture_without_faces_is_returned_as_it_is() -> None:
    noise = np.random.default_rng(1).integers(0, 256, (720, 1280, 3), dtype=np.uint8)
    assert FaceBlurrer().apply(noise) is noise


def test_held_faces_stay_blurred_for_hold_frames(zidane: np.ndarray) -> None:
    noise = np.random.default_rng(1).integers(0, 256, zidane.shape, dtype=np.uint8)
    blurrer = FaceBlurrer(FaceParams(hold_frames=2))
    blurrer.apply(zidane)
    after = [blurrer.apply(noise) for _ in range(3)]
    assert not np.array_equal(after[0], noise) and not np.array_equal(after[1], noise)
    assert after[2] is noise


def test_a_video_blurrer_may_look_for_faces_on_every_nth_picture_only(zidane: np.ndarray) -> None:
    class CountingFinder(FaceFinder):
        calls = 0

        def find(self, image: np.ndarray) -> list[Face]:
            self.calls += 1
            return super().find(image)

    finder = CountingFinder()
    blurrer = FaceBlurrer(FaceParams(detect_every=3), finder)
    pictures = [blurrer.apply(zidane) for _ in range(4)]
    assert finder.calls == 2  # pictures 0 and 3; 1 and 2 reuse the faces of picture 0
    assert pictures[0] is not zidane
    assert all(np.array_equal(picture, pictures[0]) for picture in pictures)


def test_the_faces_detector_reports_merged_face_boxes(
    zidane: np.ndarray, zidane_faces: list[Face]
) -> None:
    found = faces.build({}).step(Frame("photo", 0, T0, zidane))
    assert 1 <= len(found) < len(zidane_faces)  # the cascades' overlapping hits are merged
    for detection in found:
        _valid(detection, "face")


# -- parameters --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("module", "params", "named"),
    [
        (motion, {"min_area": 0.001, "warmup": 3}, "warmup"),
        (motion, {"width": True}, "width"),
        (motion, {"min_area": 0}, "min_area"),
        (people, {"win_stride": 5}, "win_stride"),
        (people, {"stride": 8}, "stride"),
        (faces, {"cascades": ["no_such_face"]}, "cascades"),
        (faces, {"pad": "wide"}, "pad"),
    ],
)
def test_parameters_refuse_unknown_keys_and_bad_values(
    module: object, params: dict[str, object], named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        module.build(params)  # type: ignore[attr-defined]


def test_parameters_take_json_lists_and_records() -> None:
    detector = faces.build({"cascades": ["frontalface_alt2"], "min_neighbors": 4})
    assert detector.finder.params.cascades == ("frontalface_alt2",)
    record = people.PeopleParams(width=640)
    assert people.build(record).params is record
