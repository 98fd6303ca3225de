"""The simulated clock: scenario time from a (fake) monotonic clock, and its anchor log."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.replay.clock import scenario_seconds, wall_time
from tests.replay_specs import BASE, FakeTime


def at(seconds: float) -> datetime:
    return BASE + timedelta(seconds=seconds)


def test_scenario_time_runs_at_the_clocks_speed() -> None:
    fake = FakeTime()
    clock = fake.clock(speed=10.0)
    fake.now += 6.0
    assert clock.scenario_time() == pytest.approx(60.0)
    clock.set_speed(2.0)
    fake.now += 5.0
    assert clock.scenario_time() == pytest.approx(70.0)


def test_pause_holds_the_time_and_resume_goes_on_from_it() -> None:
    fake = FakeTime()
    clock = fake.clock(speed=4.0)
    fake.now += 5.0
    clock.pause()
    fake.now += 1000.0
    assert clock.scenario_time() == pytest.approx(20.0)
    assert clock.paused
    clock.resume()
    fake.now += 1.0
    assert clock.scenario_time() == pytest.approx(24.0)


def test_speed_is_bounded_to_half_to_sixty() -> None:
    fake = FakeTime()
    assert fake.clock(speed=0.5).speed == 0.5
    assert fake.clock(speed=60).speed == 60.0
    clock = fake.clock()
    for wrong in (0.49, 60.5, 0, -1):
        with pytest.raises(ValueError, match=r"between 0.5x and 60x"):
            clock.set_speed(wrong)
    with pytest.raises(ValueError, match="61x"):
        fake.clock(speed=61)
    assert clock.speed == 1.0


def test_every_change_writes_an_anchor_with_speed_zero_while_paused() -> None:
    fake = FakeTime()
    clock = fake.clock(speed=2.0)
    fake.now += 10.0
    clock.pause()
    fake.now += 10.0
    clock.resume()
    fake.now += 10.0
    clock.set_speed(5.0)
    fake.now += 2.0
    clock.seek(100.0)
    assert clock.anchors == (
        (at(0).isoformat(), 0.0, 2.0),
        (at(10).isoformat(), 20.0, 0.0),
        (at(20).isoformat(), 20.0, 2.0),
        (at(30).isoformat(), 40.0, 5.0),
        (at(32).isoformat(), 100.0, 5.0),
    )


def test_restart_begins_a_new_anchor_log() -> None:
    fake = FakeTime()
    clock = fake.clock()
    fake.now += 30.0
    clock.restart(12.0)
    assert clock.scenario_time() == 12.0
    assert clock.anchors == ((at(30).isoformat(), 12.0, 1.0),)


def test_limit_stops_time_at_the_scenarios_end() -> None:
    fake = FakeTime()
    clock = fake.clock(speed=60, limit_s=300.0)
    fake.now += 3600.0
    assert clock.scenario_time() == 300.0
    clock.seek(500.0)
    assert clock.scenario_time() == 300.0


def test_stored_anchors_map_wall_time_to_scenario_time_and_back() -> None:
    fake = FakeTime()
    clock = fake.clock(speed=2.0)
    fake.now += 10.0  # scenario 20 at wall 10
    clock.pause()
    fake.now += 50.0  # paused until wall 60
    clock.resume()
    fake.now += 10.0  # scenario 40 at wall 70
    clock.seek(100.0)  # jumps over 40..100 at wall 70
    fake.now += 5.0  # scenario 110 at wall 75
    anchors = clock.anchors
    assert scenario_seconds(anchors, at(5)) == pytest.approx(10.0)
    assert scenario_seconds(anchors, at(30)) == pytest.approx(20.0), "paused"
    assert scenario_seconds(anchors, at(65)) == pytest.approx(30.0)
    assert scenario_seconds(anchors, at(75)) == pytest.approx(110.0)
    assert scenario_seconds(anchors, at(-10)) == 0.0, "before the run: its start"
    assert wall_time(anchors, 10.0) == at(5)
    assert wall_time(anchors, 20.0) == at(10), "reached just as the pause began"
    assert wall_time(anchors, 30.0) == at(65)
    assert wall_time(anchors, 70.0) == at(70), "skipped by the seek: the seek's moment"
    assert wall_time(anchors, 104.0) == at(72)
    assert wall_time(anchors, 200.0) == at(120), "not reached yet: extrapolated"
    assert clock.wall_time(30.0) == at(65)
    for scenario_s in (0.0, 7.5, 33.3, 100.0, 109.0):
        back = scenario_seconds(anchors, wall_time(anchors, scenario_s))
        assert back == pytest.approx(scenario_s)
