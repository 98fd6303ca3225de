"""The trainer's exercise panel drives the real exercise service: start, pause, speed, seek,
restart, stop, and it shows the scenario time, the injects played and the live score."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSlider

from app.replay.messages import ScenarioChoices
from tests.test_replay_cli import tiny_scenario
from widgets.qt_exercise import SPEEDS, clock_text


def open_trainer(make_console, qtbot, tmp_path: Path, language: str = "en"):
    console = make_console(role="trainer", language=language, user="trainer")
    console.window.resize(1400, 900)
    console.window.show()
    console.core.start()
    panel = console.window.panels["exercise"]
    # The bundled scenarios arrive from the service; a tiny file of ours joins the list.
    qtbot.waitUntil(lambda: panel.scenario.count() > 0, timeout=10_000)
    path = tiny_scenario(tmp_path)
    console.core.hub.publish(ScenarioChoices(((str(path), "Tiny drill"),)))
    qtbot.waitUntil(lambda: panel.scenario.currentText() == "Tiny drill")
    return console, panel


def test_the_trainer_layout_shows_the_exercise_panel_first(make_console, qtbot, tmp_path) -> None:
    console, panel = open_trainer(make_console, qtbot, tmp_path)
    window = console.window
    dock = window.docks["exercise"]
    assert dock.isVisible() and window.dockWidgetArea(dock) == Qt.DockWidgetArea.LeftDockWidgetArea
    assert dock.y() < window.docks["alerts"].y(), "exercise above the alert queue"
    assert not panel.stop_button.isEnabled() and not panel.slider.isEnabled()
    assert panel.scenario.x() < panel.start_button.x(), "left to right in English"
    assert [panel.speed.itemText(i) for i in range(panel.speed.count())] == [
        "0.5×",
        "1×",
        "2×",
        "5×",
        "10×",
        "30×",
        "60×",
    ]
    assert [panel.speed.itemData(i) for i in range(panel.speed.count())] == list(SPEEDS)


def test_the_panel_starts_pauses_speeds_up_seeks_and_stops_an_exercise(
    make_console, qtbot, tmp_path
) -> None:
    console, panel = open_trainer(make_console, qtbot, tmp_path)
    service = console.core.exercise
    panel.start_button.click()
    qtbot.waitUntil(lambda: panel.status.running, timeout=10_000)
    assert panel.title.text() == "Tiny drill"
    assert panel.slider.maximum() == 60 and panel.stop_button.isEnabled()
    assert panel.play_button.isChecked() and panel.play_button.text() == "Pause"

    panel.play_button.click()
    qtbot.waitUntil(lambda: panel.status.paused)
    assert panel.state.text() == "Paused" and panel.play_button.text() == "Play"
    held = service.status.scenario_s

    panel.speed.setCurrentIndex(panel.speed.findData(30.0))
    panel.speed.activated.emit(panel.speed.currentIndex())
    qtbot.waitUntil(lambda: panel.status.speed == 30.0)
    assert service.status.scenario_s == held, "paused: a new speed does not move time"

    panel.slider.setSliderPosition(39)
    panel.slider.triggerAction(QSlider.SliderAction.SliderSingleStepAdd)  # a key press: 40 s
    qtbot.waitUntil(lambda: panel.status.scenario_s >= 40, timeout=10_000)
    assert panel.status.injects_played == 1
    assert panel.injects.text() == "Injects played: \u20681\u2069 of \u20682\u2069"
    assert clock_text(panel.status.scenario_s) in panel.time.text()

    panel.play_button.click()
    qtbot.waitUntil(lambda: panel.status.finished, timeout=15_000)
    assert panel.state.text() == "Ended"
    qtbot.waitUntil(lambda: panel.status.score is not None, timeout=10_000)
    assert panel.score.table.rowCount() == 1
    assert panel.score.table.item(0, 0).text() == "knife"
    assert "Score:" in panel.score.summary.text()

    panel.speed.setCurrentIndex(panel.speed.findData(1.0))
    panel.speed.activated.emit(panel.speed.currentIndex())
    qtbot.waitUntil(lambda: panel.status.speed == 1.0)
    run = panel.status.run_id
    panel.restart_button.click()
    qtbot.waitUntil(lambda: panel.status.run_id != run and not panel.status.finished)
    assert not panel.status.paused, "a restart after the end plays again"

    panel.stop_button.click()
    qtbot.waitUntil(lambda: not panel.status.running, timeout=10_000)
    assert not panel.stop_button.isEnabled()
    assert panel.state.text() == "No exercise is running."


def test_a_scenario_that_does_not_load_is_reported_in_the_panel(
    make_console, qtbot, tmp_path
) -> None:
    console, panel = open_trainer(make_console, qtbot, tmp_path)
    broken = tiny_scenario(tmp_path, confidence=7)
    console.core.hub.publish(ScenarioChoices(((str(broken), "Broken drill"),)))
    qtbot.waitUntil(lambda: panel.scenario.currentText() == "Broken drill")
    panel.start_button.click()
    qtbot.waitUntil(lambda: "injects[1].data.confidence" in panel.problem.text(), timeout=10_000)
    assert not panel.status.running


def test_the_panel_mirrors_in_arabic(make_console, qtbot, tmp_path) -> None:
    _console, panel = open_trainer(make_console, qtbot, tmp_path, language="ar")
    assert panel.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert panel.scenario.x() > panel.start_button.x(), "the chooser comes first, on the right"
    assert panel.play_button.x() > panel.restart_button.x() > panel.speed.x()
