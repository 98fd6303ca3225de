"""The demo's simulated cameras: real pictures of the bundled site, consistent with the map.

Ground truth comes from the sources themselves (``DemoCameraSource.people``); the checks look at
rendered pixels and at the analytics' way of mapping the picture (a homography fitted with
``cv2.findHomography`` to ``demo_ground_points``), so a drift between drawing and geometry
fails here, not in a demo in front of an audience.
"""

from __future__ import annotations

import numpy as np
import pytest

from app.demo.camera_pose import camera_pose, demo_ground_points, geo_to_pixels, site_grid
from app.demo.camera_script import CROWD_PERIOD_S, INTRUDE_PERIOD_S, demo_people
from app.demo.camera_site import demo_site
from app.demo.cameras import DemoCameraSource, demo_camera_id, demo_camera_ids, labelled_background
from app.map.config import demo_site_path
from app.map.site_layers import load_site_layer, site_records
from app.model import Camera
from detectors.video.cv import cv2
from detectors.video.frames import FrameSource, SourceError

CAMERAS = ("cam-1", "cam-2", "cam-3", "cam-4")


def metres_between(a: tuple[float, float], b: tuple[float, float]) -> float:
    grid = site_grid()
    return float(np.hypot(*np.subtract(grid.to_metres(*a), grid.to_metres(*b))))


def fitted_mapping(camera_id: str) -> np.ndarray:
    """What the analytics do with the control points: a homography from picture fractions to
    the ground, fitted in metres around the site (``findHomography`` works in float32, which
    cannot hold latitudes to better than about 0.4 m)."""
    grid = site_grid()
    pairs = demo_ground_points(camera_id)
    image = np.array([p for p, _ in pairs], dtype=np.float64)
    ground = np.array([grid.to_metres(*g) for _, g in pairs], dtype=np.float64)
    mapping, _ = cv2.findHomography(image, ground)
    return mapping


def mapped_to_geo(mapping: np.ndarray, fractions: np.ndarray) -> list[tuple[float, float]]:
    grid = site_grid()
    ground = cv2.perspectiveTransform(fractions.reshape(-1, 1, 2), mapping).reshape(-1, 2)
    return [grid.to_geo(float(x), float(y)) for x, y in ground]


def test_every_site_camera_is_a_simulated_camera_that_gives_pictures_of_its_size() -> None:
    records = site_records(load_site_layer(demo_site_path()))
    cameras = [r for r in records if isinstance(r, Camera)]
    assert sorted(c.identifier for c in cameras) == list(CAMERAS) == demo_camera_ids()
    for camera in cameras:
        assert demo_camera_id(camera.uri) == camera.identifier
        for size in ((640, 360), (320, 180)):
            source: FrameSource = DemoCameraSource(camera.identifier, size=size)
            assert source.live is False and source.fps == 10.0
            frames = [source.read() for _ in range(3)]
            for image in frames:
                assert image.shape == (size[1], size[0], 3) and image.dtype == np.uint8
                assert image.flags.c_contiguous and 20 < image.mean() < 235
            source.close()


def test_addresses_that_are_not_demo_cameras_are_not_taken_for_one() -> None:
    assert demo_camera_id("demo://cam-3") == "cam-3"
    assert demo_camera_id("rtsp://10.0.0.5/stream") is None
    assert demo_camera_id("demo://") is None


def test_the_same_frame_is_the_same_picture_whoever_reads_it_and_whenever() -> None:
    first, second = DemoCameraSource("cam-2"), DemoCameraSource("cam-2")
    a = [first.read() for _ in range(4)]
    a[0].flags.writeable = False  # the pipeline freezes frames; later reads must not care
    b = [second.read() for _ in range(4)]
    for left, right in zip(a, b, strict=True):
        assert np.array_equal(left, right)
    assert np.array_equal(first.render(3), a[3])
    assert not np.array_equal(a[0], a[3])
    assert first.render(10**7).shape == a[0].shape  # hours in: still a picture


def test_people_move_and_nothing_else_does() -> None:
    for camera_id in CAMERAS:
        source = DemoCameraSource(camera_id)
        k = 23  # frames 23 and 24 are both in second 2: the burned-in clock does not change
        before, after = source.render(k), source.render(k + 1)
        changed = np.any(before != after, axis=2)
        allowed = np.zeros(changed.shape, dtype=bool)
        for seen in source.people(k) + source.people(k + 1):
            x, y, w, h = seen.box
            xs = [x, x + w, seen.shadow[0]]
            ys = [y, y + h, seen.shadow[1]]
            margin = 3 + 0.1 * h
            x0, x1 = int(max(min(xs) - margin, 0)), int(max(max(xs) + margin, 0))
            y0, y1 = int(max(min(ys) - margin, 0)), int(max(max(ys) + margin, 0))
            allowed[y0:y1, x0:x1] = True
        assert changed.sum() > 100, camera_id
        assert not (changed & ~allowed).any(), camera_id


