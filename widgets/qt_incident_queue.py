"""Incidents from the alert queue: "Create incident from selected alerts" (context menu, key
I) and, in the alert details, "Create incident from fusion candidate".

Kept beside the queue rather than in it: the queue panel only creates this helper. The queue
allows extended selection for it (Ctrl/Shift-click); triage keys still act on the current
alert alone, and the selection of several alerts survives the queue's re-sorting.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QAction, QKeySequence

from app.alerts.fusion import FusionCandidate
from app.incidents.messages import OpenIncident
from app.model import Alert
from i18n import gettext
from widgets.qt_alert_model import ALERT_ROLE
from widgets.qt_incident_dialog import create_incident

if TYPE_CHECKING:
    from widgets.qt_alerts import QtAlertsPanel


class QtQueueIncidents(QObject):
    def __init__(self, panel: QtAlertsPanel) -> None:
        super().__init__(panel)
        self.panel = panel
        self._kept: list[str] = []
        table = panel.table
        self.action = QAction(panel.table)
        self.action.setObjectName("createIncident")
        self.action.setShortcut(QKeySequence("I"))
        self.action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.action.triggered.connect(self.create_from_selection)
        table.addAction(self.action)
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        panel.model.modelAboutToBeReset.connect(self._keep_selection)
        panel.model.modelReset.connect(self._restore_selection)
        panel.details.sig_create_incident.connect(self.create_from_fusion)
        self.retranslate()

    def selected_alerts(self) -> list[Alert]:
        rows = sorted(self.panel.table.selectionModel().selectedRows(), key=lambda i: i.row())
        return [index.data(ALERT_ROLE) for index in rows]

    def create_from_selection(self) -> OpenIncident | None:
        return create_incident(
            self.panel, self.panel.context, self.selected_alerts(), origin=self.panel.ID
        )

    def create_from_fusion(self, candidate: FusionCandidate) -> OpenIncident | None:
        table = self.panel.model.table
        rows = [table.row_of(member) for member in candidate.members]
        alerts = [table.alerts[row] for row in rows if row is not None]
        return create_incident(
            self.panel, self.panel.context, alerts, candidate.identifier, origin=self.panel.ID
        )

    def _keep_selection(self) -> None:
        self._kept = [a.identifier for a in self.selected_alerts()]

    def _restore_selection(self) -> None:
        """The queue re-selects its current alert after a re-sort; the others selected with
        it are added back here, so a selection being built is not lost to arriving alerts."""
        others = [
            i for i in self._kept if i != getattr(self.panel.details.alert, "identifier", None)
        ]
        if not others:
            return
        selection = self.panel.table.selectionModel()
        flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
        selection.blockSignals(True)
        for identifier in others:
            row = self.panel.model.row_of(identifier)
            if row is not None:
                selection.select(self.panel.model.index(row, 0), flags)
        selection.blockSignals(False)
        self.panel.table.viewport().update()

    def retranslate(self) -> None:
        self.action.setText(gettext("Create incident from selected alerts…"))
