"""The alert queue panel: every tool's alerts in one queue an operator runs with the keyboard.

A acknowledge, S start, R resolve, E escalate, D dismiss (asks why), H shelve (asks how long and
why), U unshelve, G assign, Enter details. Commands go to the core's alert service and return at
once; the changed alert comes back over the hub.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from PySide6.QtCore import QItemSelection, QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import paths
from app.alerts.flood import FloodState, banner_text
from app.alerts.fusion import FusionCandidate
from app.alerts.lifecycle import Action
from app.alerts.service import AlertCommand, AlertSnapshot, CommandRefused, FusionUpdate
from app.incidents.messages import MarkSopStep
from app.messages import Selection
from app.model import Alert, AlertState, Priority, utc_now
from app.security.model import Permission
from i18n import format_time, gettext, lazy_gettext
from widgets.alert_tone import AlertTone
from widgets.facade import PanelContext
from widgets.permission_gate import PermissionGate
from widgets.qt_alert_actions import add_alert_actions, retranslate_alert_actions
from widgets.qt_alert_details import QtAlertDetails
from widgets.qt_alert_filters import QtAlertFilters
from widgets.qt_alert_model import ALERT_ROLE, COLUMN, AlertQueueModel
from widgets.qt_alert_review import QtAlertReview
from widgets.qt_incident_queue import QtQueueIncidents
from widgets.qt_panel import QtPanel

FLASH_MS = 250
FLASHES = 8


class QtAlertsPanel(QtPanel):
    ID = "alerts"
    TITLE = lazy_gettext("Alerts")
    DEFAULT_AREA = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self._following_selection = False
        self.model = AlertQueueModel(context.terminology, self, context.symbols)
        self.filters = QtAlertFilters(context.terminology, self)
        self.flood = QLabel(objectName="floodBanner", wordWrap=True)
        self.ungroup = QPushButton(objectName="floodUngroup", checkable=True)
        self.ungroup.toggled.connect(self._show_flood)
        self.flood_bar = QWidget(objectName="floodBar", visible=False)
        flood_layout = QHBoxLayout(self.flood_bar)
        flood_layout.setContentsMargins(0, 0, 0, 0)
        flood_layout.addWidget(self.flood, 1)
        flood_layout.addWidget(self.ungroup)
        self.flood_state: FloodState | None = None
        self.notice = QLabel(objectName="alertNotice", wordWrap=True)
        self.gate = PermissionGate(
            context, self, refused=self.notice.setText, commands=(AlertCommand, MarkSopStep)
        )
        self.table = QTableView(objectName="alertQueue")
        self.details = QtAlertDetails(context.terminology, self, context=context)
        self.candidates: tuple[FusionCandidate, ...] = ()
        self.tone = AlertTone(paths.data_dir())
        self._setup_table()
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setSizes([600, 400])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        for widget in (self.filters, self.flood_bar, self.notice):
            layout.addWidget(widget)
        layout.addWidget(splitter, 1)
        self._flash = QTimer(self, interval=FLASH_MS)
        self._flash.timeout.connect(self._toggle_flash)
        self._flashes_left = 0
        self.filters.sig_filter_changed.connect(self._on_filter)
        self._subscriptions = [
            context.subscribe(Alert, self._on_alerts),
            context.subscribe(AlertSnapshot, self._on_snapshot),
            context.subscribe(CommandRefused, self._on_refused),
            context.subscribe(FusionUpdate, self._on_fusion),
            context.subscribe(FloodState, self._on_flood),
            context.subscribe(Selection, self._on_selected_elsewhere),
        ]
        self._shortcuts()
        self.incidents = QtQueueIncidents(self)
        self.gate.guard(self.incidents.action, Permission.INCIDENTS)
        self.gate.on_change(self._on_permissions)
        self._on_permissions()
        self.review = QtAlertReview(self)
        self._subscriptions.append(self.review.subscription)
        self.retranslate()

    def _setup_table(self) -> None:
        table = self.table
        table.setModel(self.model)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Extended: several alerts can make an incident; triage keys act on the current one.
        table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.setWordWrap(False)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(24)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(COLUMN["headline"], QHeaderView.ResizeMode.Stretch)
        for key, width in (
            ("priority", 52),
            ("time", 76),
            ("event", 150),
            ("source", 120),
            ("state", 104),
            ("count", 48),
            ("confidence", 76),
        ):
            table.setColumnWidth(COLUMN[key], width)
        table.selectionModel().selectionChanged.connect(self._on_selection)
        self.model.modelReset.connect(self._reselect)

    def _shortcuts(self) -> None:
        self.actions = add_alert_actions(self)  # keys and context menu, by permission
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            details = QShortcut(QKeySequence(key), self.table)
            details.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            details.activated.connect(self.details.setFocus)

    # --- operator actions ----------------------------------------------------------------
    def selected(self) -> Alert | None:
        """The current alert (the one triage keys act on) if selected, else the first."""
        selection = self.table.selectionModel()
        current = selection.currentIndex()
        if current.isValid() and selection.isRowSelected(current.row()):
            return current.data(ALERT_ROLE)
        rows = selection.selectedRows()
        return rows[0].data(ALERT_ROLE) if rows else None

    def command(
        self,
        action: Action,
        reason: str = "",
        *,
        until: datetime | None = None,
        to: str | None = None,
    ) -> None:
        alert = self.selected()
        if alert is None or self.review.refused():
            return
        self.notice.clear()
        self.context.commands(
            AlertCommand(
                action, alert.identifier, self.gate.user(), reason=reason, until=until, to=to
            )
        )

    def shelve_selected(self) -> None:
        """ISA-18.2 shelving: out of the operator's way for a while, with a reason."""
        if self.selected() is None or self.review.refused():
            return
        minutes, ok = QInputDialog.getInt(
            self, gettext("Shelve alert"), gettext("For how many minutes?"), 30, 1, 24 * 60
        )
        if not ok:
            return
        reason, ok = QInputDialog.getText(
            self, gettext("Shelve alert"), gettext("Why is this alert shelved?")
        )
        if ok and reason.strip():
            self.command(
                Action.SHELVE, reason.strip(), until=utc_now() + timedelta(minutes=minutes)
            )

    def assign_selected(self) -> None:
        if self.selected() is None or self.review.refused():
            return
        operator, ok = QInputDialog.getText(
            self,
            gettext("Assign alert"),
            gettext("Assign to which operator?"),
            text=self.gate.user(),
        )
        if ok and operator.strip():
            self.command(Action.ASSIGN, to=operator.strip())

    def dismiss_selected(self) -> None:
        if self.selected() is None or self.review.refused():
            return
        reason, ok = QInputDialog.getText(
            self, gettext("Dismiss alert"), gettext("Why is this alert dismissed?")
        )
        if ok and reason.strip():
            self.command(Action.DISMISS, reason.strip())

    # --- hub -----------------------------------------------------------------------------
    def _on_snapshot(self, batch: Sequence[AlertSnapshot]) -> None:
        for snapshot in batch:
            self.model.apply(snapshot.alerts)
        self.filters.set_sources(self.model.table.sources())

    def _on_alerts(self, batch: Sequence[Alert]) -> None:
        fresh = self.model.apply(batch)
        self.filters.set_sources(self.model.table.sources())
        urgent = [a for a in fresh if a.priority is Priority.P1 and a.state is AlertState.NEW]
        if urgent:
            self._alarm()  # a new P1 sounds even while reviewing the past
        self.review.live_alerts_arrived(fresh)
        current = self.details.alert
        if current is not None and not self.review.active:
            changed = [a for a in batch if a.identifier == current.identifier]
            if changed:
                self.details.show_alert(changed[-1], self._fusion_of(changed[-1].identifier))

    def _on_permissions(self) -> None:
        """The details' checklist and fusion button follow the person's permissions too."""
        self.details.set_allowed(
            triage=self.gate.allows(Permission.TRIAGE),
            incidents=self.gate.allows(Permission.INCIDENTS),
        )

    def _on_refused(self, batch: Sequence[CommandRefused]) -> None:
        self.notice.setText(batch[-1].message)

    def _on_fusion(self, batch: Sequence[FusionUpdate]) -> None:
        self.candidates = batch[-1].candidates
        if self.details.alert is not None:
            self.details.show_alert(
                self.details.alert, self._fusion_of(self.details.alert.identifier)
            )

    def _on_flood(self, batch: Sequence[FloodState]) -> None:
        self.flood_state = batch[-1]
        self._show_flood()

    def _fusion_of(self, identifier: str) -> FusionCandidate | None:
        return next((c for c in self.candidates if identifier in c.members), None)

    def _alarm(self) -> None:
        preferences = self.context.preferences
        if preferences.alert_sound:
            self.tone.play()
        if preferences.alert_flash:
            self._flashes_left = FLASHES
            self._flash.start()

    def _toggle_flash(self) -> None:
        self._flashes_left -= 1
        on = self._flashes_left % 2 == 1
        colour = self.context.terminology.priority(Priority.P1).colour
        self.table.setStyleSheet(f"QTableView {{ border: 3px solid {colour}; }}" if on else "")
        if self._flashes_left <= 0:
            self._flash.stop()
            self.table.setStyleSheet("")

    # --- view ----------------------------------------------------------------------------
    def _on_filter(self, wanted: object) -> None:
        self.model.set_filter(wanted)  # type: ignore[arg-type]

    def _on_selection(self, _selected: QItemSelection, _deselected: QItemSelection) -> None:
        alert = self.selected()
        self.details.show_alert(alert, None if alert is None else self._fusion_of(alert.identifier))
        if alert is not None and not self._following_selection:
            self.context.publish(Selection("alert", alert.identifier, origin=self.ID))

    def _on_selected_elsewhere(self, batch: Sequence[Selection]) -> None:
        """The queue follows a selection made on the map (or any other panel)."""
        wanted = batch[-1]
        if wanted.kind != "alert" or wanted.origin == self.ID:
            return
        self._following_selection = True
        try:
            if self.select_alert(wanted.identifier):
                self.table.scrollTo(self.table.currentIndex())
        finally:
            self._following_selection = False

    def select_alert(self, identifier: str) -> bool:
        """Selects an alert's row. Through the selection model, not ``selectRow``: in a
        right-to-left layout ``selectRow`` can pick no column and select nothing."""
        row = self.model.row_of(identifier)
        if row is None:
            return False
        index = self.model.index(row, 0)
        flags = (
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows
        )
        self.table.selectionModel().setCurrentIndex(index, flags)
        return True

    def _reselect(self) -> None:
        """Keeps the operator's selection across re-sorts (by alert, not by row)."""
        current = self.details.alert
        if current is not None:
            self.table.selectionModel().blockSignals(True)
            self.select_alert(current.identifier)
            self.table.selectionModel().blockSignals(False)

    def _show_flood(self) -> None:
        """While alerts flood in, the queue shows one row per event type and source, unless
        the operator asks to see every alert."""
        state = self.flood_state
        flooding = state is not None and state.flooding
        self.flood_bar.setVisible(flooding)
        self.model.set_grouped(flooding and not self.ungroup.isChecked())
        if flooding:
            self.flood.setText(banner_text(state, self.context.terminology))
        self.ungroup.setText(
            gettext("Group by type and source")
            if self.ungroup.isChecked()
            else gettext("Show every alert")
        )

    def _fit_time_column(self) -> None:
        """Times are as wide as the language writes them ("06:22:57" or "6:22:57 ص")."""
        sample = format_time(utc_now().astimezone().replace(hour=23, minute=58, second=58))
        width = self.table.fontMetrics().horizontalAdvance(sample) + 24
        self.table.setColumnWidth(COLUMN["time"], width)

    def retranslate(self) -> None:
        self._fit_time_column()
        self.model.retranslate()
        self.filters.retranslate()
        self.incidents.retranslate()
        self.details.retranslate()
        retranslate_alert_actions(self.actions)
        self._show_flood()
        self.table.setToolTip(
            gettext(
                "A acknowledge, S start, R resolve, E escalate, D dismiss, H shelve, "
                "U unshelve, G assign, Enter details"
            )
        )
        self.review.retranslate()  # in review, the table says why keys do nothing

    def stop(self) -> None:
        # Alerts still in flight from the core's last moments must not restart the queue's
        # refresh timer after the window has closed.
        for subscription in self._subscriptions:
            subscription.cancel()
        self.gate.stop()
        self._flash.stop()
        self.model.stop()
        self.details.stop()
