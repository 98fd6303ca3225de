"""The embedded demo, played through the real core: SQLite file, ingest, hub, source thread."""

import itertools
import json
import math
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from sqlalchemy import event

from app.demo.scenario import Scenario, ScenarioError
from app.demo.source import DemoScenarioSource, bundled_scenario_path
from app.demo.tools import DemoTools
from app.messages import HealthState, SourceHealth
from app.model import Alert, GeoPoint, Observation, Status, Track
from app.runtime import Core
from app.settings import Settings
from app.terminology import default_terminology
from app.toolapi.records import TrackIn


def origin_clock(scenario_s: float) -> datetime:
    return datetime(2026, 6, 20, 18, 0, tzinfo=UTC) + timedelta(seconds=scenario_s)


def test_bundled_scenario_loads_and_every_inject_builds_a_valid_record() -> None:
    scenario = Scenario.load(bundled_scenario_path())
    records = list(
        scenario.records_between(0, scenario.duration_s, origin_clock, 0, default_terminology())
    )
    assert len(records) >= len(scenario.injects)
    assert all(r.status is Status.EXERCISE for r in records)
    assert {type(r).__name__ for r in records} >= {
        "Alert",
        "Detection",
        "Post",
        "Observation",
        "Track",
    }


def test_playing_in_slices_neither_skips_nor_repeats() -> None:
    scenario = Scenario.load(bundled_scenario_path())
    terms = default_terminology()
    # A track keeps its identifier from position to position; its time tells positions apart.
    whole = [
        (r.identifier, r.time) for r in scenario.records_between(0, 240, origin_clock, 3, terms)
    ]
    cuts = [0, 0.25, 7.9, 8.0, 8.1, 100, 119.99, 240]
    sliced = [
        (r.identifier, r.time)
        for start, end in itertools.pairwise(cuts)
        for r in scenario.records_between(start, end, origin_clock, 3, terms)
    ]
    assert sorted(sliced) == sorted(whole) and len(set(whole)) == len(whole)


def test_alerts_take_category_and_priority_from_the_terminology() -> None:
    scenario = Scenario.load(bundled_scenario_path())
    terms = default_terminology()
    for record in scenario.records_between(0, 240, origin_clock, 0, terms):
        if isinstance(record, Alert):
            assert record.priority == terms.event_type(record.event_type).priority


def test_broken_scenarios_name_the_file_and_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        '{"title": "x", "duration_s": 10, "injects": [{"at": 1, "kind": "ufo", "data": {}}]}'
    )
    with pytest.raises(ScenarioError, match=r"bad\.json.*ufo"):
        Scenario.load(path)
    path.write_text("{")
    with pytest.raises(ScenarioError, match=r"bad\.json"):
        Scenario.load(path)


# About 111 m east, 111 m north, 111 m west and back: a block walked anticlockwise.
BLOCK = [[60.0, 10.0], [60.0, 10.002], [60.001, 10.002], [60.001, 10.0]]
PATROL = {"callsign": "Patrol 1", "cot_type": "a-f-G", "every_s": 2, "speed_mps": 1.5}
TRACKS = frozenset({"track"})


def metres(a: GeoPoint, b: GeoPoint) -> float:
    """Great-circle distance (haversine), independent of the scenario's own flat geometry."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_008.8 * math.asin(math.sqrt(h))


def bearing(a: GeoPoint, b: GeoPoint) -> float:
    """Initial great-circle bearing from ``a`` to ``b``, degrees clockwise from north."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dl = math.radians(b.lon - a.lon)
    y = math.sin(dl) * math.cos(p2)
    x = math.cos(p1) * math.sin(p2) - math.sin(p1) * math.cos(p2) * math.cos(dl)
    return math.degrees(math.atan2(y, x)) % 360


def angle_between(a: float, b: float) -> float:
    return abs((a - b + 180) % 360 - 180)


def routes_document(*routes: dict[str, Any], duration_s: float = 600) -> dict[str, Any]:
    return {"title": "routes", "duration_s": duration_s, "injects": [], "routes": list(routes)}


def tracks_of(scenario: Scenario, start_s: float, end_s: float, loop: int = 0) -> list[Track]:
    terms = default_terminology()
    return list(scenario.records_between(start_s, end_s, origin_clock, loop, terms, TRACKS))


