"""The incidents panel as a commander uses it, with the real core, store and services: an
incident made from the queue's selection, its log and tasks, notes, and a change someone
else made first."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtWidgets import QInputDialog

from app.alerts.fusion import FusionCandidate
from app.alerts.service import FusionUpdate
from app.alerts.sop import SopLibrary
from app.incidents.messages import AssignCommander, IncidentChanged
from app.messages import Selection
from app.model import AlertAction, GeoPoint, Priority, Status
from app.runtime import Core
from app.settings import Settings
from tests.factories import alert, submit_as

SOP = SopLibrary.load()


def apart(identifier: str, n: int, **changes: Any):
    return alert(
        identifier,
        status=Status.ACTUAL,
        source_tool=f"tool-{n}",
        point=GeoPoint(59.0 + n, 10.0),
        area=None,
        **changes,
    )


@pytest.fixture
def desk(make_console, qtbot):
    console = make_console(role="commander")
    console.window.resize(1600, 1000)
    console.window.show()
    console.core.start()
    console.core.ingest.accept(
        [
            apart("a-1", 0, event_type="knife", headline="Knife at the stage"),
            apart("a-2", 1, event_type="crowd_density", headline="Crowd surge at gate B"),
            apart("a-3", 2, event_type="knife", headline="Another knife"),
        ]
    )
    queue = console.window.panels["alerts"]
    qtbot.waitUntil(lambda: all(queue.model.row_of(a) is not None for a in ("a-1", "a-2")))
    return console, queue, console.window.panels["incidents"]


class Answers:
    """Stands in for the title dialog: remembers what it was shown, answers ``title``."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, title: str) -> None:
        self.title = title
        self.prefilled: list[str] = []
        monkeypatch.setattr(QInputDialog, "getText", self.get_text)

    def get_text(self, *args: Any, text: str = "", **kwargs: Any) -> tuple[str, bool]:
        self.prefilled.append(text)
        return self.title, True


class Seen:
    def __init__(self) -> None:
        self.items: list[object] = []

    def on_batch(self, batch) -> None:
        self.items += batch


def select_rows(queue, *identifiers: str) -> None:
    assert queue.select_alert(identifiers[0])
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for identifier in identifiers[1:]:
        queue.table.selectionModel().select(
            queue.model.index(queue.model.row_of(identifier), 0), flags
        )


def create_from_queue(qtbot, queue, incidents, monkeypatch, *identifiers: str):
    answers = Answers(monkeypatch, "Stage incident")
    select_rows(queue, *identifiers)
    queue.table.setFocus()
    qtbot.keyClick(queue.table, Qt.Key.Key_I)
    qtbot.waitUntil(lambda: incidents.detail.view is not None)
    return answers, incidents.detail.view


def test_an_incident_is_created_from_the_queue_selection(desk, qtbot, monkeypatch) -> None:
    console, queue, incidents = desk
    answers, view = create_from_queue(qtbot, queue, incidents, monkeypatch, "a-1", "a-2")
    lead = max(
        (console.core.store.get(type(view.alerts[0]), a) for a in ("a-1", "a-2")),
        key=lambda a: -int(a.priority),
    )
    assert answers.prefilled == [lead.headline], "prefilled with the most urgent headline"
    assert view.incident.title == "Stage incident"
    assert set(view.incident.alert_ids) == {"a-1", "a-2"}
    assert queue.selected().identifier == "a-1", "triage keys still act on the current alert"
    assert incidents.model.rowCount() == 1
    detail = incidents.detail
    assert [what for _who, what in detail.log.lines()][-1] == "Incident opened: Stage incident"
    headings = [
        detail.tasks.tree.topLevelItem(n).text(0)
        for n in range(detail.tasks.tree.topLevelItemCount())
    ]
    names = [console.core.terms.event_type(e).name for e in ("knife", "crowd_density")]
    assert headings == [f"Checklist: {name}" for name in names]
    assert detail.tasks.tree.topLevelItem(0).childCount() == len(SOP.checklists["knife"])
    assert detail.alerts.count() == 2
    assert detail.moves["active"].isVisibleTo(detail) and not detail.moves["open"].isVisibleTo(
        detail
    )


def test_the_multi_selection_survives_new_alerts(desk, qtbot) -> None:
    console, queue, _incidents = desk
    select_rows(queue, "a-1", "a-2")
    console.core.ingest.accept([apart("a-4", 4, headline="Later")])
    qtbot.waitUntil(lambda: queue.model.row_of("a-4") is not None)
    chosen = {a.identifier for a in queue.incidents.selected_alerts()}
    assert chosen == {"a-1", "a-2"}


def test_ticking_tasks_and_adding_notes_reach_the_log(desk, qtbot, monkeypatch) -> None:
    console, queue, incidents = desk
    _answers, view = create_from_queue(qtbot, queue, incidents, monkeypatch, "a-1")
    detail = incidents.detail
    first = detail.tasks.tree.topLevelItem(0).child(0)
    first.setCheckState(0, Qt.CheckState.Checked)
    step = SOP.checklists["knife"][0]
    qtbot.waitUntil(lambda: detail.log.lines()[0][1] == f"Checklist step done: {step}")
    assert detail.log.lines()[0][0] == console.window.panels["alerts"].context.operator
    assert (
        detail.tasks.tree.topLevelItem(0)
        .child(0)
        .text(1)
        .startswith(console.window.panels["alerts"].context.operator)
    )
    detail.tasks.title.setText("Close the north gate")
    qtbot.mouseClick(detail.tasks.add, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: detail.tasks.tree.topLevelItemCount() == 2)
    assert detail.tasks.tree.topLevelItem(1).text(0) == "Other tasks"
    detail.log.note.setText("Police on site, <b>not</b> bold")
    qtbot.keyClick(detail.log.note, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: detail.log.lines()[0][1] == "Police on site, <b>not</b> bold")
    assert detail.log.note.text() == ""
    assert view.incident.identifier == detail.view.incident.identifier


