"""Exercise panel: the trainer starts a scenario and drives its replay, and watches the score.

Everything goes through the hub: the buttons submit ``ExerciseCommand``s to the exercise
service (which loads scenarios and runs the clock on its own thread), and the panel shows the
``ExerciseStatus`` it publishes twice a second, the live score included. The panel never reads
a file or the store.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from app.replay.messages import ExerciseCommand, ExerciseStatus, ScenarioChoices
from app.security.model import Permission
from i18n import gettext, lazy_gettext
from i18n.formatting import format_decimal, isolate
from widgets.facade import PanelContext
from widgets.permission_gate import PermissionGate
from widgets.qt_exercise_score import QtExerciseScore
from widgets.qt_panel import QtPanel

SPEEDS = (0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0)
DEFAULT_SPEED = 1.0


def clock_text(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss`` of scenario time, kept left to right inside any sentence."""
    whole = max(0, int(seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
    return isolate(text)


def speed_text(speed: float) -> str:
    return gettext("{speed}×").format(speed=format_decimal(speed, "0.#"))


class QtExercisePanel(QtPanel):
    ID = "exercise"
    TITLE = lazy_gettext("Exercise")
    DEFAULT_AREA = Qt.DockWidgetArea.LeftDockWidgetArea

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.status = ExerciseStatus()
        self.scenarios: tuple[tuple[str, str], ...] = ()
        self.scenario = QComboBox(self)
        self.scenario.setObjectName("exerciseScenario")
        self.scenario.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.scenario.setMinimumContentsLength(16)
        self.start_button = QPushButton(self)
        self.stop_button = QPushButton(self)
        self.title = QLabel(self, wordWrap=True)
        self.title.setObjectName("exerciseTitle")
        self.play_button = QPushButton(self, checkable=True)
        self.restart_button = QPushButton(self)
        self.speed = QComboBox(self)
        self.speed.setObjectName("exerciseSpeed")
        self.slider = QSlider(Qt.Orientation.Horizontal, self)
        self.slider.setObjectName("exerciseSeek")
        self.time = QLabel(self)
        self.time.setObjectName("exerciseTime")
        self.injects = QLabel(self)
        self.injects.setObjectName("exerciseInjects")
        self.state = QLabel(self)
        self.state.setObjectName("exerciseState")
        self.problem = QLabel(self, wordWrap=True)
        self.problem.setObjectName("exerciseProblem")
        self.problem.setStyleSheet("color: #c62828;")
        self.score = QtExerciseScore(self)
        self._updating = False
        self._shown_scenario = ""
        self._layout()
        self._wire()
        # Trainers run exercises; everyone else with the panel follows the score and time.
        self.gate = PermissionGate(
            context, self, refused=self._show_refusal, commands=(ExerciseCommand,)
        )
        for widget in (
            self.scenario,
            self.start_button,
            self.stop_button,
            self.play_button,
            self.restart_button,
            self.speed,
        ):
            self.gate.guard(widget, Permission.EXERCISES)
        self.gate.on_change(self._enable)
        self.retranslate()
        self._show_status()

    def _layout(self) -> None:
        choose = QHBoxLayout()
        choose.addWidget(self.scenario, 1)
        choose.addWidget(self.start_button)
        choose.addWidget(self.stop_button)
        controls = QHBoxLayout()
        for widget in (self.play_button, self.restart_button, self.speed):
            controls.addWidget(widget)
        controls.addStretch(1)
        controls.addWidget(self.state)
        where = QGridLayout()
        where.addWidget(self.slider, 0, 0, 1, 2)
        where.addWidget(self.time, 1, 0)
        where.addWidget(self.injects, 1, 1, Qt.AlignmentFlag.AlignRight)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(choose)
        layout.addWidget(self.title)
        layout.addLayout(controls)
        layout.addLayout(where)
        layout.addWidget(self.problem)
        layout.addWidget(self.score, 1)

    def _wire(self) -> None:
        self.start_button.clicked.connect(self._on_start)
        self.stop_button.clicked.connect(self._on_stop)
        self.play_button.toggled.connect(self._on_play)
        self.restart_button.clicked.connect(self._on_restart)
        self.speed.activated.connect(self._on_speed)
        self.slider.sliderReleased.connect(self._on_seek)
        self.slider.actionTriggered.connect(self._on_slider_action)
        self._subscriptions = [
            self.context.subscribe(ExerciseStatus, self._on_status),
            self.context.subscribe(ScenarioChoices, self._on_choices),
        ]

    def stop(self) -> None:
        self.gate.stop()
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions = []

    def _show_refusal(self, message: str) -> None:
        self.problem.setText(message)
        self.problem.show()

    # --- commands --------------------------------------------------------------------------
    def _send(self, command: ExerciseCommand) -> None:
        self.problem.clear()
        self.problem.hide()
        self.context.commands(command)

    def _on_start(self) -> None:
        name = self.scenario.currentData()
        if name:
            speed = self.speed.currentData() or DEFAULT_SPEED
            self._send(ExerciseCommand("start", name, speed, self.context.operator or None))

    def _on_stop(self) -> None:
        self._send(ExerciseCommand("stop"))

    def _on_play(self, playing: bool) -> None:
        if not self._updating:
            self._send(ExerciseCommand("play" if playing else "pause"))
        self._label_play()

    def _on_restart(self) -> None:
        self._send(ExerciseCommand("restart"))

    def _on_speed(self, index: int) -> None:
        if self.status.running:
            self._send(ExerciseCommand("speed", float(self.speed.itemData(index))))

    def _on_seek(self) -> None:
        self._send(ExerciseCommand("seek", float(self.slider.value())))

    def _on_slider_action(self, action: int) -> None:
        """A click on the groove or a key moves the slider without a drag: seek at once."""
        if action != QSlider.SliderAction.SliderMove:
            self._send(ExerciseCommand("seek", float(self.slider.sliderPosition())))

    # --- what the service says -------------------------------------------------------------
    def _on_choices(self, batch: Sequence[ScenarioChoices]) -> None:
        self.scenarios = batch[-1].scenarios
        chosen = self.scenario.currentData()
        self.scenario.clear()
        for name, title in self.scenarios:
            self.scenario.addItem(title, name)
            self.scenario.setItemData(self.scenario.count() - 1, name, Qt.ItemDataRole.ToolTipRole)
        chosen = self.status.scenario_id if self.status.running else chosen
        if chosen and self.scenario.findData(chosen) >= 0:
            self.scenario.setCurrentIndex(self.scenario.findData(chosen))
        self._enable()

    def _on_status(self, batch: Sequence[ExerciseStatus]) -> None:
        self.status = batch[-1]
        self._show_status()

    def _show_status(self) -> None:
        status = self.status
        self._updating = True
        try:
            self.play_button.setChecked(status.running and not status.paused)
            index = self.speed.findData(status.speed)
            if status.running and index >= 0:
                self.speed.setCurrentIndex(index)
            if not self.slider.isSliderDown():
                self.slider.setRange(0, max(0, int(status.duration_s)))
                self.slider.setValue(int(status.scenario_s))
        finally:
            self._updating = False
        if status.running and status.scenario_id != self._shown_scenario:
            self._shown_scenario = status.scenario_id
            index = self.scenario.findData(status.scenario_id)
            if index >= 0:  # the chooser shows what runs (started elsewhere: --scenario)
                self.scenario.setCurrentIndex(index)
        if status.problem:
            self.problem.setText(status.problem)
        self.problem.setVisible(bool(self.problem.text()))
        self.title.setText(status.title if status.running else "")
        self._label_status()
        self.score.show_score(status.score)
        self._enable()

    def _enable(self) -> None:
        running = self.status.running
        self.start_button.setEnabled(self.scenario.count() > 0)
        self.stop_button.setEnabled(running)
        for widget in (self.play_button, self.restart_button):
            widget.setEnabled(running)
        # The slider shows where the exercise is to all; only a trainer can drag it.
        self.slider.setEnabled(running and self.gate.allows(Permission.EXERCISES))

    # --- texts -----------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.start_button.setText(gettext("Start"))
        self.start_button.setToolTip(gettext("Start the chosen scenario from its beginning"))
        self.stop_button.setText(gettext("Stop"))
        self.restart_button.setText(gettext("Restart"))
        self.restart_button.setToolTip(gettext("Play the scenario again from the start"))
        self.slider.setToolTip(gettext("Scenario time: drag to go forward or back"))
        self.speed.setToolTip(gettext("Replay speed"))
        current = self.speed.currentData() or self.status.speed
        self.speed.clear()
        for speed in SPEEDS:
            self.speed.addItem(speed_text(speed), speed)
        self.speed.setCurrentIndex(max(0, self.speed.findData(current)))
        self._label_play()
        self._label_status()
        self.score.retranslate()

    def _label_play(self) -> None:
        playing = self.play_button.isChecked()
        self.play_button.setText(gettext("Pause") if playing else gettext("Play"))

    def _label_status(self) -> None:
        status = self.status
        self.time.setText(
            gettext("{time} of {duration}").format(
                time=clock_text(status.scenario_s), duration=clock_text(status.duration_s)
            )
        )
        self.injects.setText(
            gettext("Injects played: {played} of {total}").format(
                played=isolate(str(status.injects_played)), total=isolate(str(status.injects_total))
            )
        )
        if not status.running:
            state = gettext("No exercise is running.")
        elif status.finished:
            state = gettext("Ended")
        elif status.paused:
            state = gettext("Paused")
        else:
            state = gettext("Playing")
        self.state.setText(state)