def test_bundled_routes_are_two_foot_patrols_on_the_site_and_a_drone_from_the_harbour() -> None:
    scenario = Scenario.load(bundled_scenario_path())
    site = json.loads(bundled_scenario_path().with_name("site.geojson").read_text("utf-8"))
    venue = next(f for f in site["features"] if f["properties"]["kind"] == "venue")
    lons, lats = zip(*venue["geometry"]["coordinates"][0], strict=True)
    near_venue = (
        GeoPoint(min(lats) - 0.0003, min(lons) - 0.0005),
        GeoPoint(max(lats) + 0.0003, max(lons) + 0.0005),
    )  # about 30 m around the fence: the square and its harbour front

    def on_site(point: GeoPoint) -> bool:
        low, high = near_venue
        return low.lat <= point.lat <= high.lat and low.lon <= point.lon <= high.lon

    by_callsign = {route.callsign: route for route in scenario.routes}
    assert {c: r.cot_type for c, r in by_callsign.items()} == {
        "Patrol 1": "a-f-G",
        "Patrol 2": "a-f-G",
        "Unidentified drone": "a-u-A",
    }
    for callsign in ("Patrol 1", "Patrol 2"):
        patrol = by_callsign[callsign]
        assert 6 <= len(patrol.points) <= 10 and all(on_site(p) for p in patrol.points)
        assert patrol.end_s is None, "patrols walk on for as long as the demo runs"
    drone = by_callsign["Unidentified drone"]
    assert drone.points[0].lat < min(lats) - 0.0005, "appears over the harbour, south of the site"
    assert any(on_site(p) for p in drone.points), "crosses the site"
    intel = next(i for i in scenario.injects if i.data.get("event_type") == "physical_threat_intel")
    assert intel.at_s <= drone.start_s < (drone.end_s or 0) <= scenario.duration_s


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"points": [[60.0, 10.0]]}, "at least 2 points"),
        ({"points": [[95.0, 10.0], [60.0, 10.0]]}, "latitude 95.0 is outside"),
        ({"points": [[60.0, 10.0], [60.0, 190.0]]}, "longitude 190.0 is outside"),
        ({"points": [[60.0, 10.0], [60.0]]}, r"a point is \[lat, lon\]"),
        ({"points": [[60.0, 10.0], [60.0, 10.0]]}, "same place"),
        ({"every_s": 0}, "every_s must be above 0"),
        ({"every_s": -1}, "every_s must be above 0"),
        ({"speed_mps": 0}, "speed_mps must be above 0"),
        ({"cot_type": "patrol"}, "not a Cursor-on-Target type"),
        ({"start_s": 100, "end_s": 900}, "start_s and end_s must lie in 0..600"),
        ({"start_s": 300, "end_s": 200}, "start before end"),
    ],
)
def test_bad_routes_are_refused_naming_the_file_and_the_route(
    tmp_path: Path, change: dict[str, Any], reason: str
) -> None:
    good = {**PATROL, "callsign": "Patrol 2", "points": BLOCK}
    path = tmp_path / "routes.json"
    path.write_text(json.dumps(routes_document(good, {**PATROL, "points": BLOCK, **change})))
    with pytest.raises(ScenarioError, match=rf"routes\.json: route 'Patrol 1': .*{reason}"):
        Scenario.load(path)


def test_routes_missing_a_field_or_sharing_a_track_are_refused() -> None:
    no_speed = {k: v for k, v in PATROL.items() if k != "speed_mps"} | {"points": BLOCK}
    with pytest.raises(ScenarioError, match="route 'Patrol 1': speed_mps is missing"):
        Scenario.from_document(routes_document(no_speed))
    with pytest.raises(ScenarioError, match="route #1: callsign is missing"):
        Scenario.from_document(routes_document({"every_s": 1, "speed_mps": 1, "points": BLOCK}))
    twin = {**PATROL, "callsign": "PATROL-1", "points": BLOCK}
    with pytest.raises(ScenarioError, match="'Patrol 1' and 'PATROL-1' would be the same track"):
        Scenario.from_document(routes_document({**PATROL, "points": BLOCK}, twin))