def test_the_picture_and_the_fitted_ground_mapping_agree_within_half_a_metre() -> None:
    grid = site_grid()
    for camera_id in CAMERAS:
        pose = camera_pose(camera_id)
        width, height = pose.size
        assert len(demo_ground_points(camera_id)) >= 4
        mapping = fitted_mapping(camera_id)
        top = pose.horizon_row / height + 0.05
        fractions = [(x, y) for x in np.linspace(0, 1, 9) for y in np.linspace(top, 1, 9)]
        ground = pose.ground_at(np.array([(x * width, y * height) for x, y in fractions]))
        geo = [grid.to_geo(x, y) for x, y in ground]
        pixels = geo_to_pixels(pose, geo)
        assert np.allclose(pixels / (width, height), fractions, atol=1e-6)
        back = mapped_to_geo(mapping, pixels / np.array([width, height]))
        errors = [metres_between(b, g) for b, g in zip(back, geo, strict=True)]
        assert max(errors) < 0.5, (camera_id, max(errors))


def inside_picture(point: tuple[float, float], size: tuple[int, int]) -> bool:
    return 0 <= point[0] < size[0] and 0 <= point[1] < size[1]


def test_someone_walks_into_a_restricted_zone_and_is_drawn_inside_it() -> None:
    restricted = [z for z in demo_site().zones if z.restricted]
    assert restricted, "the demo site has no zone to intrude into"
    sightings = []
    for camera_id in CAMERAS:
        source = DemoCameraSource(camera_id, fps=1.0)  # frame k is second k
        pose = camera_pose(camera_id)
        for zone in restricted:
            ring = geo_to_pixels(pose, [(p.lat, p.lon) for p in zone.zone.polygon])
            if np.isnan(ring).any():
                continue  # partly behind this camera
            outline = ring.astype(np.float32).reshape(-1, 1, 2)
            for k in range(int(INTRUDE_PERIOD_S)):
                for seen in source.people(k):
                    if (
                        seen.role == "intruder"
                        and inside_picture(seen.foot, pose.size)
                        and cv2.pointPolygonTest(outline, seen.foot, False) > 0
                    ):
                        sightings.append((camera_id, k, seen, zone))
    assert sightings
    camera_id, k, seen, zone = sightings[len(sightings) // 2]
    source = DemoCameraSource(camera_id, fps=1.0)
    image, background = source.render(k), labelled_background(camera_id, source.size)
    fx, fy = int(seen.foot[0]), int(seen.foot[1])
    figure = np.any(image[int(seen.head[1]) : fy, fx - 2 : fx + 3] != background[
        int(seen.head[1]) : fy, fx - 2 : fx + 3], axis=2)  # fmt: skip
    assert figure.mean() > 0.5  # the person is really drawn standing on that spot
    width, height = source.size
    [(lat, lon)] = mapped_to_geo(fitted_mapping(camera_id), np.array([[fx / width, fy / height]]))
    grid = site_grid()
    ring = np.array([grid.to_metres(p.lat, p.lon) for p in zone.zone.polygon], np.float32)
    assert cv2.pointPolygonTest(ring.reshape(-1, 1, 2), grid.to_metres(lat, lon), False) >= 0


def test_a_crowd_gathers_in_a_crowd_zone_in_view_of_a_camera() -> None:
    crowd_zones = [z for z in demo_site().zones if not z.restricted]
    grid = site_grid()
    rings = [
        np.array([grid.to_metres(p.lat, p.lon) for p in z.zone.polygon], np.float32)
        for z in crowd_zones
    ]
    most = 0
    for camera_id in CAMERAS:
        source = DemoCameraSource(camera_id, fps=1.0)
        for k in range(0, int(CROWD_PERIOD_S), 5):
            seen = [grid.to_metres(*s.point) for s in source.people(k)]
            for ring in rings:
                outline = ring.reshape(-1, 1, 2)
                most = max(most, sum(cv2.pointPolygonTest(outline, p, False) > 0 for p in seen))
    assert most >= 8


def test_someone_stands_in_view_for_over_a_minute() -> None:
    longest = 0
    for camera_id in CAMERAS:
        source = DemoCameraSource(camera_id, fps=1.0)
        start: dict[int, tuple[int, tuple[float, float]]] = {}
        for k in range(0, 240, 2):
            visible = {s.person: s.point for s in source.people(k) if s.role == "loiterer"}
            for person, point in visible.items():
                since, where = start.get(person, (k, point))
                if metres_between(point, where) > 1.0:
                    since, where = k, point
                start[person] = (since, where)
                longest = max(longest, k - since)
            start = {p: v for p, v in start.items() if p in visible}
    assert longest >= 60


def test_an_unknown_camera_is_refused_with_the_reason() -> None:
    with pytest.raises(SourceError, match="cam-9"):
        DemoCameraSource("cam-9")
    with pytest.raises(ValueError, match="fps"):
        DemoCameraSource("cam-1", fps=0)


def test_a_closed_camera_gives_no_more_pictures() -> None:
    source = DemoCameraSource("cam-4")
    assert source.read() is not None
    source.close()
    with pytest.raises(SourceError, match="cam-4"):
        source.read()


def test_groups_keep_their_rhythm_so_gatherings_recur_for_ever() -> None:
    people = demo_people()
    assert 20 <= len(people) <= 60
    periods = {p.role: set() for p in people}
    for person in people:
        periods[person.role].add(round(person.route.period, 6))
    assert periods["crowd"] == {CROWD_PERIOD_S}
    assert periods["intruder"] == {INTRUDE_PERIOD_S}
    assert {"crosser", "loiterer"} <= set(periods)
