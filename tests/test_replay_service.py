"""The exercise service in a real core on a SQLite file: the scenario's records reach the store
through the simulated tools' REST API, runs are stored, commands work, and exercise data never
reaches a real tool."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.alerts.lifecycle import Action
from app.alerts.service import AlertCommand
from app.model import Alert, AlertAction, ExerciseRun, Observation, Status, Track
from app.replay.messages import ExerciseCommand, ExerciseStatus
from app.runtime import Core
from app.settings import Settings
from app.simtools.server import SimulatedToolServer
from app.simtools.tool import SimulatedTool
from app.storage.codecs import TABLES, from_row
from app.storage.orm import OutboxRow
from tests.factories import signed_in
from tests.replay_specs import alert_data, escalation_spec, timed_spec
from tests.video_helpers import wait_until


class Statuses:
    def __init__(self) -> None:
        self.seen: list[ExerciseStatus] = []

    def on_status(self, batch: Sequence[ExerciseStatus]) -> None:
        self.seen.extend(batch)

    @property
    def last(self) -> ExerciseStatus:
        return self.seen[-1] if self.seen else ExerciseStatus()


@pytest.fixture
def make_core(tmp_path: Path) -> Iterator[Any]:
    cores: list[Core] = []

    def make(**changes: Any) -> tuple[Core, Statuses]:
        fields: dict[str, Any] = {
            "database_url": f"sqlite:///{tmp_path / 'core.db'}",
            "demo": False,
        }
        settings = Settings(**(fields | changes))
        core = signed_in(Core(settings), "tess")  # the trainer at the desk
        statuses = Statuses()
        core._test_statuses = statuses  # type: ignore[attr-defined]  # kept alive with the core
        core.hub.subscribe(ExerciseStatus, statuses.on_status)
        cores.append(core)
        core.start()
        return core, statuses

    yield make
    for core in cores:
        core.stop()


def stored(core: Core, kind: type) -> list[Any]:
    with core.store.session() as session:
        return [from_row(kind, row) for row in session.scalars(select(TABLES[kind]))]


def test_a_scenario_reaches_the_store_over_rest_as_exercise_data(make_core) -> None:
    core, statuses = make_core()
    core.exercise.start_exercise(timed_spec(duration_s=100.0), speed=60.0, trainee="tess")
    wait_until(lambda: statuses.last.finished, what="the scenario to play to its end")
    run_id = statuses.last.run_id
    assert statuses.last.injects_played == statuses.last.injects_total == 10
    wait_until(lambda: len(stored(core, Alert)) == 9, what="every alert over REST")
    alerts = stored(core, Alert)
    assert {a.status for a in alerts} == {Status.EXERCISE}
    assert "weapons:x" + run_id + ".first" in {a.identifier for a in alerts}
    assert {a.source_tool for a in alerts} == {"weapons", "intel", "vms"}
    wait_until(lambda: len(stored(core, Observation)) == 21, what="the sensor series")
    assert {o.status for o in stored(core, Observation)} == {Status.EXERCISE}
    wait_until(lambda: stored(core, Track), what="the patrol")
    (run,) = stored(core, ExerciseRun)
    assert run.identifier == run_id and run.trainee == "tess" and run.ended is not None
    assert run.clock[0][1:] == (0.0, 60.0) and run.clock[-1][1:] == (100.0, 0.0)


def test_commands_pause_change_speed_seek_and_restart(make_core) -> None:
    core, statuses = make_core()
    core.exercise.start_exercise(escalation_spec(), speed=1.0)
    wait_until(lambda: statuses.last.running, what="the exercise to start")
    core.submit(ExerciseCommand("pause"))
    wait_until(lambda: statuses.last.paused)
    core.submit(ExerciseCommand("speed", 30.0))
    wait_until(lambda: statuses.last.speed == 30.0)
    core.submit(ExerciseCommand("speed", 90.0))
    wait_until(lambda: "60x" in statuses.last.problem, what="a refused speed")
    core.submit(ExerciseCommand("seek", 50.0))
    wait_until(lambda: statuses.last.scenario_s == 50.0)
    first_run = statuses.last.run_id
    assert statuses.last.paused and statuses.last.injects_played == 1
    core.submit(ExerciseCommand("restart"))
    wait_until(lambda: statuses.last.run_id != first_run and statuses.last.scenario_s == 0.0)
    runs = {run.identifier: run for run in stored(core, ExerciseRun)}
    assert set(runs) == {first_run, statuses.last.run_id}
    assert runs[first_run].ended is not None and runs[statuses.last.run_id].ended is None
    core.submit(ExerciseCommand("stop"))
    wait_until(lambda: not statuses.last.running)


def test_a_condition_fires_unless_the_trainee_acknowledged(make_core) -> None:
    core, statuses = make_core()
    core.exercise.start_exercise(escalation_spec(), speed=60.0)
    wait_until(lambda: statuses.last.finished)
    run = statuses.last.run_id
    wanted = {f"weapons:x{run}.knife", f"weapons:x{run}.escalation"}
    wait_until(lambda: {a.identifier for a in stored(core, Alert)} == wanted)
    # Again, acknowledging the knife at once: no escalation this time.
    # Paused first, so the restarted run waits at 0 s: restarting first let it play on until
    # the pause arrived, and on a loaded machine past 20 s, which made the seek below go back
    # (a new run).
    core.submit(ExerciseCommand("pause"))
    core.submit(ExerciseCommand("restart"))
    wait_until(lambda: statuses.last.run_id != run and statuses.last.paused)
    second = statuses.last.run_id
    core.submit(ExerciseCommand("seek", 20.0))
    knife = f"weapons:x{second}.knife"
    wait_until(lambda: knife in {a.identifier for a in stored(core, Alert)})
    core.submit(AlertCommand(Action.ACKNOWLEDGE, knife, by="tess"))
    wait_until(lambda: any(a.alert_identifier == knife for a in stored(core, AlertAction)))
    core.submit(ExerciseCommand("seek", 120.0))
    wait_until(lambda: statuses.last.finished and statuses.last.run_id == second)
    ids = {a.identifier for a in stored(core, Alert)}
    assert f"weapons:x{second}.escalation" not in ids


def test_exercise_data_never_reaches_a_real_tool(make_core) -> None:
    """A real connector for the scenario's own tool id: the exercise's connector gets another
    id, and neither the exercise's alert nor an exercise-status alert the real tool sends
    itself is ever pushed back to the real tool when acknowledged."""
    real = SimulatedTool("weapons")
    drill = alert_data("A drill alert from the real tool")
    drill.pop("point")
    real.publish(
        {
            **{k: drill[k] for k in ("sender", "event_type", "headline", "description")},
            "identifier": "drill-1",
            "sent": datetime.now(UTC).isoformat(),
            "status": "Exercise",
        }
    )
    with SimulatedToolServer() as server:
        config = {"id": "weapons", "base_url": server.add(real), "poll_interval_s": 0.2}
        core, statuses = make_core(sources=[{"plugin": "rest", "params": config}])
        core.exercise.start_exercise(escalation_spec(), speed=60.0)
        wait_until(lambda: statuses.last.finished)
        ours = f"exercise-weapons:x{statuses.last.run_id}.knife"
        wanted = {ours, "weapons:drill-1"}
        wait_until(lambda: wanted <= {a.identifier for a in stored(core, Alert)}, timeout=20)
        for identifier in wanted:
            core.submit(AlertCommand(Action.ACKNOWLEDGE, identifier, by="tess"))
        acted = lambda: {a.alert_identifier for a in stored(core, AlertAction)}  # noqa: E731
        wait_until(lambda: wanted <= acted(), what="both acknowledgements")
        exercise_tool = core.exercise._exercise.tools.tools["weapons"]  # type: ignore[union-attr]
        wait_until(lambda: exercise_tool.actions, what="the exercise's own tool to hear of it")
        assert [a["alert_identifier"] for a in exercise_tool.actions] == [ours.split(":", 1)[1]]
        with core.store.session() as session:
            owed = session.scalars(select(OutboxRow.connector_id)).all()
        assert "weapons" not in owed
        assert real.actions == []


def test_injects_of_an_exercise_never_fold_into_each_other() -> None:
    """At 60x (or after a seek) two injects of one tool at one place arrive seconds apart;
    they stay two alerts, as at 1x. A re-sighting under an ordinary identifier still folds."""
    from app.alerts.dedup import DedupRules, is_repeat
    from tests.factories import alert

    rules = DedupRules()
    first = alert("weapons:xrun1.knife", status=Status.EXERCISE)
    assert not is_repeat(alert("weapons:xrun1.escalation", status=Status.EXERCISE), first, rules)
    assert not is_repeat(alert("weapons:xrun2.knife", status=Status.EXERCISE), first, rules)
    assert is_repeat(alert("weapons:sighting-2", status=Status.EXERCISE), first, rules)
    real = alert("weapons:x1.a", status=Status.ACTUAL)
    assert is_repeat(alert("weapons:x1.b", status=Status.ACTUAL), real, rules)


def test_an_exercise_replaces_the_demo_so_its_tools_keep_their_ids(make_core) -> None:
    """The demo's simulated tools are named like the scenarios' (video-analytics...): starting
    an exercise stops the demo, and the exercise's connectors use the tools' own ids."""
    core, statuses = make_core(demo=True, demo_speed=60, video={"cameras": []})
    assert core.demo_tools is not None
    spec = timed_spec(duration_s=30.0)
    core.exercise.start_exercise(spec, speed=60.0)
    wait_until(lambda: statuses.last.finished, timeout=20)
    assert core.demo_tools is None
    assert sorted(s.id for s in core.sources) == sorted(spec.tools)
    run = statuses.last.run_id
    wait_until(lambda: f"weapons:x{run}.first" in {a.identifier for a in stored(core, Alert)})


def test_a_scenario_in_the_settings_plays_at_start_on_its_own_map(make_core) -> None:
    from app.scenario.loader import load_scenario

    spec = load_scenario("stadium-weapon")
    core, statuses = make_core(demo=True, scenario="stadium-weapon", demo_speed=5)
    assert core.demo_tools is None and core.source_configs() == []
    assert core.map_config.centre == spec.map_centre
    assert [layer.path for layer in core.map_config.site_layers] == list(spec.site_layers)
    assert core.sites.site_files == tuple(spec.site_layers)
    wait_until(lambda: statuses.last.running and statuses.last.scenario_id == "stadium-weapon")
    assert statuses.last.speed == 5.0