def test_a_patrol_starts_at_its_first_point_and_walks_at_its_speed() -> None:
    scenario = Scenario.from_document(routes_document({**PATROL, "points": BLOCK}))
    walk = tracks_of(scenario, 0, 60)  # 90 m: still on the first, 111 m leg
    start, corner = GeoPoint(*BLOCK[0]), GeoPoint(*BLOCK[1])
    assert [t.time for t in walk] == [origin_clock(2 * step) for step in range(30)]
    assert (walk[0].point.lat, walk[0].point.lon) == pytest.approx((60.0, 10.0), abs=1e-9)
    for step, track in enumerate(walk):
        assert metres(start, track.point) == pytest.approx(1.5 * 2 * step, rel=0.002, abs=0.01)
        assert angle_between(track.course_deg, bearing(track.point, corner)) < 0.5
        assert (track.identifier, track.callsign, track.cot_type) == (
            "demo-track-patrol-1",
            "Patrol 1",
            "a-f-G",
        )
        assert track.speed_mps == 1.5 and track.status is Status.EXERCISE


def test_positions_turn_at_each_waypoint_and_loop_back_to_the_first() -> None:
    # A skewed triangle: no leg is north-south or east-west, so a swapped axis shows.
    triangle = [[60.0, 10.0], [60.0008, 10.0012], [59.9996, 10.002]]
    route = {**PATROL, "every_s": 1, "speed_mps": 2.0, "points": triangle}
    scenario = Scenario.from_document(routes_document(route))
    corners = [GeoPoint(*p) for p in triangle]
    legs = [metres(a, b) for a, b in itertools.pairwise([*corners, corners[0]])]
    lap_m = sum(legs)
    walk = tracks_of(scenario, 0, 2.5 * lap_m / 2.0)
    assert {t.identifier for t in walk} == {"demo-track-patrol-1"}
    checked_legs = set()
    for step, track in enumerate(walk):
        along = (2.0 * step) % lap_m
        leg = next(i for i, end in enumerate(itertools.accumulate(legs)) if along < end)
        target = corners[(leg + 1) % len(corners)]
        to_go = sum(legs[: leg + 1]) - along
        if to_go < 1.0:  # at a corner the heading is about to change: not a fair check
            continue
        assert metres(track.point, target) == pytest.approx(to_go, abs=0.3)
        assert angle_between(track.course_deg, bearing(track.point, target)) < 0.5
        assert 0 <= track.course_deg < 360
        checked_legs.add(leg)
    assert checked_legs == {0, 1, 2}, "the walk covers every leg, the closing one included"


def test_a_patrol_walks_on_across_scenario_loops_and_a_windowed_route_starts_over() -> None:
    patrol = {**PATROL, "points": BLOCK}
    drone = {
        "callsign": "Unidentified drone",
        "cot_type": "a-u-A",
        "every_s": 1,
        "speed_mps": 8,
        "start_s": 100,
        "end_s": 160,
        "points": BLOCK,
    }
    scenario = Scenario.from_document(routes_document(patrol, drone, duration_s=240))
    end_of_first = tracks_of(scenario, 0, 240, loop=0)
    start_of_second = tracks_of(scenario, 0, 240, loop=1)
    patrol_0 = [t for t in end_of_first if t.callsign == "Patrol 1"]
    patrol_1 = [t for t in start_of_second if t.callsign == "Patrol 1"]
    assert {t.identifier for t in patrol_0 + patrol_1} == {"demo-track-patrol-1"}
    # One step (2 s at 1.5 m/s) from the last position of a loop to the first of the next.
    assert metres(patrol_0[-1].point, patrol_1[0].point) == pytest.approx(3.0, abs=0.05)
    for loop, played in enumerate((end_of_first, start_of_second)):
        flight = [t for t in played if t.callsign == "Unidentified drone"]
        assert [t.time for t in flight] == [origin_clock(s) for s in range(100, 160)], loop
        assert metres(flight[0].point, GeoPoint(*BLOCK[0])) < 0.01
        assert {t.identifier for t in flight} == {"demo-track-unidentified-drone"}


