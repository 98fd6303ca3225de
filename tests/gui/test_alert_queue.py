"""The alert queue panel as an operator runs it: real core, store and alert service."""

from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog

from app.alerts.flood import FloodGroup, FloodState
from app.messages import Selection
from app.model import Alert, AlertState, Certainty, Priority, Severity, Status, Urgency
from tests.factories import T0, alert
from widgets.application import Console
from widgets.qt_alert_model import COLUMN


@pytest.fixture
def queue(console: Console):
    console.core.start()  # no sources configured: starts the alert service only
    panel = console.window.panels["alerts"]
    panel.table.setFocus()
    return console, panel


def ingest(console: Console, *alerts: Alert) -> None:
    console.core.ingest.accept(list(alerts))


def rows(panel) -> list[str]:
    model = panel.model
    return [model.alert_at(r).identifier for r in range(model.rowCount())]


def cell(panel, identifier: str, column: str) -> str:
    """The shown text, or "" while the row is not (yet) in the view."""
    row = panel.model.row_of(identifier)
    return "" if row is None else panel.model.index(row, COLUMN[column]).data()


def select(panel, qtbot, identifier: str) -> None:
    qtbot.waitUntil(lambda: panel.model.row_of(identifier) is not None)
    assert panel.select_alert(identifier)


def spread(n: int) -> dict:
    from app.model import GeoPoint

    return {"point": GeoPoint(59.9 + n * 0.01, 10.7)}


def test_queue_orders_by_priority_then_newest(queue, qtbot) -> None:
    console, panel = queue
    ingest(
        console,
        alert(
            "low",
            event_type="loitering",
            priority=Priority.P4,
            severity=Severity.MINOR,
            urgency=Urgency.FUTURE,
            certainty=Certainty.POSSIBLE,
            confidence=0.2,
            **spread(1),
        ),
        alert("p1-old", sent=T0, **spread(2)),
        alert("p1-new", sent=T0 + timedelta(minutes=3), **spread(3)),
    )
    qtbot.waitUntil(lambda: len(rows(panel)) == 3)
    assert rows(panel) == ["p1-new", "p1-old", "low"]
    assert cell(panel, "p1-new", "priority") == "P1"
    assert cell(panel, "p1-new", "event") == "Knife detected"


def test_filters_narrow_the_queue(queue, qtbot) -> None:
    console, panel = queue
    ingest(
        console,
        alert("knife", **spread(1)),
        alert(
            "drone",
            event_type="unauthorised_drone",
            headline="Drone over the stage",
            priority=Priority.P2,
            severity=Severity.MODERATE,
            urgency=Urgency.EXPECTED,
            certainty=Certainty.POSSIBLE,
            confidence=0.5,
            **spread(2),
        ),
    )
    qtbot.waitUntil(lambda: len(rows(panel)) == 2)
    panel.filters.text.setText("drone")
    assert rows(panel) == ["drone"]
    panel.filters.text.clear()
    p1_only = panel.filters.priority.findText("P1", Qt.MatchFlag.MatchStartsWith)
    panel.filters.priority.setCurrentIndex(p1_only)
    assert rows(panel) == ["knife"]


def test_keyboard_acknowledges_and_the_store_follows(queue, qtbot) -> None:
    console, panel = queue
    ingest(console, alert("a-1", status=Status.ACTUAL))
    select(panel, qtbot, "a-1")
    qtbot.keyClick(panel.table, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: cell(panel, "a-1", "state").startswith("Acknowledged"))
    assert console.core.store.get(Alert, "a-1").state is AlertState.ACKNOWLEDGED
    qtbot.keyClick(panel.table, Qt.Key.Key_A)  # already acknowledged: refused, with the reason
    qtbot.waitUntil(lambda: "Cannot acknowledge" in panel.notice.text())


def test_dismissing_asks_why_and_the_alert_leaves_the_open_queue(queue, qtbot, monkeypatch) -> None:
    console, panel = queue
    ingest(console, alert("a-1"))
    select(panel, qtbot, "a-1")
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kw: ("false alarm: a toy", True))
    qtbot.keyClick(panel.table, Qt.Key.Key_D)
    qtbot.waitUntil(lambda: console.core.store.get(Alert, "a-1").state is AlertState.DISMISSED)
    qtbot.waitUntil(lambda: rows(panel) == [])
    assert console.core.store.get(Alert, "a-1").state_reason == "false alarm: a toy"


def test_escalation_raises_priority(queue, qtbot) -> None:
    console, panel = queue
    ingest(
        console,
        alert(
            "a-1",
            event_type="loitering",
            priority=Priority.P3,
            severity=Severity.MINOR,
            urgency=Urgency.EXPECTED,
            certainty=Certainty.POSSIBLE,
            confidence=0.4,
        ),
    )
    select(panel, qtbot, "a-1")
    before = console.core.store.get(Alert, "a-1").priority
    qtbot.keyClick(panel.table, Qt.Key.Key_E)
    qtbot.waitUntil(lambda: console.core.store.get(Alert, "a-1").priority < before)


def test_details_show_hostile_text_as_text(queue, qtbot) -> None:
    console, panel = queue
    hostile = "<img src=x onerror=alert(1)><b>bold</b><script>alert(2)</script>"
    ingest(console, alert("a-1", headline=hostile, description="<a href='javascript:x'>x</a>"))
    select(panel, qtbot, "a-1")
    shown = panel.details.text.toPlainText()
    assert hostile in shown and "<a href='javascript:x'>x</a>" in shown
    assert panel.details.checklist.count() > 0, "a knife has an SOP checklist"


