"""Incidents end to end in the core: a real Core on a SQLite file, its alert service and its
incident service, commands submitted as the panels submit them."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from app.alerts.lifecycle import Action
from app.alerts.service import AlertCommand
from app.alerts.sop import SopLibrary
from app.incidents import log_text
from app.incidents.messages import (
    AddIncidentAlerts,
    AddIncidentNote,
    AddIncidentTask,
    AssignCommander,
    IncidentChanged,
    IncidentCommandRefused,
    IncidentsSnapshot,
    MarkSopStep,
    OpenIncident,
    SetIncidentState,
    SetTaskDone,
    SopProgress,
    SopProgressQuery,
)
from app.incidents.repository import StaleVersionError
from app.incidents.sop_tasks import checklist_of
from app.model import (
    Alert,
    AlertAction,
    Certainty,
    GeoPoint,
    Incident,
    IncidentEntry,
    Priority,
    Severity,
    Status,
    Urgency,
)
from app.runtime import Core
from app.settings import Settings
from tests.factories import alert, signed_in, submit_as

SOP = SopLibrary.load()


class Inbox:
    """Everything the core publishes, with a wait for a condition on it."""

    def __init__(self, core: Core) -> None:
        self.messages: list[Any] = []
        self._changed = threading.Condition()
        self._subscription = core.hub.subscribe(object, self.on_batch)

    def on_batch(self, batch: list[Any]) -> None:
        with self._changed:
            self.messages += batch
            self._changed.notify_all()

    def of(self, kind: type) -> list[Any]:
        with self._changed:
            return [m for m in self.messages if isinstance(m, kind)]

    def wait(self, predicate: Callable[[], object], timeout: float = 20.0) -> None:
        with self._changed:
            assert self._changed.wait_for(predicate, timeout), "timed out"

    def incident(self, incident_id: str, predicate: Callable[[IncidentChanged], object]):
        """Waits for a published state of the incident that satisfies ``predicate``."""
        found: list[IncidentChanged] = []

        def seen() -> bool:
            found[:] = [
                m
                for m in self.messages
                if isinstance(m, IncidentChanged)
                and m.incident.identifier == incident_id
                and predicate(m)
            ]
            return bool(found)

        self.wait(seen)
        return found[-1]

    def refusals(self, count: int) -> list[IncidentCommandRefused]:
        self.wait(lambda: len(self.of(IncidentCommandRefused)) >= count)
        return self.of(IncidentCommandRefused)


@pytest.fixture
def make_core(tmp_path: Path) -> Iterator[Callable[[], tuple[Core, Inbox]]]:
    cores: list[Core] = []

    def make() -> tuple[Core, Inbox]:
        core = Core(Settings(database_url=f"sqlite:///{tmp_path / 'incidents.db'}", demo=False))
        inbox = Inbox(core)
        cores.append(core)
        core.start()
        return core, inbox

    yield make
    for core in cores:
        core.stop()


@pytest.fixture
def running(make_core) -> tuple[Core, Inbox]:
    core, inbox = make_core()
    core.ingest.accept(
        [
            apart("a-1", 0, priority=Priority.P2, event_type="knife"),
            apart("a-2", 1, priority=Priority.P1, event_type="crowd_density"),
            apart("a-3", 2, priority=Priority.P3, event_type="knife"),
            apart("other", 3, priority=Priority.P3, headline="Elsewhere"),
        ]
    )
    return core, inbox


def apart(identifier: str, n: int, **changes: Any) -> Alert:
    """A real alert from its own tool and place, so that deduplication keeps it apart."""
    return alert(
        identifier,
        status=Status.ACTUAL,
        source_tool=f"tool-{n}",
        point=GeoPoint(59.0 + n, 10.0),
        area=None,
        **changes,
    )


def open_incident(core: Core, inbox: Inbox, *alert_ids: str, **changes: Any) -> IncidentChanged:
    command = OpenIncident(changes.pop("title", "Stage"), alert_ids, changes.pop("by", "ann"))
    submit_as(core, dataclasses.replace(command, **changes))
    return inbox.incident(command.identifier, lambda _: True)


def texts(view: IncidentChanged) -> list[str]:
    return [log_text.describe(e) for e in view.entries]


def test_opening_from_alerts_logs_them_and_creates_each_checklist_once(running) -> None:
    core, inbox = running
    view = open_incident(core, inbox, "a-1", "a-2", "a-3")
    incident = view.incident
    assert incident.priority is Priority.P1, "the most urgent alert's priority"
    assert incident.status is Status.ACTUAL and incident.exercise_id is None
    assert incident.state == "open" and incident.version == 1
    assert incident.alert_ids == ("a-1", "a-2", "a-3")
    expected = list(SOP.checklists["knife"]) + list(SOP.checklists["crowd_density"])
    assert [t.title for t in view.tasks] == expected, "knife once, in checklist order"
    assert {t.kind for t in view.tasks} == {"sop"}
    assert [checklist_of(t) for t in view.tasks].count("knife") == len(SOP.checklists["knife"])
    assert texts(view)[0] == "Incident opened: Stage"
    assert [e.details["alert_id"] for e in view.entries if e.kind == "alert"] == [
        "a-1",
        "a-2",
        "a-3",
    ]
    assert {e.by for e in view.entries} == {"ann"}
    assert [a.identifier for a in view.alerts] == ["a-1", "a-2", "a-3"]
    assert core.store.get(Incident, incident.identifier) == incident


def test_adding_alerts_adds_only_new_checklists_and_raises_the_priority(running) -> None:
    core, inbox = running
    view = open_incident(core, inbox, "a-3")
    incident_id = view.incident.identifier
    submit_as(core, AddIncidentAlerts(incident_id, ("a-1", "a-2"), "bob", expected_version=1))
    grown = inbox.incident(incident_id, lambda v: v.incident.version == 2)
    assert grown.incident.priority is Priority.P1
    assert [checklist_of(t) for t in grown.tasks].count("knife") == len(SOP.checklists["knife"])
    assert "crowd_density" in {checklist_of(t) for t in grown.tasks}
    assert [e.by for e in grown.entries if e.kind == "alert"][-2:] == ["bob", "bob"]


def test_exercise_alerts_make_an_exercise_incident_of_their_run(make_core) -> None:
    core, inbox = make_core()
    core.ingest.accept(
        [
            alert("sim-wd:xRUN7.weapon-1", status=Status.EXERCISE),
            alert("sim-social:xRUN7.post-2", status=Status.EXERCISE, event_type="threat_post"),
            alert("real", status=Status.ACTUAL),
        ]
    )
    view = open_incident(core, inbox, "sim-wd:xRUN7.weapon-1", "sim-social:xRUN7.post-2")
    assert view.incident.status is Status.EXERCISE
    assert view.incident.exercise_id == "RUN7"
    submit_as(core, AddIncidentAlerts(view.incident.identifier, ("real",), "ann"))
    mixed = OpenIncident("Mixed", ("real", "sim-wd:xRUN7.weapon-1"), "ann")
    submit_as(core, mixed)
    refusals = inbox.refusals(2)
    assert all("cannot share an incident" in r.message for r in refusals)
    assert core.store.get(Incident, mixed.identifier) is None


def test_actions_on_member_alerts_are_logged_and_on_other_alerts_not(running) -> None:
    core, inbox = running
    view = open_incident(core, inbox, "a-1", "a-3")
    incident_id = view.incident.identifier
    submit_as(core, AlertCommand(Action.ACKNOWLEDGE, "a-1", "op-7"))
    submit_as(core, AlertCommand(Action.DISMISS, "a-3", "op-8", reason="a shadow"))
    submit_as(core, AlertCommand(Action.ACKNOWLEDGE, "other", "op-9"))
    logged = inbox.incident(incident_id, lambda v: sum(e.kind == "action" for e in v.entries) == 2)
    inbox.wait(lambda: any(a.alert_identifier == "other" for a in inbox.of(AlertAction)))
    # The service handles its queue in order: once this note is in, the action on "other"
    # has been looked at too.
    submit_as(core, AddIncidentNote(incident_id, "Police informed", "ann"))
    noted = inbox.incident(incident_id, lambda v: any(e.kind == "note" for e in v.entries))
    actions = [e for e in noted.entries if e.kind == "action"]
    assert [(e.by, e.details["alert_id"], e.details["action"]) for e in actions] == [
        ("op-7", "a-1", "acknowledge"),
        ("op-8", "a-3", "dismiss"),
    ]
    assert (
        log_text.describe(actions[1])
        == "Alert dismissed: Knife detected near the stage (reason: a shadow)"
    )
    assert all(e.time.tzinfo is not None for e in actions)
    assert logged.incident.version == 1, "the log grows without changing the incident"
    assert core.store.get(IncidentEntry, actions[0].identifier) == actions[0]


def test_escalating_a_member_raises_the_incident(running) -> None:
    core, inbox = running
    low = apart(
        "low",
        5,
        event_type="loitering",
        headline="Person loitering",
        priority=Priority.P4,
        severity=Severity.MINOR,
        urgency=Urgency.FUTURE,
        certainty=Certainty.POSSIBLE,
    )
    core.ingest.accept([low])
    view = open_incident(core, inbox, "low")
    before = view.incident.priority
    assert before > Priority.P1
    submit_as(core, AlertCommand(Action.ESCALATE, "low", "op-7"))
    raised = inbox.incident(view.incident.identifier, lambda v: len(v.entries) > 2)
    assert raised.incident.priority == before - 1
    assert log_text.describe(raised.entries[-1]) == (
        f"Alert escalated to P{before - 1}: Person loitering"
    )


def test_the_state_machine_refuses_moves_it_does_not_know(running) -> None:
    core, inbox = running
    incident_id = open_incident(core, inbox, "a-1").incident.identifier

    def move(state: str, version: int, reason: str = "") -> None:
        submit_as(core, SetIncidentState(incident_id, state, "cmdr", version, reason=reason))

    move("contained", 1)
    assert inbox.refusals(1)[-1].message == (
        "Cannot mark an incident as contained while it is open."
    )
    move("active", 1)
    inbox.incident(incident_id, lambda v: v.incident.state == "active")
    move("active", 2)
    assert inbox.refusals(2)[-1].message == "The incident is already active."
    move("closed", 2)
    closed = inbox.incident(incident_id, lambda v: v.incident.state == "closed")
    assert closed.incident.closed is not None and closed.incident.version == 3
    move("contained", 3)
    assert inbox.refusals(3)[-1].message == (
        "Cannot mark an incident as contained while it is closed."
    )
    submit_as(core, AddIncidentTask(incident_id, "Call the mayor", "cmdr"))
    assert "reopen it" in inbox.refusals(4)[-1].message
    move("open", 3, reason="second device found")
    reopened = inbox.incident(incident_id, lambda v: v.incident.version == 4)
    assert reopened.incident.state == "open" and reopened.incident.closed is None
    statuses = [log_text.describe(e) for e in reopened.entries if e.kind == "status"]
    assert statuses[1:] == [
        "Incident activated",
        "Incident closed",
        "Incident reopened (reason: second device found)",
    ]
    assert {e.by for e in reopened.entries if e.kind == "status"} == {"ann", "cmdr"}


def test_two_changes_from_the_same_version_one_is_refused(running) -> None:
    core, inbox = running
    incident_id = open_incident(core, inbox, "a-1").incident.identifier
    submit_as(core, SetIncidentState(incident_id, "active", "cmdr-a", expected_version=1))
    submit_as(core, AssignCommander(incident_id, "Chief Berg", "cmdr-b", expected_version=1))
    refused = inbox.refusals(1)[0]
    assert isinstance(refused.command, AssignCommander)
    assert refused.message.startswith("Not changed: cmdr-a changed this incident meanwhile.")
    latest = inbox.incident(incident_id, lambda v: v.incident.version == 2)
    assert latest.incident.state == "active" and latest.incident.commander is None
    stored = core.store.get(Incident, incident_id)
    assert stored.version == 2 and stored.commander is None


def test_a_second_workstation_on_the_same_database_cannot_overwrite_a_change(
    make_core, running
) -> None:
    core, inbox = running
    incident_id = open_incident(core, inbox, "a-1").incident.identifier
    other, other_inbox = make_core()  # another console on the same database
    submit_as(other, AssignCommander(incident_id, "Chief Berg", "cmdr-b", expected_version=1))
    other_inbox.incident(incident_id, lambda v: v.incident.version == 2)
    submit_as(core, SetIncidentState(incident_id, "active", "cmdr-a", expected_version=1))
    assert "cmdr-b changed this incident meanwhile" in inbox.refusals(1)[0].message
    # The guard is the UPDATE itself, not only the check before it: a write based on
    # version 1 changes nothing and logs nothing.
    repository = core.incidents.repository
    stale = dataclasses.replace(repository.get(incident_id), state="active")
    entry = log_text.entry(incident_id, "status", "x", stale.opened, "Incident activated")
    with pytest.raises(StaleVersionError):
        repository.update(stale, 1, ("state",), [entry])
    assert repository.get(incident_id).state == "open"
    assert core.store.get(IncidentEntry, entry.identifier) is None


def test_notes_tasks_and_commander_are_logged_with_who_did_them(running) -> None:
    core, inbox = running
    view = open_incident(core, inbox, "a-1")
    incident_id = view.incident.identifier
    first_step = view.tasks[0]
    submit_as(core, AddIncidentNote(incident_id, "  Police on site  ", "bob"))
    submit_as(core, AddIncidentTask(incident_id, "Close the north gate", "carol"))
    submit_as(core, AssignCommander(incident_id, "Chief Berg", "erin", expected_version=1))
    submit_as(core, SetTaskDone(first_step.identifier, True, "dave"))
    latest = inbox.incident(incident_id, lambda v: v.tasks[0].done is not None)
    free = next(t for t in latest.tasks if t.kind == "task")
    submit_as(core, SetTaskDone(free.identifier, True, "fred"))
    submit_as(core, SetTaskDone(first_step.identifier, True, "gina"))  # dave was first
    assert inbox.refusals(1)[0].message == "dave marked this task done meanwhile."
    submit_as(core, SetTaskDone(first_step.identifier, False, "gina"))
    final = inbox.incident(incident_id, lambda v: v.tasks[0].done is None and len(v.entries) > 7)
    lines = [(e.kind, e.by, log_text.describe(e)) for e in final.entries][2:]
    assert lines == [
        ("note", "bob", "Police on site"),
        ("task", "carol", "Task added: Close the north gate"),
        ("commander", "erin", "Commander assigned: Chief Berg"),
        ("sop", "dave", f"Checklist step done: {first_step.title}"),
        ("task", "fred", "Task done: Close the north gate"),
        ("sop", "gina", f"Checklist step not done any more: {first_step.title}"),
    ]
    assert final.incident.commander == "Chief Berg" and final.incident.version == 2
    done_free = next(t for t in final.tasks if t.kind == "task")
    assert done_free.done_by == "fred" and done_free.position == len(view.tasks)


def test_sop_ticks_on_an_alert_persist_and_come_back_after_a_restart(make_core, running) -> None:
    core, inbox = running
    incident_id = open_incident(core, inbox, "a-1").incident.identifier
    for step, done in ((2, True), (0, True), (0, False)):
        submit_as(core, MarkSopStep("a-1", step, done, "op-7"))
    inbox.wait(lambda: len(inbox.of(SopProgress)) == 3)
    assert inbox.of(SopProgress)[-1] == SopProgress("a-1", frozenset({2}))
    stored = [a for a in inbox.of(AlertAction) if a.action == "sop-step"]
    assert stored[0].details == (("step", "2"), ("done", "true"))
    assert core.store.get(AlertAction, stored[0].identifier) == stored[0]
    logged = inbox.incident(incident_id, lambda v: sum(e.kind == "action" for e in v.entries) == 3)
    step_3 = SOP.checklists["knife"][2]
    assert log_text.describe(next(e for e in logged.entries if e.kind == "action")) == (
        f"Step 3 done on alert Knife detected near the stage: {step_3}"
    )
    core.stop()

    again, again_inbox = make_core()
    signed_in(again)
    submit_as(again, SopProgressQuery("a-1"))
    submit_as(again, SopProgressQuery("a-2"))
    again_inbox.wait(lambda: len(again_inbox.of(SopProgress)) == 2)
    assert again_inbox.of(SopProgress) == [
        SopProgress("a-1", frozenset({2})),
        SopProgress("a-2", frozenset()),
    ]
    snapshot = again_inbox.of(IncidentsSnapshot)[0]
    assert [v.incident.identifier for v in snapshot.incidents] == [incident_id]
    assert len(snapshot.incidents[0].entries) == len(logged.entries)