def test_a_change_someone_made_first_is_refused_and_shown(
    desk, qtbot, monkeypatch, tmp_path
) -> None:
    _console, queue, incidents = desk
    _answers, view = create_from_queue(qtbot, queue, incidents, monkeypatch, "a-1")
    # A second workstation on the same database names a commander meanwhile.
    other = Core(Settings(database_url=f"sqlite:///{tmp_path / 'console.db'}", demo=False))
    other.start()
    try:
        seen = Seen()
        subscription = other.hub.subscribe(IncidentChanged, seen.on_batch)
        submit_as(other, AssignCommander(view.incident.identifier, "Chief Berg", "cmdr-b", 1))
        qtbot.waitUntil(lambda: bool(seen.items))
        subscription.cancel()
    finally:
        other.stop()
    detail = incidents.detail
    assert detail.view.incident.version == 1, "this console has not heard of it"
    qtbot.mouseClick(detail.moves["active"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: incidents.notice.isVisible())
    assert "cmdr-b changed this incident meanwhile" in incidents.notice.text()
    qtbot.waitUntil(lambda: detail.view.incident.version == 2)
    assert detail.view.incident.state == "open"
    assert "Chief Berg" in detail.facts.text(), "the incident as it now is"
    qtbot.mouseClick(detail.moves["active"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: detail.view.incident.state == "active")
    assert not incidents.notice.isVisible()


def test_double_clicking_a_member_alert_selects_it_in_the_queue(desk, qtbot, monkeypatch) -> None:
    _console, queue, incidents = desk
    create_from_queue(qtbot, queue, incidents, monkeypatch, "a-1", "a-2")
    queue.select_alert("a-3")
    alerts = incidents.detail.alerts
    row = next(n for n in range(alerts.count()) if "gate B" in alerts.item(n).text())
    alerts.itemDoubleClicked.emit(alerts.item(row))
    qtbot.waitUntil(lambda: queue.selected().identifier == "a-2")


def test_a_fusion_candidate_becomes_an_incident_with_its_explanation(
    desk, qtbot, monkeypatch
) -> None:
    console, queue, incidents = desk
    candidate = FusionCandidate(
        identifier="fusion-1",
        members=("a-1", "a-2"),
        confidence=0.9,
        priority=Priority.P1,
        explanation="P1 because: two tools agree",
        reasons=(),
    )
    console.core.hub.publish(FusionUpdate((candidate,)))
    qtbot.waitUntil(lambda: queue.candidates == (candidate,))
    queue.select_alert("a-2")
    button = queue.details.fusion_incident
    qtbot.waitUntil(lambda: button.isVisibleTo(queue))
    Answers(monkeypatch, "Fused")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: incidents.detail.view is not None)
    view = incidents.detail.view
    assert view.incident.fusion_key == "fusion-1"
    assert set(view.incident.alert_ids) == {"a-1", "a-2"}
    assert any(e.kind == "fusion" for e in view.entries)


def test_sop_ticks_in_the_alert_details_are_stored_and_read_back(desk, qtbot) -> None:
    console, queue, _incidents = desk
    queue.select_alert("a-1")
    checklist = queue.details.checklist
    qtbot.waitUntil(lambda: checklist.count() == len(SOP.checklists["knife"]))
    checklist.item(1).setCheckState(Qt.CheckState.Checked)
    repository = console.core.incidents.repository
    qtbot.waitUntil(lambda: repository.sop_progress("a-1") == frozenset({1}))
    queue.select_alert("a-2")
    queue.details._done.clear()  # as after a restart: nothing known in the window
    queue.select_alert("a-1")
    qtbot.waitUntil(lambda: checklist.item(1).checkState() == Qt.CheckState.Checked)
    assert checklist.item(0).checkState() == Qt.CheckState.Unchecked
    actions = [a for a in console.core.store.latest(AlertAction) if a.action == "sop-step"]
    assert [a.details for a in actions] == [(("step", "1"), ("done", "true"))]


def test_the_panel_mirrors_right_to_left(make_console, qtbot) -> None:
    console = make_console(role="commander", language="ar")
    console.window.show()
    panel = console.window.panels["incidents"]
    assert panel.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert str(panel.TITLE) != "" and Selection is not None


def test_the_commander_is_named_and_the_state_moves_on(desk, qtbot, monkeypatch) -> None:
    _console, queue, incidents = desk
    create_from_queue(qtbot, queue, incidents, monkeypatch, "a-1")
    detail = incidents.detail
    Answers(monkeypatch, "Chief Berg")
    qtbot.mouseClick(detail.commander, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: detail.view.incident.commander == "Chief Berg")
    assert detail.log.lines()[0][1] == "Commander assigned: Chief Berg"
    for state in ("active", "contained", "closed"):
        qtbot.mouseClick(detail.moves[state], Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda s=state: detail.view.incident.state == s)
    assert [s for s, b in detail.moves.items() if b.isVisibleTo(detail)] == ["open"]
    assert incidents.model.index(0, 2).data() == "Closed"
