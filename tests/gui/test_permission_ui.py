"""Panels offer a signed-in person exactly what their role allows (real core, real accounts,
the bundled policy); what the core refuses anyway is said where the person looks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu

from app.alerts.lifecycle import Action
from app.alerts.service import AlertCommand
from app.model import GeoPoint, Zone
from app.video.messages import CameraInfo, VideoCameras
from tests.factories import alert
from tests.gui.security_desk import Desk, open_desk
from widgets.qt_alerts import QtAlertsPanel
from widgets.qt_exercise import QtExercisePanel
from widgets.qt_incidents import QtIncidentsPanel
from widgets.qt_timeline import QtTimelinePanel
from widgets.qt_video import QtVideoPanel

TRIAGE = {"start", "resolve", "assign", "shelve", "unshelve"}
EVERYTHING = {"acknowledge", "dismiss", "escalate"} | TRIAGE
# What each role's alert queue offers: its actions' names, and whether "create incident" is.
OFFERED = {
    "olive": (EVERYTHING, True),  # operator
    "sam": (EVERYTHING, True),  # supervisor
    "ann": (set(), False),  # analyst: looks, exports, bookmarks
    "vic": (set(), False),  # external viewer: looks only
}


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    desk = open_desk(tmp_path)
    yield desk
    desk.stop()


def offered(panel: QtAlertsPanel) -> set[str]:
    return {
        action.objectName().removeprefix("alertAction-")
        for action in panel.table.actions()
        if action.objectName().startswith("alertAction-") and action.isVisible()
    }


def alerts_panel(desk: Desk, qtbot, username: str) -> QtAlertsPanel:
    desk.sign_in(username)
    panel = QtAlertsPanel(desk.context())
    qtbot.addWidget(panel)
    panel.show()
    return panel


@pytest.mark.parametrize("username", sorted(OFFERED))
def test_the_alert_queue_offers_exactly_what_the_role_allows(desk, qtbot, username) -> None:
    panel = alerts_panel(desk, qtbot, username)
    try:
        actions, incidents = OFFERED[username]
        assert offered(panel) == actions
        assert panel.incidents.action.isVisible() is incidents
        # Keys follow the menu: a hidden action's key does nothing.
        panel.model.apply([alert("a-1", event_type="knife")])
        qtbot.waitUntil(lambda: panel.select_alert("a-1"), timeout=10_000)
        panel.table.setFocus()
        qtbot.keyClick(panel.table, Qt.Key.Key_A)
        sent = [c for c in desk.sent if isinstance(c, AlertCommand)]
        assert [c.action for c in sent] == ([Action.ACKNOWLEDGE] if actions else [])
        assert sent == [] or sent[0].by == username
        # Without triage the SOP checklist is read-only.
        checklist = panel.details.checklist
        checkable = [
            bool(checklist.item(r).flags() & Qt.ItemFlag.ItemIsUserCheckable)
            for r in range(checklist.count())
        ]
        assert checkable and set(checkable) == {bool(actions)}
    finally:
        panel.stop()


def test_signing_out_hides_every_action_and_the_core_refusal_is_shown(desk, qtbot) -> None:
    panel = alerts_panel(desk, qtbot, "olive")
    try:
        assert offered(panel) == EVERYTHING
        desk.core.security.sign_out()  # SessionChanged on the hub: the panel re-checks
        qtbot.waitUntil(lambda: offered(panel) == set(), timeout=10_000)
        assert not panel.incidents.action.isVisible()
        desk.sign_in("ann")
        # A command sent anyway (another path, a stale menu) is refused by the core and said.
        panel.context.commands(AlertCommand(Action.DISMISS, "a-1", "ann", reason="noise"))
        qtbot.waitUntil(lambda: panel.notice.text() != "", timeout=10_000)
        assert "dismiss" in panel.notice.text().lower()
    finally:
        panel.stop()


def menu_texts(menu: QMenu) -> list[str]:
    texts = []
    for action in menu.actions():
        texts.append(action.text())
        if action.menu() is not None:
            texts.extend(menu_texts(action.menu()))
    return [t for t in texts if t]


@pytest.mark.parametrize(
    ("username", "show_faces", "models", "marking"),
    [
        ("olive", True, False, True),
        ("sam", True, True, True),
        ("ann", False, False, False),
        ("tess", False, False, True),  # trainer: triage, no unmask
    ],
)
def test_the_video_menu_never_lifts_the_blur_and_shows_faces_only_by_request(
    desk, qtbot, username, show_faces, models, marking
) -> None:
    desk.sign_in(username)
    panel = QtVideoPanel(desk.context())
    qtbot.addWidget(panel)
    try:
        panel.show()
        desk.bridge.gui_hub.publish(
            VideoCameras(
                (
                    CameraInfo("cam-1", "Gate 3", ("people",), blurred=True),
                    CameraInfo("cam-2", "Depot", ("people",), blurred=False),
                ),
                (),
            )
        )
        blurred = menu_texts(panel.menus.menu("cam-1"))
        assert ("Show faces…" in blurred) is show_faces
        assert ("Detection model" in blurred) is models
        for text in blurred + menu_texts(panel.menus.menu("cam-2")):
            assert not any(word in text.lower() for word in ("lift", "unblur", "remove blur"))
        assert "Blur faces" in menu_texts(panel.menus.menu("cam-2"))  # anyone may blur
        for button in (panel.snapshot.true_button, panel.snapshot.false_button):
            assert (not button.isHidden()) == marking
    finally:
        panel.stop()


@pytest.mark.parametrize(("user", "tools"), [("analyst", False), ("supervisor", True)])
def test_map_zone_tools_only_for_people_who_configure(make_console, qtbot, user, tools) -> None:
    console = make_console(user=user)
    console.window.resize(1400, 900)
    console.window.show()
    panel = console.window.panels["map"]
    qtbot.waitUntil(lambda: panel.ready, timeout=20_000)
    answers: list[object] = []
    panel.run_js("Watchfloor.state.map.pm.controlsVisible()", answers.append)
    qtbot.waitUntil(lambda: bool(answers), timeout=10_000)
    assert answers == [tools]
    zone = Zone(
        identifier="z-1",
        name="Gate 3",
        kind="restricted",
        polygon=tuple(
            GeoPoint(*p) for p in ((59.91, 10.73), (59.91, 10.74), (59.92, 10.74), (59.91, 10.73))
        ),
    )
    panel.zones.on_selected(zone)
    assert panel.zone_editor.isVisible() is tools


@pytest.mark.parametrize(
    ("username", "incidents", "exercises", "bookmark"),
    [
        ("olive", True, False, True),  # operator
        ("tess", True, True, True),  # trainer
        ("ann", False, False, True),  # analyst
        ("vic", False, False, False),  # external viewer
    ],
)
def test_incidents_exercises_and_bookmarks_follow_the_role(
    desk, qtbot, username, incidents, exercises, bookmark
) -> None:
    desk.sign_in(username)
    context = desk.context()
    panels = [QtIncidentsPanel(context), QtExercisePanel(context), QtTimelinePanel(context)]
    incident_panel, exercise_panel, timeline_panel = panels
    try:
        for panel in panels:
            qtbot.addWidget(panel)
        detail = incident_panel.detail
        assert detail.may_act is incidents
        assert (not detail.commander.isHidden()) is incidents
        assert (not detail.log.add_note.isHidden()) is incidents
        assert (not exercise_panel.start_button.isHidden()) is exercises
        assert (not exercise_panel.scenario.isHidden()) is exercises
        assert (not timeline_panel.bar.bookmark.isHidden()) is bookmark
        timeline_panel.add_bookmark(1_700_000_000.0)
        assert (timeline_panel.bookmark_dialog is not None) is bookmark
    finally:
        if timeline_panel.bookmark_dialog is not None:
            timeline_panel.bookmark_dialog.close()
        for panel in panels:
            panel.stop()
