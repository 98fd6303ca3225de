"""The alert centre end to end: a simulated tool over real HTTP, the real store, the service
thread, and the operator's commands as the queue panel submits them."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from app.alerts.lifecycle import Action
from app.alerts.service import (
    AlertCommand,
    AlertService,
    AlertSnapshot,
    CommandRefused,
    FusionUpdate,
)
from app.model import Alert, AlertAction, AlertState, Priority
from app.simtools.server import SimulatedToolServer
from app.simtools.tool import SimulatedTool
from app.sync.state import SyncState
from tests.test_sync import T0, Watcher, tool_alert


class ServiceWatcher(Watcher):
    def __init__(self, core) -> None:
        super().__init__(core)
        self.other: list[object] = []
        core.hub.subscribe(AlertSnapshot, self.on_other)
        core.hub.subscribe(CommandRefused, self.on_other)
        core.hub.subscribe(FusionUpdate, self.on_other)
        core.hub.subscribe(AlertAction, self.on_other)

    def on_other(self, batch) -> None:
        with self._changed:
            self.other += list(batch)
            self._changed.notify_all()

    def of(self, kind: type) -> list:
        return [m for m in self.other if isinstance(m, kind)]


@pytest.fixture
def make_core_factory(tmp_path: Path):
    from app.runtime import Core
    from app.settings import Settings

    cores: list[Core] = []

    def make(tools: dict[str, tuple[str, bool]]) -> tuple[Core, ServiceWatcher]:
        sources = [
            {
                "plugin": "rest",
                "params": {
                    "id": tool_id,
                    "base_url": url,
                    "simulated": simulated,
                    "poll_interval_s": 0.05,
                    "retry_base_s": 0.05,
                    "retry_cap_s": 0.2,
                },
            }
            for tool_id, (url, simulated) in tools.items()
        ]
        core = Core(
            Settings(
                database_url=f"sqlite:///{tmp_path / 'centre.db'}",
                sources=sources,
                flood_threshold=5,
            )
        )
        watcher = ServiceWatcher(core)
        cores.append(core)
        core.start()
        return core, watcher

    yield make
    for core in cores:
        core.stop()


def wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_an_acknowledgement_is_stored_logged_and_pushed_back_to_the_tool(make_core_factory):
    tool = SimulatedTool("wd")
    with SimulatedToolServer() as server:
        url = server.add(tool)
        tool.publish(tool_alert(1, status="Actual"))
        core, watcher = make_core_factory({"wd": (url, False)})
        watcher.wait(lambda w: len(w.alerts) == 1)
        core.alerts.submit(AlertCommand(Action.ACKNOWLEDGE, "wd:wd-1", by="op-7"))
        watcher.wait(lambda w: any(a.state is AlertState.ACKNOWLEDGED for a in w.alerts))
        wait_until(lambda: bool(tool.actions))
        assert tool.actions[0]["action"] == "acknowledged"
        assert tool.actions[0]["alert_identifier"] == "wd-1" and tool.actions[0]["by"] == "op-7"
        assert core.store.get(Alert, "wd:wd-1").state is AlertState.ACKNOWLEDGED
        action = watcher.of(AlertAction)[0]
        assert core.store.get(AlertAction, action.identifier).by == "op-7"
        wait_until(lambda: not SyncState(core.store, "wd").pending())


def test_exercise_actions_never_reach_a_real_tool(make_core_factory):
    tool = SimulatedTool("wd")
    with SimulatedToolServer() as server:
        url = server.add(tool)
        tool.publish(tool_alert(1))  # status Exercise
        core, watcher = make_core_factory({"wd": (url, False)})  # a real tool
        watcher.wait(lambda w: len(w.alerts) == 1)
        core.alerts.submit(AlertCommand(Action.DISMISS, "wd:wd-1", "op-7", reason="drill"))
        watcher.wait(lambda w: any(a.state is AlertState.DISMISSED for a in w.alerts))
        assert SyncState(core.store, "wd").pending() == []
        time.sleep(0.3)
        assert tool.actions == []


def test_refused_commands_come_back_with_the_reason(make_core_factory):
    tool = SimulatedTool("wd")
    with SimulatedToolServer() as server:
        url = server.add(tool)
        tool.publish(tool_alert(1))
        core, watcher = make_core_factory({"wd": (url, True)})
        watcher.wait(lambda w: len(w.alerts) == 1)
        core.alerts.submit(AlertCommand(Action.DISMISS, "wd:wd-1", "op-7"))  # no reason
        core.alerts.submit(AlertCommand(Action.ACKNOWLEDGE, "wd:nope", "op-7"))
        watcher.wait(lambda w: len(w.of(CommandRefused)) == 2)
        reasons = [r.message for r in watcher.of(CommandRefused)]
        assert "Give a reason" in reasons[0]
        assert "no longer in the store" in reasons[1]


def test_escalation_survives_a_re_delivery_of_the_alert(make_core_factory):
    tool = SimulatedTool("wd")
    with SimulatedToolServer() as server:
        url = server.add(tool)
        tool.publish(
            tool_alert(
                1,
                event_type="loitering",
                severity="Minor",
                urgency="Future",
                certainty="Possible",
                confidence=0.3,
            )
        )
        core, watcher = make_core_factory({"wd": (url, True)})
        watcher.wait(lambda w: len(w.alerts) == 1)
        before = core.store.get(Alert, "wd:wd-1").priority
        core.alerts.submit(AlertCommand(Action.ESCALATE, "wd:wd-1", "op-7"))
        watcher.wait(lambda w: any(a.priority < before for a in w.alerts))
        tool.publish(
            tool_alert(
                1,
                event_type="loitering",
                severity="Minor",
                urgency="Future",
                certainty="Possible",
                confidence=0.3,
                headline="re-sent",
            )
        )
        watcher.wait(lambda w: any(a.headline == "re-sent" for a in w.alerts))
        again = core.store.get(Alert, "wd:wd-1")
        assert again.priority == Priority(before - 1)


def test_repeats_from_one_tool_fold_into_one_alert(make_core_factory):
    tool = SimulatedTool("wd")
    with SimulatedToolServer() as server:
        url = server.add(tool)
        same_place = {"geometry": {"type": "Point", "coordinates": [10.7336, 59.9117]}}
        tool.publish(*(tool_alert(n, **same_place) for n in range(4)))
        core, _watcher = make_core_factory({"wd": (url, True)})
        wait_until(
            lambda: core.store.count(Alert) == 1 and core.store.latest(Alert)[0].occurrences == 4
        )
        folded = core.store.latest(Alert)[0]
        assert folded.last_seen == T0 + timedelta(seconds=3)


def test_alerts_from_two_tools_at_one_place_become_a_fusion_candidate(make_core_factory):
    weapons, social = SimulatedTool("weapons"), SimulatedTool("social")
    with SimulatedToolServer() as server:
        tools = {"weapons": (server.add(weapons), True), "social": (server.add(social), True)}
        now = time.time()
        from datetime import UTC, datetime

        sent = datetime.fromtimestamp(now, UTC)
        weapons.publish(tool_alert(1, sent=sent.isoformat(), confidence=0.81))
        social.publish(
            tool_alert(
                2,
                event_type="threatening_post",
                confidence=0.64,
                sent=(sent - timedelta(minutes=4)).isoformat(),
                geometry={"type": "Point", "coordinates": [10.7337, 59.9128]},
            )
        )
        _core, watcher = make_core_factory(tools)
        watcher.wait(lambda w: any(u.candidates for u in w.of(FusionUpdate)))
        candidate = [u for u in watcher.of(FusionUpdate) if u.candidates][-1].candidates[0]
        assert set(candidate.members) == {"weapons:wd-1", "social:wd-2"}
        assert candidate.confidence > 0.81
        assert (
            "Knife detected" in candidate.explanation and "4 min earlier" in candidate.explanation
        )


def test_the_queue_starts_from_a_snapshot_of_the_store(make_core_factory):
    tool = SimulatedTool("wd")
    with SimulatedToolServer() as server:
        url = server.add(tool)
        tool.publish(tool_alert(1))
        core, watcher = make_core_factory({"wd": (url, True)})
        watcher.wait(lambda w: len(w.alerts) == 1)
        core.stop()
        _core2, watcher2 = make_core_factory({"wd": (url, True)})
        watcher2.wait(lambda w: bool(w.of(AlertSnapshot)))
        assert [a.identifier for a in watcher2.of(AlertSnapshot)[0].alerts] == ["wd:wd-1"]


def test_a_flood_ends_when_its_window_passes_even_if_nothing_else_arrives(tmp_path) -> None:
    from app.alerts.flood import FloodState
    from app.alerts.fusion import FusionRules
    from app.alerts.repository import AlertRepository
    from app.hub import Hub
    from app.storage import RecordStore, create_engine_for, upgrade_schema
    from app.terminology import default_terminology
    from tests.factories import alert

    engine = create_engine_for(f"sqlite:///{tmp_path / 'flood.db'}")
    upgrade_schema(engine)
    hub = Hub()
    states: list[FloodState] = []

    class Probe:
        def on(self, batch) -> None:
            states.extend(batch)

    probe = Probe()
    hub.subscribe(FloodState, probe.on)
    service = AlertService(
        AlertRepository(RecordStore(engine)),
        hub,
        default_terminology(),
        FusionRules.load(),
        flood_threshold=3,
        route=lambda _tool: None,
        flood_window_s=1.5,
    )
    service.start()
    try:
        hub.publish(*(alert(f"f-{n}") for n in range(4)))
        wait_until(lambda: any(s.flooding for s in states))
        wait_until(lambda: not states[-1].flooding, timeout=10)  # no alert arrived since
    finally:
        service.stop()
        engine.dispose()