def test_selecting_an_alert_tells_the_other_panels(queue, qtbot) -> None:
    console, panel = queue

    class Probe:
        seen: list[Selection] = []

        def on(self, batch) -> None:
            self.seen.extend(batch)

    probe = Probe()
    console.core.hub.subscribe(Selection, probe.on)
    ingest(console, alert("a-1"))
    select(panel, qtbot, "a-1")
    assert probe.seen == [Selection("alert", "a-1", origin="alerts")]


def test_a_new_p1_sounds_and_flashes_once(queue, qtbot) -> None:
    console, panel = queue
    ingest(console, alert("a-1"))
    qtbot.waitUntil(lambda: panel.tone.played == 1)
    assert panel._flash.isActive()
    ingest(console, alert("a-1", headline="re-sent"))  # not new: no second alarm
    qtbot.waitUntil(lambda: cell(panel, "a-1", "headline") == "re-sent")
    assert panel.tone.played == 1
    qtbot.waitUntil(lambda: not panel._flash.isActive(), timeout=5000)


def test_a_flood_groups_the_queue_by_type_and_source(queue, qtbot) -> None:
    console, panel = queue
    offline = [
        alert(
            f"cam-{n}",
            event_type="camera_offline",
            source_tool="vms",
            priority=Priority.P3,
            **spread(n),
        )
        for n in range(5)
    ]
    ingest(console, *offline, alert("knife", **spread(9)))
    qtbot.waitUntil(lambda: len(rows(panel)) == 6)
    state = FloodState(True, 240, (FloodGroup("camera_offline", "vms", 180, T0),))
    console.core.hub.publish(state)
    qtbot.waitUntil(panel.flood_bar.isVisible)
    assert "240" in panel.flood.text() and "Camera offline" in panel.flood.text()
    assert len(rows(panel)) == 2, "one row per event type and source"
    camera_row = panel.model.row_of(rows(panel)[1])
    assert panel.model.index(camera_row, COLUMN["count"]).data() == "×5"
    panel.ungroup.click()  # the operator wants every alert
    assert len(rows(panel)) == 6
    panel.ungroup.click()
    assert len(rows(panel)) == 2
    console.core.hub.publish(FloodState(False, 3, ()))
    qtbot.waitUntil(lambda: not panel.flood_bar.isVisible())
    assert len(rows(panel)) == 6


def test_selection_survives_re_sorting_right_to_left(make_console, qtbot) -> None:
    console = make_console(language="ar")
    console.window.resize(1400, 900)
    console.window.show()
    console.core.start()
    panel = console.window.panels["alerts"]
    ingest(console, alert("a-1", **spread(1)))
    select(panel, qtbot, "a-1")
    assert panel.selected().identifier == "a-1"
    ingest(console, alert("a-0", sent=T0 + timedelta(minutes=9), **spread(2)))  # sorts above
    qtbot.waitUntil(lambda: rows(panel) == ["a-0", "a-1"])
    assert panel.selected().identifier == "a-1", "the operator's selection follows the alert"
    assert panel.details.alert.identifier == "a-1"


def test_shelving_hides_an_alert_for_a_while_and_the_shelved_view_finds_it(
    queue, qtbot, monkeypatch
) -> None:
    console, panel = queue
    ingest(console, alert("a-1"))
    select(panel, qtbot, "a-1")
    monkeypatch.setattr(QInputDialog, "getInt", lambda *args, **kw: (45, True))
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kw: ("known work crew", True))
    qtbot.keyClick(panel.table, Qt.Key.Key_H)
    qtbot.waitUntil(lambda: console.core.store.get(Alert, "a-1").shelved_until is not None)
    qtbot.waitUntil(lambda: rows(panel) == [])
    shelved = panel.filters.state.findText("Shelved alerts")
    panel.filters.state.setCurrentIndex(shelved)
    assert rows(panel) == ["a-1"] and "shelved" in cell(panel, "a-1", "state")
    select(panel, qtbot, "a-1")
    qtbot.keyClick(panel.table, Qt.Key.Key_U)
    qtbot.waitUntil(lambda: console.core.store.get(Alert, "a-1").shelved_until is None)


def test_assigning_names_the_operator(queue, qtbot, monkeypatch) -> None:
    console, panel = queue
    ingest(console, alert("a-1"))
    select(panel, qtbot, "a-1")
    monkeypatch.setattr(QInputDialog, "getText", lambda *args, **kw: ("op-12", True))
    qtbot.keyClick(panel.table, Qt.Key.Key_G)
    qtbot.waitUntil(lambda: console.core.store.get(Alert, "a-1").assignee == "op-12")
    qtbot.waitUntil(lambda: "op-12" in cell(panel, "a-1", "state"))


def test_the_sources_dialog_lists_every_source_with_its_last_error(console, qtbot) -> None:
    from app.messages import HealthState, SourceHealth

    console.core.hub.publish(
        SourceHealth(
            "wd", "Weapon detection", HealthState.DOWN, "cannot reach the tool", records_in=12
        )
    )
    console.core.hub.publish(SourceHealth("bio", "Bio sensors", HealthState.OK, records_in=3))
    qtbot.waitUntil(lambda: len(console.window.statusBar().lights) == 2)
    dialog = console.window.show_sources()
    texts = [
        [dialog.table.item(r, c).text() for c in range(dialog.table.columnCount())]
        for r in range(dialog.table.rowCount())
    ]
    assert texts[0][0] == "Bio sensors" and texts[1][0] == "Weapon detection"
    assert texts[1][5] == "cannot reach the tool" and texts[1][2] == "12"
    dialog.close()
