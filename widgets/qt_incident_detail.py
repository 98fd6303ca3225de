"""One incident in full: what it is and where it stands (title, priority, state with the
moves it allows, commander), its log with a note field, its tasks, and its alerts.

The widget only shows and asks: every change leaves as a signal that the panel turns into a
command carrying the version shown here, so a change based on what the commander saw is
refused if someone changed the incident meanwhile.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from app.alerts.lifecycle import state_label as alert_state
from app.incidents.messages import IncidentChanged
from app.incidents.states import STATES, allowed, state_title, verb
from app.model import Status
from app.terminology import Terminology
from i18n import format_datetime, gettext
from widgets.qt_incident_log import QtIncidentLog
from widgets.qt_incident_tasks import QtIncidentTasks

ALERT_ROLE = Qt.ItemDataRole.UserRole + 1


class QtIncidentDetail(QWidget):
    sig_state = Signal(str)  # the state asked for
    sig_commander = Signal()
    sig_alert = Signal(str)  # a member alert to select

    def __init__(self, terminology: Terminology, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.terms = terminology
        self.view: IncidentChanged | None = None
        self.may_act = True  # the signed-in person may change incidents (set by the panel)
        self.title = QLabel(objectName="incidentTitle", wordWrap=True)
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.facts = QLabel(objectName="incidentFacts", wordWrap=True)
        self.facts.setTextFormat(Qt.TextFormat.PlainText)
        self.moves = {state: QPushButton(objectName=f"incidentTo-{state}") for state in STATES}
        self.commander = QPushButton(objectName="incidentCommander")
        self.log = QtIncidentLog(terminology, self)
        self.tasks = QtIncidentTasks(terminology, self)
        self.alerts = QListWidget(objectName="incidentAlerts")
        self.alerts_title = QLabel(objectName="incidentAlertsTitle")
        self.empty = QLabel(objectName="incidentEmpty", alignment=Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.body = QWidget(self)
        self._layout()
        for state, button in self.moves.items():
            button.clicked.connect(lambda _=False, s=state: self.sig_state.emit(s))
        self.commander.clicked.connect(self.sig_commander)
        self.alerts.itemDoubleClicked.connect(self._on_alert)
        self.retranslate()

    def _layout(self) -> None:
        buttons = QHBoxLayout()
        buttons.setContentsMargins(0, 0, 0, 0)
        for button in self.moves.values():
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.commander)
        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(self.tasks, 3)
        side_layout.addWidget(self.alerts_title)
        side_layout.addWidget(self.alerts, 1)
        split = QSplitter(Qt.Orientation.Horizontal, self.body)
        split.addWidget(self.log)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.title)
        body.addWidget(self.facts)
        body.addLayout(buttons)
        body.addWidget(split, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.empty)
        layout.addWidget(self.body, 1)

    def set_may_act(self, may_act: bool) -> None:
        """Without the incidents permission the incident is shown, with nothing to press."""
        self.may_act = may_act
        self.commander.setVisible(may_act)
        for widget in (self.log.note, self.log.add_note, self.tasks.title, self.tasks.add):
            widget.setVisible(may_act)
        self.show_view(self.view)

    def show_view(self, view: IncidentChanged | None) -> None:
        self.view = view
        self.empty.setVisible(view is None)
        self.body.setVisible(view is not None)
        if view is None:
            return
        incident = view.incident
        style = self.terms.priority(incident.priority)
        # A wrapped label aligns by its text's direction; the mark makes a Latin title sit
        # at the start of a right-to-left window like every other line.
        mark = "\u200f" if self.layoutDirection() == Qt.LayoutDirection.RightToLeft else ""
        self.title.setText(f"{mark}P{int(incident.priority)}  {incident.title}")
        self.facts.setText(mark + self._facts(view))
        self.title.setStyleSheet(f"font-size: 15px; font-weight: bold; color: {style.colour};")
        possible = allowed(incident.state)
        for state, button in self.moves.items():
            button.setVisible(self.may_act and state in possible)
        self.log.show_entries(view.entries)
        self.tasks.show_tasks(view.tasks)
        self._show_alerts(view)

    def _facts(self, view: IncidentChanged) -> str:
        incident = view.incident
        parts = [
            gettext("State: {state}").format(state=state_title(incident.state)),
            gettext("Commander: {name}").format(name=incident.commander or gettext("none")),
            gettext("Opened {time}").format(
                time=format_datetime(incident.opened.astimezone(), "short")
            ),
        ]
        if incident.status is Status.EXERCISE:
            parts.insert(0, f"{self.terms.exercise.glyph} {self.terms.exercise.name}")
        return gettext(" · ").join(parts)

    def _show_alerts(self, view: IncidentChanged) -> None:
        self.alerts.clear()
        for alert in view.alerts:
            text = gettext("P{priority} {event}: {headline} ({state})").format(
                priority=int(alert.priority),
                event=self.terms.event_type(alert.event_type).name,
                headline=alert.headline,
                state=alert_state(alert.state),
            )
            item = QListWidgetItem(text)
            item.setData(ALERT_ROLE, alert.identifier)
            item.setToolTip(text)
            self.alerts.addItem(item)

    def _on_alert(self, item: QListWidgetItem) -> None:
        self.sig_alert.emit(item.data(ALERT_ROLE))

    def retranslate(self) -> None:
        for state, button in self.moves.items():
            button.setText(verb(state))
        self.commander.setText(gettext("Assign commander…"))
        self.alerts_title.setText(gettext("Alerts (double-click to select)"))
        self.empty.setText(gettext("Select an incident, or create one from alerts in the queue."))
        self.log.retranslate()
        self.tasks.retranslate()
        self.show_view(self.view)
