"""The incidents panel: every open incident (and the last week's), and the one selected in
full: state, commander, log, tasks and alerts.

Incidents are created from the alert queue (selected alerts, or a fusion candidate in the
alert details). Every change is a command to the core's incident service that carries the
version shown; a change someone else made first comes back refused, with the reason shown
above the list and the incident shown as it now is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QInputDialog,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.incidents.messages import (
    AddIncidentNote,
    AddIncidentTask,
    AssignCommander,
    IncidentChanged,
    IncidentCommandRefused,
    IncidentsSnapshot,
    SetIncidentState,
    SetTaskDone,
)
from app.messages import Selection
from app.model import Alert
from app.security.model import Permission
from i18n import gettext, lazy_gettext
from widgets.facade import PanelContext
from widgets.permission_gate import PermissionGate
from widgets.qt_incident_detail import QtIncidentDetail
from widgets.qt_incident_list import COLUMN, VIEW_ROLE, IncidentListModel
from widgets.qt_panel import QtPanel


class QtIncidentsPanel(QtPanel):
    ID = "incidents"
    TITLE = lazy_gettext("Incidents")
    DEFAULT_AREA = Qt.DockWidgetArea.LeftDockWidgetArea

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.model = IncidentListModel(context.terminology, self)
        self.table = QTableView(objectName="incidentList")
        self.detail = QtIncidentDetail(context.terminology, self)
        self.notice = QLabel(objectName="incidentNotice", wordWrap=True, visible=False)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self._selected: str | None = None
        self._wanted: str | None = None  # asked for before the core had stored it
        self._setup_table()
        split = QSplitter(Qt.Orientation.Vertical, self)
        split.addWidget(self.table)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 1)
        split.setStretchFactor(1, 4)
        split.setSizes([140, 560])  # a few incidents at a glance, the selected one in full
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.notice)
        layout.addWidget(split, 1)
        self.gate = PermissionGate(
            context,
            self,
            refused=self._show_notice,
            commands=(
                SetIncidentState,
                AssignCommander,
                AddIncidentNote,
                AddIncidentTask,
                SetTaskDone,
            ),
        )
        self.gate.on_change(self._on_permissions)
        self._on_permissions()
        self.detail.sig_state.connect(self._on_state)
        self.detail.sig_commander.connect(self._on_commander)
        self.detail.sig_alert.connect(self._on_alert)
        self.detail.log.sig_note.connect(self._on_note)
        self.detail.tasks.sig_done.connect(self._on_task_done)
        self.detail.tasks.sig_add.connect(self._on_add_task)
        self._subscriptions = [
            context.subscribe(IncidentsSnapshot, self._on_snapshot),
            context.subscribe(IncidentChanged, self._on_changed),
            context.subscribe(IncidentCommandRefused, self._on_refused),
            context.subscribe(Selection, self._on_selected_elsewhere),
            context.subscribe(Alert, self._on_alerts),
        ]
        self.retranslate()

    def _setup_table(self) -> None:
        table = self.table
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(24)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMN["title"], QHeaderView.ResizeMode.Stretch)
        table.selectionModel().selectionChanged.connect(self._on_selection)
        self.model.modelReset.connect(self._reselect)

    # --- what the core says --------------------------------------------------------------
    def _on_snapshot(self, batch: Sequence[IncidentsSnapshot]) -> None:
        for snapshot in batch:
            self.model.apply(snapshot.incidents)
        self._select_first()

    def _on_changed(self, batch: Sequence[IncidentChanged]) -> None:
        self.model.apply(batch)
        if self._wanted is not None and self.select_incident(self._wanted):
            self._wanted = None
        if self._selected in {v.incident.identifier for v in batch}:
            self.detail.show_view(self.model.views.get(self._selected))
        self._select_first()

    def _select_first(self) -> None:
        """With nothing chosen, the most urgent open incident is shown: what a commander
        looks at first."""
        if self._selected is None and self._wanted is None and self.model.rowCount():
            self.select_incident(self.model.view_at(0).incident.identifier)

    def _on_refused(self, batch: Sequence[IncidentCommandRefused]) -> None:
        self._show_notice(batch[-1].message)

    def _show_notice(self, message: str) -> None:
        rtl = self.layoutDirection() == Qt.LayoutDirection.RightToLeft
        self.notice.setText(("\u200f" if rtl else "") + message)
        self.notice.setVisible(True)

    def _on_permissions(self) -> None:
        """People without the incidents permission follow incidents; they do not run them."""
        self.detail.set_may_act(self.gate.allows(Permission.INCIDENTS))

    def _on_alerts(self, batch: Sequence[Alert]) -> None:
        """Member alerts change (acknowledged, escalated) between incident updates."""
        latest = {a.identifier: a for a in batch}
        changed = []
        for view in self.model.views.values():
            if latest.keys() & set(view.incident.alert_ids):
                alerts = tuple(latest.get(a.identifier, a) for a in view.alerts)
                changed.append(dataclasses.replace(view, alerts=alerts))
        if changed:
            self.model.apply(changed)
            if self._selected in {v.incident.identifier for v in changed}:
                self.detail.show_view(self.model.views[self._selected])

    def _on_selected_elsewhere(self, batch: Sequence[Selection]) -> None:
        wanted = batch[-1]
        if wanted.kind != "incident" or wanted.origin == self.ID:
            return
        if not self.select_incident(wanted.identifier):
            self._wanted = wanted.identifier

    # --- selection -----------------------------------------------------------------------
    def select_incident(self, identifier: str) -> bool:
        row = self.model.row_of(identifier)
        if row is None:
            return False
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(self.model.index(row, 0), flags)
        self.table.scrollTo(self.model.index(row, 0))
        return True

    def selected(self) -> IncidentChanged | None:
        rows = self.table.selectionModel().selectedRows()
        return rows[0].data(VIEW_ROLE) if rows else None

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        view = self.selected()
        self._selected = view.incident.identifier if view is not None else None
        self.detail.show_view(view)
        if view is not None:  # the timeline and reports may follow the chosen incident
            self.context.publish(Selection("incident", view.incident.identifier, origin=self.ID))

    def _reselect(self) -> None:
        """The selection follows the incident, not the row, across re-sorts."""
        if self._selected is not None:
            self.table.selectionModel().blockSignals(True)
            self.select_incident(self._selected)
            self.table.selectionModel().blockSignals(False)

    # --- what the commander does ---------------------------------------------------------
    def _send(self, command: object) -> None:
        self.notice.setVisible(False)
        self.context.commands(command)

    def _on_state(self, state: str) -> None:
        view = self.detail.view
        if view is not None:
            incident = view.incident
            self._send(
                SetIncidentState(incident.identifier, state, self.gate.user(), incident.version)
            )

    def _on_commander(self) -> None:
        view = self.detail.view
        if view is None:
            return
        name, ok = QInputDialog.getText(
            self,
            gettext("Incident commander"),
            gettext("Who commands this incident?"),
            text=view.incident.commander or self.gate.user(),
        )
        if ok and name.strip():
            self._send(
                AssignCommander(
                    view.incident.identifier,
                    name.strip(),
                    self.gate.user(),
                    view.incident.version,
                )
            )

    def _on_note(self, text: str) -> None:
        if self.detail.view is not None:
            incident_id = self.detail.view.incident.identifier
            self._send(AddIncidentNote(incident_id, text, self.gate.user()))

    def _on_task_done(self, task_id: str, done: bool) -> None:
        self._send(SetTaskDone(task_id, done, self.gate.user()))

    def _on_add_task(self, title: str) -> None:
        if self.detail.view is not None:
            incident_id = self.detail.view.incident.identifier
            self._send(AddIncidentTask(incident_id, title, self.gate.user()))

    def _on_alert(self, alert_id: str) -> None:
        self.context.publish(Selection("alert", alert_id, origin=self.ID))

    def retranslate(self) -> None:
        self.model.retranslate()
        self.detail.retranslate()

    def stop(self) -> None:
        self.gate.stop()
        for subscription in self._subscriptions:
            subscription.cancel()
