"""The replay engine on a fake clock: order and timing at speed, pause, seek, restart,
conditions, and the tool-API JSON each kind of inject becomes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from app.replay.engine import ReplayEngine
from app.replay.schedule import Schedule
from app.scenario.model import ScenarioSpec, inject_of
from app.simtools.tool import SimulatedTool
from app.terminology import default_terminology
from app.toolapi.records import KIND_MODELS
from tests.replay_specs import BASE, FakeTime, detection, escalation_spec, timed_spec

FEEDS = ("alerts", "detections", "observations", "tracks", "posts")


def make_engine(
    spec: ScenarioSpec, speed: float = 1.0, run_id: str = "run1", **kwargs: Any
) -> tuple[ReplayEngine, FakeTime]:
    fake = FakeTime()
    tools = {tool_id: SimulatedTool(tool_id) for tool_id in spec.tools}
    clock = fake.clock(speed=speed, limit_s=spec.duration_s)
    return ReplayEngine(spec, tools, clock, run_id, **kwargs), fake


def feed(engine: ReplayEngine, tool: str, kind: str = "alerts") -> list[dict]:
    items, _last, _more = engine.tools[tool].page(0, 100_000, kind)
    return items


def everything(engine: ReplayEngine) -> list[dict]:
    return [
        item for tool in sorted(engine.tools) for kind in FEEDS for item in feed(engine, tool, kind)
    ]


def without_times(items: list[dict]) -> list[dict]:
    return [{k: v for k, v in item.items() if k not in ("time", "sent")} for item in items]


def inject_ids(items: list[dict]) -> list[str]:
    return [inject_of(item["identifier"])[1] for item in items]


def play(engine: ReplayEngine, fake: FakeTime, wall_s: float, tick_s: float = 0.1) -> None:
    """Ticks the engine as the service does, every ``tick_s`` of (fake) wall time, ending
    exactly ``wall_s`` later (no float drift from adding up ticks)."""
    start, steps = fake.now, max(1, round(wall_s / tick_s))
    for step in range(1, steps + 1):
        fake.now = start + wall_s * step / steps
        engine.advance()


def test_at_ten_times_after_six_seconds_exactly_the_injects_up_to_sixty_are_out_in_order() -> None:
    engine, fake = make_engine(timed_spec(), speed=10.0)
    play(engine, fake, 6.0)
    assert inject_ids(feed(engine, "weapons")) == [
        "first",
        "ten",
        "thirty-b",
        "thirty-a",
        "sixty",
    ]
    assert inject_ids(feed(engine, "social", "posts")) == ["post"]
    assert inject_ids(feed(engine, "intel")) == ["intel"]
    assert inject_ids(feed(engine, "vms")) == ["camera"]
    readings = feed(engine, "sensors", "observations")
    assert [r["value"] for r in readings] == [100.0, 120.0, 5000.0] * 4 + [100.0]  # 0..60 s
    assert len(feed(engine, "tracking", "tracks")) == 7  # 0, 10, ..., 60 s
    assert engine.injects_played == 8


def test_records_carry_the_wall_time_the_clock_maps_their_scenario_time_to() -> None:
    engine, fake = make_engine(timed_spec(), speed=10.0)
    play(engine, fake, 6.0)
    sent = {inject_of(a["identifier"])[1]: a["sent"] for a in feed(engine, "weapons")}
    assert sent["ten"] == (BASE + timedelta(seconds=1.0)).isoformat()
    assert sent["sixty"] == (BASE + timedelta(seconds=6.0)).isoformat()
    readings = feed(engine, "sensors", "observations")
    assert readings[1]["time"] == (BASE + timedelta(seconds=0.5)).isoformat()
    assert all(item["status"] == "Exercise" for item in everything(engine))


def test_pause_holds_and_play_goes_on() -> None:
    engine, fake = make_engine(timed_spec(), speed=10.0)
    play(engine, fake, 2.0)  # 20 s
    engine.clock.pause()
    before = len(everything(engine))
    play(engine, fake, 60.0)
    assert len(everything(engine)) == before
    assert inject_ids(feed(engine, "weapons")) == ["first", "ten"]
    engine.clock.resume()
    play(engine, fake, 1.0)  # 30 s
    assert inject_ids(feed(engine, "weapons"))[-2:] == ["thirty-b", "thirty-a"]


def test_seek_forward_gives_what_playing_to_that_point_gives() -> None:
    played, fake = make_engine(timed_spec(), speed=7.0)
    play(played, fake, 75.0 / 7.0, tick_s=0.05)
    assert played.clock.scenario_time() == pytest.approx(75.0)
    seeking, _fake = make_engine(timed_spec(), speed=7.0)
    seeking.seek(75.0)
    assert played.run_id == seeking.run_id
    assert without_times(everything(seeking)) == without_times(everything(played))
    assert len(everything(seeking)) == 9 + 16 + 8  # injects, readings, positions
    # Everything the seek skipped carries the moment of the seek.
    assert {a["sent"] for a in feed(seeking, "weapons")} == {BASE.isoformat()}


def test_seek_in_steps_equals_one_seek() -> None:
    stepped, _ = make_engine(timed_spec())
    for target in (5.0, 5.0, 29.9, 30.0, 61.0, 119.0):
        stepped.seek(target)
    once, _ = make_engine(timed_spec())
    once.seek(119.0)
    assert without_times(everything(stepped)) == without_times(everything(once))


def test_seek_back_and_restart_start_new_runs() -> None:
    seen: list[tuple[str, str, tuple]] = []
    ids = iter(["run2", "run3"])
    engine, fake = make_engine(
        timed_spec(),
        speed=10.0,
        on_new_run=lambda old, new, anchors: seen.append((old, new, anchors)),
        make_run_id=lambda: next(ids),
    )
    play(engine, fake, 7.0)  # 70 s
    engine.seek(30.0)
    assert engine.run_id == "run2"
    assert seen[0][0:2] == ("run1", "run2") and seen[0][2][0][1] == 0.0
    new = [item for item in feed(engine, "weapons") if item["identifier"].startswith("xrun2.")]
    assert inject_ids(new) == ["first", "ten", "thirty-b", "thirty-a"]
    assert engine.clock.scenario_time() == 30.0
    engine.restart()
    assert engine.run_id == "run3" and engine.clock.scenario_time() == 0.0
    newest = [item for item in feed(engine, "weapons") if item["identifier"].startswith("xrun3.")]
    assert inject_ids(newest) == ["first"]


def test_a_condition_fires_once_when_the_action_is_missing() -> None:
    engine, fake = make_engine(escalation_spec(), speed=10.0)
    play(engine, fake, 6.9)  # 69 s: deadline 70 s not yet passed
    assert inject_ids(feed(engine, "weapons")) == ["knife"]
    play(engine, fake, 5.0)
    assert inject_ids(feed(engine, "weapons")) == ["knife", "escalation"]
    escalation = feed(engine, "weapons")[1]
    assert escalation["sent"] == (BASE + timedelta(seconds=7.0)).isoformat()
    assert engine.conditions_fired == 1
    play(engine, fake, 5.0)
    assert len(feed(engine, "weapons")) == 2


def test_a_condition_does_not_fire_when_the_action_was_done() -> None:
    asked: list[str] = []

    def actions(identifier: str) -> set[str]:
        asked.append(identifier)
        return {"acknowledge"}

    engine, fake = make_engine(escalation_spec(), speed=10.0, action_lookup=actions)
    play(engine, fake, 12.0)
    assert inject_ids(feed(engine, "weapons")) == ["knife"]
    assert asked == ["weapons:xrun1.knife"], "looked up once, under its stored identifier"


def test_a_condition_asks_under_the_connectors_id_when_it_differs() -> None:
    asked: list[str] = []
    engine, _ = make_engine(
        escalation_spec(),
        action_lookup=lambda identifier: asked.append(identifier) or set(),
        connector_ids={"weapons": "exercise-weapons"},
    )
    engine.seek(100.0)
    assert asked == ["exercise-weapons:xrun1.knife"]


def test_every_published_item_is_valid_tool_api_json() -> None:
    engine, _ = make_engine(timed_spec())
    engine.seek(120.0)
    terms = default_terminology()
    for tool in engine.tools:
        for kind in FEEDS:
            for item in feed(engine, tool, kind):
                KIND_MODELS[kind].model_validate(item).to_record(tool, terms)


def test_threat_intel_and_camera_failures_become_alerts_naming_what_matters() -> None:
    engine, _ = make_engine(timed_spec())
    engine.seek(55.0)
    (intel,) = feed(engine, "intel")
    assert "203.0.113.7" in intel["description"] and "Partner CERT" in intel["description"]
    assert {"kind": "indicator", "uri": "indicator:bad.example", "caption": "domain"} in intel[
        "evidence"
    ]
    assert intel["event_type"] == "cyber_intrusion"
    (camera,) = feed(engine, "vms")
    assert camera["event_type"] == "camera_tampering"
    assert "cam-7" in camera["description"]
    assert {"kind": "camera", "uri": "camera:cam-7", "caption": "cam-7"} in camera["evidence"]


def test_a_detection_with_a_snapshot_serves_the_picture_and_raises_its_alert(
    tmp_path: Path,
) -> None:
    picture = tmp_path / "knife.jpg"
    picture.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg \xff\xd9")
    spec = timed_spec(injects=(detection("seen", 5.0, picture), detection("plain", 6.0)))
    engine, _ = make_engine(spec, urls={"video": "http://127.0.0.1:9/tools/video"})
    engine.seek(10.0)
    seen, plain = feed(engine, "video", "detections")
    assert "snapshot_uri" not in plain
    uri = seen["snapshot_uri"]
    assert uri == "http://127.0.0.1:9/tools/video/exercise/xrun1.seen.jpg"
    assert engine.tools["video"].document("/exercise/xrun1.seen.jpg") == (
        picture.read_bytes(),
        "image/jpeg",
    )
    (alert,) = feed(engine, "video")
    assert alert["identifier"] == seen["identifier"]
    assert alert["evidence"][0] == {"kind": "snapshot", "uri": uri, "caption": "cam-1"}


def test_the_schedule_is_additive_and_counts_without_listing() -> None:
    schedule = Schedule(timed_spec())
    whole = schedule.due(float("-inf"), 120.0)
    parts = schedule.due(float("-inf"), 33.3) + schedule.due(33.3, 60.0) + schedule.due(60.0, 120)
    assert parts == whole
    assert schedule.count(120.0) == len(whole)
    assert [d.at_s for d in whole] == sorted(d.at_s for d in whole)


def test_a_route_walker_goes_where_the_demo_routes_go() -> None:
    from app.demo.routes import Route
    from app.model import GeoPoint
    from app.replay.routes import RouteWalker

    points = ((59.911, 10.733), (59.912, 10.734), (59.912, 10.734), (59.911, 10.735))
    walker = RouteWalker(points, 1.4)
    route = Route("P", "a-f-G", 10.0, 1.4, tuple(GeoPoint(lat, lon) for lat, lon in points))
    for elapsed in (0.0, 7.5, 60.0, 123.4, 1000.0, 86_400.0):
        assert walker.position(elapsed) == route.position(elapsed), elapsed
    assert RouteWalker(((1.0, 2.0), (1.0, 2.0)), 1.0).position(5.0) == (GeoPoint(1.0, 2.0), None)