def test_demo_tools_serve_tracks_over_http_as_valid_tool_api_records() -> None:
    demo = DemoTools(speed=60).start()
    wanted = {"Patrol 1", "Patrol 2", "Unidentified drone"}
    try:
        params = next(
            c["params"] for c in demo.connector_configs() if c["params"]["id"] == "patrol-tracking"
        )
        url = f"{params['base_url']}/api/v1/tracks"
        items: list[dict[str, Any]] = []
        deadline = time.monotonic() + 20
        while {i.get("callsign") for i in items} < wanted and time.monotonic() < deadline:
            response = requests.get(url, params={"limit": 1000}, timeout=5)
            assert response.status_code == 200
            items = response.json()["items"]
            time.sleep(0.05)
    finally:
        demo.stop()
    assert params["title"] == "Patrol tracking" and "tracks" in params["kinds"]
    tracks = [TrackIn.model_validate(item).to_record("patrol-tracking") for item in items]
    by_callsign: dict[str, list[Track]] = {}
    for track in tracks:
        by_callsign.setdefault(track.callsign, []).append(track)
    assert set(by_callsign) == wanted
    for callsign, positions in by_callsign.items():
        slug = callsign.lower().replace(" ", "-")
        assert {t.identifier for t in positions} == {f"patrol-tracking:demo-track-{slug}"}
        assert len({(t.point.lat, t.point.lon) for t in positions}) > 1, f"{callsign} moves"
        assert [t.time for t in positions] == sorted(t.time for t in positions)
        assert all(t.status is Status.EXERCISE and t.course_deg is not None for t in positions)


class Collector:
    def __init__(self) -> None:
        self.records: list[object] = []
        self.health: list[SourceHealth] = []
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)

    def on_records(self, batch: Sequence[object]) -> None:
        with self.changed:
            self.records.extend(r for r in batch if not isinstance(r, SourceHealth))
            self.health.extend(r for r in batch if isinstance(r, SourceHealth))
            self.changed.notify_all()

    def wait_for(self, predicate, timeout: float = 20.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)


def test_demo_runs_through_store_and_hub_at_speed(tmp_path: Path) -> None:
    core = Core(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", demo_speed=60))
    collector = Collector()
    core.hub.subscribe(object, collector.on_records)
    core.start()
    try:
        assert collector.wait_for(lambda c: sum(isinstance(r, Alert) for r in c.records) >= 5)
        assert collector.wait_for(lambda c: any(isinstance(r, Track) for r in c.records))
    finally:
        core.stop()
    published = {r.identifier for r in collector.records if isinstance(r, Alert)}
    stored = {a.identifier for a in core.store.latest(Alert, limit=1000)}
    assert published <= stored, "everything shown must have been stored first"
    # Tracks come from the simulated tracking tool over REST, one stored track per unit.
    patrol = core.store.get(Track, "patrol-tracking:demo-track-patrol-1")
    assert patrol is not None and patrol.source_id == "patrol-tracking"
    assert collector.health[0].source_id == "demo"


def test_a_full_store_degrades_the_source_and_loses_nothing(tmp_path: Path) -> None:
    core = Core(Settings(database_url=f"sqlite:///{tmp_path / 'full.db'}", demo=False))
    full = threading.Event()
    full.set()

    def limit_growth(dbapi_connection, _record) -> None:
        if full.is_set():
            dbapi_connection.execute("PRAGMA max_page_count = 1")

    event.listen(core.engine, "connect", limit_growth)
    core.engine.dispose()
    collector = Collector()
    core.hub.subscribe(object, collector.on_records)
    core.runner.start(DemoScenarioSource(speed=60))
    try:
        assert collector.wait_for(
            lambda c: any(
                h.state is HealthState.DEGRADED and "full" in h.last_error for h in c.health
            )
        )
        full.clear()
        core.engine.dispose()  # new connections may grow again: space was freed
        assert collector.wait_for(lambda c: len(c.records) >= 10)
    finally:
        core.stop()
    stored = {o.identifier for o in core.store.latest(Observation, limit=10_000)}
    published = {r.identifier for r in collector.records if isinstance(r, Observation)}
    assert published <= stored
    # Observations from the first seconds (when the store was full) were kept and stored later.
    assert "demo-0-bio-north-bacteria-0" in stored


def test_a_broken_source_plugin_is_reported_not_fatal(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        sources=[{"plugin": "demo", "params": {"speed": 1000}}, {"plugin": "nonexistent"}],
    )
    core = Core(settings)
    collector = Collector()
    core.hub.subscribe(object, collector.on_records)
    core.start()
    core.stop()
    down = {h.source_id: h for h in collector.health if h.state is HealthState.DOWN}
    assert "speed" in down["demo"].last_error
    assert "no plugin" in down["nonexistent"].last_error
