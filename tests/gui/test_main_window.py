import threading

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDockWidget

from app.messages import HealthState, SourceHealth
from app.model import Alert, Status
from tests.factories import alert
from widgets.application import Console
from widgets.layouts import LAYOUT_VERSION
from widgets.panel_registry import PANELS, panel_ids
from widgets.qt_panel import QtPanel

LEFT = Qt.DockWidgetArea.LeftDockWidgetArea
RIGHT = Qt.DockWidgetArea.RightDockWidgetArea
TOP = Qt.DockWidgetArea.TopDockWidgetArea


def test_every_declared_panel_is_a_dock_named_by_its_id(console: Console) -> None:
    window = console.window
    docks = {d.objectName(): d for d in window.findChildren(QDockWidget)}
    assert set(docks) == {
        "map",
        "legend",
        "video",
        "alerts",
        "sensors",
        "social",
        "timeline",
        "incidents",
        "exercise",
        "privacy",
        "audit",
    }
    assert set(docks) == set(panel_ids())
    for panel_class in PANELS:
        dock = docks[panel_class.ID]
        assert isinstance(dock.widget(), panel_class) and isinstance(dock.widget(), QtPanel)
        assert dock.windowTitle() == str(panel_class.TITLE)
        # The trainer's exercise panel is not part of the operator's layout.
        assert dock.isVisible() == (panel_class.ID != "exercise"), panel_class.ID


def test_view_menu_shows_and_hides_each_panel(console: Console, qtbot) -> None:
    toggles = {a.text(): a for a in console.window.view_menu.actions() if a.isCheckable()}
    assert set(toggles) >= {"Map", "Video", "Alerts", "Sensors", "Social feed", "Timeline"}
    toggles["Video"].trigger()
    qtbot.waitUntil(lambda: not console.window.docks["video"].isVisible())
    toggles["Video"].trigger()
    qtbot.waitUntil(lambda: console.window.docks["video"].isVisible())


def test_operator_layout_places_panels_as_its_data_says(console: Console) -> None:
    window = console.window
    assert window.dockWidgetArea(window.docks["map"]) == LEFT
    assert window.dockWidgetArea(window.docks["alerts"]) == RIGHT
    assert window.docks["alerts"].y() < window.docks["video"].y(), "alerts above video"
    assert window.docks["sensors"] in window.tabifiedDockWidgets(window.docks["social"])


def test_commander_layout_puts_the_timeline_first_and_hides_live_panels(make_console) -> None:
    window = make_console(role="commander").window
    window.show()
    assert window.dockWidgetArea(window.docks["timeline"]) == TOP
    assert window.dockWidgetArea(window.docks["incidents"]) == LEFT
    assert not window.docks["incidents"].visibleRegion().isEmpty(), "incidents in front"
    assert not window.docks["sensors"].isVisible()
    assert window.windowTitle() == "Watchfloor: Incident commander"


def test_layout_survives_a_restart_including_floating_panels(make_console, qtbot) -> None:
    first = make_console().window
    first.show()
    first.removeDockWidget(first.docks["alerts"])
    first.addDockWidget(LEFT, first.docks["alerts"])
    first.docks["alerts"].show()
    first.docks["video"].setFloating(True)
    first.docks["video"].move(40, 40)
    first.docks["timeline"].hide()
    first.close()

    second = make_console().window
    second.show()
    assert second.dockWidgetArea(second.docks["alerts"]) == LEFT
    assert second.docks["video"].isFloating()
    assert not second.docks["timeline"].isVisible()


def test_an_unusable_saved_layout_falls_back_to_the_role_default(make_console, layouts) -> None:
    layouts.for_user("supervisor").folder.mkdir(parents=True)
    for broken in (
        '{"layout_version": 1, "state": "@@@", "geometry": ""}',
        f'{{"layout_version": {LAYOUT_VERSION + 1}, "state": "", "geometry": ""}}',
        "not json at all",
        '{"layout_version": 1, "state": "AAAA", "geometry": "AAAA"}',
    ):
        layouts.for_user("supervisor").path("operator").write_text(broken)
        window = make_console().window
        window.show()
        assert window.dockWidgetArea(window.docks["map"]) == LEFT, broken
        assert window.docks["timeline"].isVisible(), broken
        window.close()


def test_switching_role_keeps_each_roles_own_arrangement(console: Console, layouts) -> None:
    window = console.window
    window.docks["video"].hide()
    window.switch_role("trainer")
    assert layouts.for_user("supervisor").path("operator").exists()
    assert window.docks["social"] in window.tabifiedDockWidgets(window.docks["map"])
    window.switch_role("operator")
    assert not window.docks["video"].isVisible()


def test_records_from_a_worker_thread_reach_panels_on_the_gui_thread(
    console: Console, qtbot
) -> None:
    class Probe:
        def __init__(self) -> None:
            self.threads: list[threading.Thread] = []

        def on_alerts(self, batch) -> None:
            self.threads.append(threading.current_thread())

    probe = Probe()
    console.bridge.gui_hub.subscribe(Alert, probe.on_alerts)
    worker = threading.Thread(target=lambda: console.core.hub.publish(alert(status=Status.ACTUAL)))
    worker.start()
    worker.join()
    queue = console.window.panels["alerts"].model
    qtbot.waitUntil(lambda: queue.rowCount() == 1)
    assert probe.threads == [threading.main_thread()]
    assert "Knife detected" in queue.alert_at(0).headline


def test_exercise_banner_appears_only_with_training_data(console: Console, qtbot) -> None:
    banner = console.window.banner
    console.core.hub.publish(alert("real", status=Status.ACTUAL))
    qtbot.waitUntil(lambda: console.window.panels["alerts"].model.rowCount() == 1)
    assert not banner.isVisible()
    console.core.hub.publish(alert("drill", status=Status.EXERCISE))
    qtbot.waitUntil(banner.isVisible)
    assert "EXERCISE" in banner._label.text()


def test_each_source_gets_a_health_light_with_its_last_error(console: Console, qtbot) -> None:
    status = console.window.statusBar()
    console.core.hub.publish(SourceHealth("weapons", "Weapon <b>detection</b>", HealthState.OK))
    qtbot.waitUntil(lambda: "weapons" in status.lights)
    console.core.hub.publish(
        SourceHealth("weapons", "Weapon <b>detection</b>", HealthState.DOWN, "connection refused")
    )
    qtbot.waitUntil(lambda: "connection refused" in status.lights["weapons"].toolTip())
    light = status.lights["weapons"]
    assert "Down" in light.toolTip()
    assert "detection" in light.text(), "a source in trouble is named in the bar"
    assert "<b>" not in light.text(), "source names must not inject markup"
    console.core.hub.publish(SourceHealth("weapons", "Weapon detection", HealthState.OK))
    qtbot.waitUntil(lambda: "detection" not in status.lights["weapons"].text())
    assert "Weapon detection" in status.lights["weapons"].toolTip()
    assert len(status.lights) == 1


def test_clocks_show_utc_and_local_time(console: Console) -> None:
    status = console.window.statusBar()
    assert status._utc.text().startswith("UTC ")
    assert status._local.text().startswith("Local ")
