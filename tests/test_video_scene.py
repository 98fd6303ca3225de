"""Scene rules, tracking and ground mapping on generated video with exact expectations.

The frames are drawn with numpy (white people-sized rectangles on a dark background, at frame
times the test sets), and a small real detector finds the rectangles again from the pixels, so
the whole analysis (detector, tracker, scene rules, ground mapping) runs as on a camera, but
every event's frame is known in advance. One test uses the real motion detector instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from app.model import Detection, GeoPoint
from detectors.video import motion
from detectors.video.analysis import VideoAnalysis, build_analysis
from detectors.video.cv import cv2
from detectors.video.frames import Frame, make_detection, normalised_bbox
from detectors.video.ground import EARTH_RADIUS_M, GroundMapping
from detectors.video.scene import SceneLine, SceneParams, SceneRules, SceneZone
from detectors.video.tracker import IoUTracker, TrackerParams

T0 = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)
WIDTH, HEIGHT = 640, 480
PERSON_W, PERSON_H = 20, 60  # pixels
Feet = tuple[float, float]  # normalised foot point (bottom centre)


class RectangleFinder:
    """A real detector of the generated scene: every bright blob is a person."""

    def step(self, item: Frame) -> list[Detection]:
        grey = cv2.cvtColor(item.image, cv2.COLOR_BGR2GRAY)
        _, bright = cv2.threshold(grey, 128, 255, cv2.THRESH_BINARY)
        contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        return [
            make_detection(item, "rects", "person", "person", 0.9, normalised_bbox(item, *box))
            for box in map(cv2.boundingRect, contours)
        ]


def frame(index: int, feet: Sequence[Feet], seconds: float = 0.1) -> Frame:
    """Frame ``index`` (taken ``index * seconds`` after T0) with a person standing at each
    normalised foot point."""
    image = np.full((HEIGHT, WIDTH, 3), 30, np.uint8)
    for x, y in feet:
        left, bottom = round(x * WIDTH - PERSON_W / 2), round(y * HEIGHT)
        cv2.rectangle(
            image, (left, bottom - PERSON_H), (left + PERSON_W - 1, bottom - 1), (255,) * 3, -1
        )
    return Frame("cam", index, T0 + timedelta(seconds=index * seconds), image)


def walk(start: Feet, end: Feet, steps: int) -> list[Feet]:
    return [
        (
            start[0] + (end[0] - start[0]) * i / (steps - 1),
            start[1] + (end[1] - start[1]) * i / (steps - 1),
        )
        for i in range(steps)
    ]


def analysis(
    zones: Sequence[SceneZone] = (), lines: Sequence[SceneLine] = (), **params: object
) -> VideoAnalysis:
    return build_analysis(
        RectangleFinder(),
        camera_id="cam",
        zones=zones,
        lines=lines,
        params=params,
        tracker={"min_hits": 1, "max_missed": 2},
    )


def events(
    stepper: VideoAnalysis, frames: Sequence[Frame], kind: str
) -> list[tuple[int, Detection]]:
    """(frame index, event) for every ``kind`` event raised over ``frames``."""
    found = []
    for item in frames:
        found += [(item.index, d) for d in stepper.step(item) if d.event_type == kind]
    return found


def square(identifier: str, kind: str, x0: float, y0: float, x1: float, y1: float) -> SceneZone:
    return SceneZone(
        identifier, f"{kind} {identifier}", kind, ((x0, y0), (x1, y0), (x1, y1), (x0, y1))
    )


# -- zone intrusion ----------------------------------------------------------------------------


def test_entering_a_restricted_zone_raises_once_per_track_and_zone() -> None:
    gate = square("gate", "restricted", 0.4, 0.3, 0.6, 0.9)
    venue = square("hall", "venue", 0.0, 0.0, 1.0, 1.0)  # venues raise nothing by themselves
    there = walk((0.1, 0.6), (0.9, 0.6), 41)  # feet at x = 0.1, 0.12, ... 0.9
    path = there + there[::-1] + there  # in, out, and in again
    stepper = analysis([gate, venue])
    found = events(
        stepper, [frame(i, [p]) for i, p in enumerate(path)], "person_in_restricted_zone"
    )
    assert [index for index, _ in found] == [15]  # feet at x = 0.40: on the edge counts
    event = found[0][1]
    assert event.label == "restricted gate" and event.track_id == "cam/1"
    assert event.bbox is not None and event.detector_id == "scene"


def test_a_vip_zone_counts_as_restricted_and_each_person_raises_separately() -> None:
    vip = square("stage", "vip", 0.4, 0.0, 0.6, 1.0)
    upper = walk((0.1, 0.3), (0.9, 0.3), 41)
    lower = walk((0.9, 0.8), (0.1, 0.8), 41)
    stepper = analysis([vip])
    frames = [frame(i, [a, b]) for i, (a, b) in enumerate(zip(upper, lower, strict=True))]
    found = events(stepper, frames, "person_in_restricted_zone")
    assert sorted(d.track_id for _, d in found) == ["cam/1", "cam/2"]
    # Going right, the feet reach the left edge (inside) at frame 15; going left, the right
    # edge (outside, as ray casting has it) at 15 and the inside at 16.
    assert [index for index, _ in found] == [15, 16]


def test_a_track_not_yet_confirmed_raises_nothing() -> None:
    gate = square("gate", "restricted", 0.0, 0.0, 1.0, 1.0)
    stepper = build_analysis(
        RectangleFinder(), camera_id="cam", zones=[gate], tracker={"min_hits": 3}
    )
    flicker = [frame(0, [(0.2, 0.5)]), frame(1, []), frame(2, []), frame(3, []), frame(4, [])]
    assert events(stepper, flicker, "person_in_restricted_zone") == []
    steady = [frame(i, [(0.7, 0.5)]) for i in range(10, 14)]
    assert [index for index, _ in events(stepper, steady, "person_in_restricted_zone")] == [12]


# -- line crossing -----------------------------------------------------------------------------

DOWN = ((0.5, 0.2), (0.5, 0.9))  # drawn top to bottom: its left is the picture's right


@pytest.mark.parametrize(
    ("direction", "expected"),
    [("any", [0.5, 0.8]), ("left", [0.5]), ("right", [0.8])],
)
def test_crossing_a_line_honours_its_direction(direction: str, expected: list[float]) -> None:
    # The walker on row 0.5 goes rightwards (arriving on the line's left), the one on row
    # 0.8 leftwards; each event is told apart by its box's bottom.
    line = SceneLine("door", "Door", *DOWN, direction)
    rightwards = walk((0.2, 0.5), (0.8, 0.5), 31)
    leftwards = walk((0.8, 0.8), (0.2, 0.8), 31)
    stepper = analysis(lines=[line])
    frames = [frame(i, [a, b]) for i, (a, b) in enumerate(zip(rightwards, leftwards, strict=True))]
    found = events(stepper, frames, "line_crossing")
    assert sorted(round(_bottom(d), 3) for _, d in found) == expected
    assert all(index == 16 and d.label == "Door" for index, d in found)  # x 0.48 -> 0.52


def _bottom(detection: Detection) -> float:
    _, y, _, h = detection.bbox or (0.0, 0.0, 0.0, 0.0)
    return y + h


def test_passing_beside_the_segment_or_standing_on_the_line_is_no_crossing() -> None:
    line = SceneLine("door", "Door", *DOWN)
    beside = walk((0.2, 0.98), (0.8, 0.98), 31)  # below the segment's end
    jitter = [(0.5 + (0.002 if i % 2 else -0.002), 0.5) for i in range(31)]  # on the line
    stepper = analysis(lines=[line])
    frames = [frame(i, [a, b]) for i, (a, b) in enumerate(zip(beside, jitter, strict=True))]
    assert events(stepper, frames, "line_crossing") == []


# -- loitering ---------------------------------------------------------------------------------


def test_loitering_is_raised_after_loiter_s_and_not_before_and_only_once() -> None:
    # 1 frame a second; the loiterer sways a few pixels, the walker crosses the picture.
    sway = [(0.3 + 0.005 * math.sin(i), 0.5) for i in range(20)]
    walker = walk((0.6, 0.9), (0.8, 0.9), 20)  # 6.7 px a second: 30 px in 5 s
    stepper = analysis(loiter_s=8.0, loiter_radius=0.5)  # 30 px for 60 px tall people
    frames = [
        frame(i, [a, b], seconds=1.0) for i, (a, b) in enumerate(zip(sway, walker, strict=True))
    ]
    found = events(stepper, frames, "loitering")
    assert [(index, round(_bottom(d), 3)) for index, d in found] == [(8, 0.5)]


def test_moving_away_restarts_the_loitering_clock() -> None:
    # Stands at x = 128 px for 3 s, shuffles 6.4 px a second to 192 px, then stands there.
    # The feet leave the 30 px circle at frame 7 (160 px) and again at frame 12 (192 px), so
    # the 8 s count from t = 12 s instead of t = 0.
    stops = [(0.2, 0.5)] * 3 + [(0.2 + 0.01 * k, 0.5) for k in range(1, 11)] + [(0.3, 0.5)] * 10
    stepper = analysis(loiter_s=8.0, loiter_radius=0.5)
    frames = [frame(i, [p], seconds=1.0) for i, p in enumerate(stops)]
    found = events(stepper, frames, "loitering")
    assert [(index, d.track_id) for index, d in found] == [(20, "cam/1")]


# -- crowd density -----------------------------------------------------------------------------


def test_crowd_density_raises_at_the_limit_and_rearms_below_the_ratio() -> None:
    plaza = square("plaza", "crowd", 0.0, 0.0, 1.0, 0.7)
    spots = [(0.1, 0.4), (0.3, 0.4), (0.5, 0.4), (0.7, 0.4)]
    counts = [1, 2, 3, 4, 2, 3, 1, 2, 3, 3]  # people in the zone, frame by frame
    outsider = (0.5, 0.95)  # never counted: the zone ends at y = 0.7
    stepper = analysis([plaza], crowd_limits={"plaza": 3}, rearm_ratio=0.5)
    frames = [frame(i, [*spots[:n], outsider]) for i, n in enumerate(counts)]
    found = events(stepper, frames, "crowd_density")
    # Raised at 3 (frame 2); 2 is not below 3 * 0.5, so 3 again (frame 5) raises nothing; 1 is
    # (frame 6), so 3 at frame 8 raises again.
    assert [index for index, _ in found] == [2, 8]
    first = found[0][1]
    assert first.label == "crowd plaza" and first.track_id is None
    x, _, w, _ = first.bbox or (0, 0, 0, 0)
    assert x == pytest.approx(0.1 - 10 / WIDTH) and x + w == pytest.approx(0.5 + 10 / WIDTH)


def test_the_default_crowd_limit_applies_to_zones_without_their_own() -> None:
    plaza = square("plaza", "crowd", 0.0, 0.0, 1.0, 1.0)
    stepper = analysis([plaza], crowd_limit=2)
    frames = [frame(0, [(0.2, 0.5)]), frame(1, [(0.2, 0.5), (0.6, 0.5)])]
    assert [index for index, _ in events(stepper, frames, "crowd_density")] == [1]


# -- the real motion detector as the base ------------------------------------------------------


def test_motion_blobs_are_tracked_and_raise_zone_intrusion() -> None:
    gate = square("gate", "restricted", 0.6, 0.0, 1.0, 1.0)
    stepper = build_analysis(motion.build({"warmup_frames": 10}), camera_id="cam", zones=[gate])
    still = [frame(i, []) for i in range(15)]
    walking = walk((0.1, 0.7), (0.9, 0.7), 41)
    frames = still + [frame(15 + i, [p]) for i, p in enumerate(walking)]
    found = events(stepper, frames, "person_in_restricted_zone")
    assert len(found) == 1
    index, event = found[0]
    feet_x = walking[index - 15][0]
    assert 0.59 <= feet_x < 0.7  # raised as the feet entered (motion boxes: 2 px steps)
    assert event.track_id is not None and event.track_id.startswith("cam/")


# -- tracker -----------------------------------------------------------------------------------


def _boxes(
    item: Frame, *boxes: tuple[float, float, float, float], kind: str = "person"
) -> list[Detection]:
    return [make_detection(item, "t", kind, kind, 0.8, box) for box in boxes]


def test_tracks_keep_their_ids_confirm_after_min_hits_and_end_after_max_missed() -> None:
    tracker = IoUTracker("cam", TrackerParams(min_hits=2, max_missed=2))
    ids = []
    for i in range(5):  # two people walking towards each other on different rows
        item = frame(i, [])
        found = tracker.update(
            item, _boxes(item, (0.1 + 0.01 * i, 0.1, 0.05, 0.2), (0.8 - 0.01 * i, 0.5, 0.05, 0.2))
        )
        ids.append([d.track_id for d in found])
    assert ids[0] == [None, None]
    assert all(row == ["cam/1", "cam/2"] for row in ids[1:])
    states = {s.track_id: s for s in tracker.tracks()}
    assert states["cam/1"].first_seen == T0 and states["cam/1"].hits == 5
    assert len(states["cam/1"].feet) == 5 and states["cam/1"].feet[-1][1] == pytest.approx(0.165)
    for i in range(5, 7):  # unseen for 2 frames: still alive
        tracker.update(frame(i, []), [])
    item = frame(7, [])
    assert [d.track_id for d in tracker.update(item, _boxes(item, (0.15, 0.1, 0.05, 0.2)))] == [
        "cam/1"
    ]
    for i in range(8, 11):  # unseen for 3 frames: gone; the same place is a new track
        tracker.update(frame(i, []), [])
    item = frame(11, [])
    tracker.update(item, _boxes(item, (0.15, 0.1, 0.05, 0.2)))
    item = frame(12, [])
    assert [d.track_id for d in tracker.update(item, _boxes(item, (0.15, 0.1, 0.05, 0.2)))] == [
        "cam/3"
    ]


def test_the_tracker_matches_within_a_class_and_passes_boxless_detections() -> None:
    tracker = IoUTracker("cam", TrackerParams(min_hits=1))
    item = frame(0, [])
    box = (0.2, 0.2, 0.1, 0.3)
    first = tracker.update(item, [*_boxes(item, box), *_boxes(item, box, kind="motion")])
    assert [d.track_id for d in first] == ["cam/1", "cam/2"]
    boxless = make_detection(item, "t", "person", "person", 0.5, None)
    assert tracker.update(item, [boxless]) == [boxless]


# -- ground mapping ----------------------------------------------------------------------------

ORIGIN = (48.8584, 2.2945)


def _geo(east: float, north: float) -> tuple[float, float]:
    lat = ORIGIN[0] + math.degrees(north / EARTH_RADIUS_M)
    lon = ORIGIN[1] + math.degrees(east / (EARTH_RADIUS_M * math.cos(math.radians(ORIGIN[0]))))
    return (lat, lon)


def _camera(east: float, north: float) -> tuple[float, float] | None:
    """A pinhole camera 8 m up at 12 m south of the origin, facing north, tilted 30° down."""
    tilt = math.radians(30.0)
    ahead, up = north + 12.0, -8.0
    depth = ahead * math.cos(tilt) - up * math.sin(tilt)
    down = -ahead * math.sin(tilt) - up * math.cos(tilt)
    if depth <= 0:
        return None
    return (0.5 + 0.8 * east / depth, 0.5 + 1.0 * down / depth)


def _mapping(
    spots: Sequence[tuple[float, float]] = ((-4, 2), (5, 3), (6, 25), (-7, 30), (0, 12)),
) -> GroundMapping:
    return GroundMapping.from_points([(_seen(e, n), _geo(e, n)) for e, n in spots])


def _seen(east: float, north: float) -> tuple[float, float]:
    """Where the camera sees a ground spot that is in front of it."""
    point = _camera(east, north)
    assert point is not None, f"({east}, {north}) is behind the test camera"
    return point


def test_ground_mapping_round_trips_within_centimetres() -> None:
    mapping = _mapping()
    assert mapping.error_m < 0.01
    for east, north in [(0.5, 5.0), (-3.0, 18.0), (8.0, 40.0), (2.0, 80.0)]:
        x, y = _seen(east, north)
        found = mapping.to_geo(x, y)
        assert found is not None
        lat, lon = _geo(east, north)
        assert _metres(found, GeoPoint(lat, lon)) < 0.01
        back = mapping.to_image(lat, lon)
        assert back is not None
        assert abs(back[0] - x) * WIDTH < 0.01 and abs(back[1] - y) * HEIGHT < 0.01


def _metres(a: GeoPoint, b: GeoPoint) -> float:
    north = math.radians(a.lat - b.lat) * EARTH_RADIUS_M
    east = math.radians(a.lon - b.lon) * EARTH_RADIUS_M * math.cos(math.radians(a.lat))
    return math.hypot(east, north)


def test_above_the_horizon_and_behind_the_camera_map_to_none() -> None:
    mapping = _mapping()
    horizon_y = 0.5 - math.tan(math.radians(30.0))  # the image row of the horizon
    assert mapping.to_geo(0.5, horizon_y - 0.1) is None
    assert mapping.to_geo(0.5, horizon_y + 0.3) is not None
    assert mapping.to_image(*_geo(0.0, -30.0)) is None  # 18 m behind the camera


@pytest.mark.parametrize(
    ("pairs", "message"),
    [
        (
            [((0.1, 0.9), (48.0, 2.0)), ((0.9, 0.9), (48.0, 2.1)), ((0.5, 0.1), (48.1, 2.0))],
            "at least 4",
        ),
        (  # three of the four picture points on one line
            [
                ((0.1, 0.9), _geo(0, 0)),
                ((0.5, 0.9), _geo(5, 0)),
                ((0.9, 0.9), _geo(10, 0)),
                ((0.5, 0.2), _geo(5, 20)),
            ],
            "degenerate",
        ),
        (  # all ground points on one line
            [
                ((0.1, 0.9), _geo(0, 0)),
                ((0.9, 0.9), _geo(0, 5)),
                ((0.8, 0.2), _geo(0, 10)),
                ((0.2, 0.3), _geo(0, 20)),
            ],
            "degenerate",
        ),
    ],
)
def test_degenerate_ground_points_are_refused(pairs: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        GroundMapping.from_points(pairs)


def test_zones_drawn_on_the_map_are_cut_to_what_the_camera_sees() -> None:
    mapping = _mapping()
    corners = [(-2.0, 8.0), (2.0, 8.0), (2.0, 12.0), (-2.0, 12.0)]
    ring = [GeoPoint(*_geo(e, n)) for e, n in [*corners, corners[0]]]
    outline = mapping.zone_in_image(ring)
    expected = [_seen(e, n) for e, n in corners]
    assert len(outline) == 4
    for got, want in zip(outline, expected, strict=True):
        assert got == pytest.approx(want, abs=1e-6)
    # A field that reaches behind the camera and past the picture's sides: cut to the frame.
    field = [GeoPoint(*_geo(e, n)) for e, n in [(-60, -40), (60, -40), (60, 300), (-60, 300)]]
    cut = mapping.zone_in_image(field)
    assert len(cut) >= 4 and all(0.0 <= x <= 1.0 and 0.0 <= y <= 1.0 for x, y in cut)
    for corner in [(0.0, 1.0), (1.0, 1.0)]:  # the whole bottom of the picture is in the field
        assert any(point == pytest.approx(corner, abs=1e-9) for point in cut)
    behind = [GeoPoint(*_geo(e, n)) for e, n in [(-5, -40), (5, -40), (5, -30), (-5, -30)]]
    assert mapping.zone_in_image(behind) == ()


def test_the_analysis_places_detections_and_events_on_the_ground() -> None:
    mapping = _mapping()
    feet = _seen(1.0, 10.0)
    gate = square("gate", "restricted", 0.0, 0.0, 1.0, 1.0)
    stepper = build_analysis(
        RectangleFinder(), camera_id="cam", mapping=mapping, zones=[gate], tracker={"min_hits": 1}
    )
    found = stepper.step(frame(0, [feet]))
    assert {d.event_type for d in found} == {"person", "person_in_restricted_zone"}
    lat, lon = _geo(1.0, 10.0)
    for detection in found:
        assert detection.point is not None
        # The drawn box's bottom edge is its last pixel row: within a pixel's ground distance.
        assert _metres(detection.point, GeoPoint(lat, lon)) < 0.2


# -- parameters and geometry records -------------------------------------------------------------


def test_scene_parameters_refuse_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ValueError, match="loiter"):
        build_analysis(RectangleFinder(), camera_id="cam", params={"loiter": 5})
    with pytest.raises(ValueError, match="rearm_ratio"):
        SceneParams(rearm_ratio=1.5)
    with pytest.raises(ValueError, match="crowd_limits"):
        SceneParams(crowd_limits={"plaza": 0})
    with pytest.raises(ValueError, match="iou_threshold"):
        build_analysis(RectangleFinder(), camera_id="cam", tracker={"iou_threshold": "high"})
    with pytest.raises(ValueError, match="direction"):
        SceneLine("l", "L", (0.1, 0.1), (0.9, 0.9), "up")
    with pytest.raises(ValueError, match="3 points"):
        SceneZone("z", "Z", "restricted", ((0.1, 0.1), (0.2, 0.2)))


def test_new_geometry_replaces_the_rules_and_keeps_the_parameters() -> None:
    stepper = analysis(loiter_s=3.0)
    gate = square("gate", "restricted", 0.0, 0.0, 1.0, 1.0)
    stepper.set_geometry([gate], [])
    assert stepper.zones == (gate,) and stepper.lines == ()
    assert isinstance(stepper.scene, SceneRules) and stepper.scene.params.loiter_s == 3.0
    assert len(events(stepper, [frame(0, [(0.5, 0.5)])], "person_in_restricted_zone")) == 1
