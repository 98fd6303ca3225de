"""The console's main window: docks built from the panel declarations, menus, status bar.

It knows panels only through ``PANELS`` and their class attributes, and layouts only as data,
so adding a panel never means editing this file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QKeySequence, QShowEvent
from PySide6.QtWidgets import QDockWidget, QMainWindow, QMessageBox, QWidget

from app.security.model import Permission, PermissionRefused
from app.security.permissions import panel_allowed
from i18n import LANGUAGES, current_language, gettext, lazy_gettext
from widgets.facade import PanelContext
from widgets.layouts import LayoutStore, RoleLayout, apply_role_layout, apply_role_sizes
from widgets.panel_registry import PANELS
from widgets.qt_diagrams import QtDiagramsDialog
from widgets.qt_exercise_banner import QtExerciseBanner
from widgets.qt_panel import QtPanel
from widgets.qt_review_banner import QtReviewBanner
from widgets.qt_session_lock import QtSessionLock, SessionControl
from widgets.qt_sources_dialog import QtSourcesDialog
from widgets.qt_status import QtStatusBar
from widgets.qt_user_area import QtUserArea
from widgets.roles import LAYOUTS

log = logging.getLogger(__name__)

REFUSAL_SHOWN_MS = 15_000

ROLE_NAMES = {
    "operator": lazy_gettext("Operator"),
    "commander": lazy_gettext("Incident commander"),
    "trainer": lazy_gettext("Trainer"),
    "viewer": lazy_gettext("External viewer"),
}


class QtMainWindow(QMainWindow):
    sig_language_requested = Signal(str)
    sig_role_changed = Signal(str)
    # The person asks to sign out (status bar, menu, lock overlay): the application closes
    # this window and asks for the next person.
    sig_sign_out_requested = Signal()
    sig_closed = Signal()  # after the layout is saved and the panels stopped

    def __init__(
        self,
        context: PanelContext,
        role: str,
        layouts: LayoutStore,
        parent: QWidget | None = None,
        session: SessionControl | None = None,
    ) -> None:
        """``role`` names the layout to open on; only the panels ``context.principal`` may
        see are created. With ``session`` (the core's SecurityService) the window can lock."""
        super().__init__(parent)
        self.setObjectName("watchfloorMainWindow")
        self.setDockNestingEnabled(True)
        self.setDockOptions(
            self.dockOptions()
            | QMainWindow.DockOption.AllowTabbedDocks
            | QMainWindow.DockOption.AllowNestedDocks
        )
        self.role = role
        self.layouts = layouts
        self.panels: dict[str, QtPanel] = {}
        self._pending_sizes: RoleLayout | None = None
        self.sources_dialog: QtSourcesDialog | None = None
        self.diagrams_dialog: QtDiagramsDialog | None = None
        self.context = context
        self.docks: dict[str, QDockWidget] = {}
        self.banner = QtExerciseBanner(context, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.banner)
        # Review under the exercise banner, on a row of its own: both may show at once.
        self.addToolBarBreak(Qt.ToolBarArea.TopToolBarArea)
        self.review_banner = QtReviewBanner(context, self)
        self.addToolBar(Qt.ToolBarArea.TopToolBarArea, self.review_banner)
        for panel_class in PANELS:
            if panel_allowed(context.principal, panel_class.ID):
                self._add_panel(panel_class(context, self))
        self.setStatusBar(QtStatusBar(context, self))
        self.user_area: QtUserArea | None = None
        self.session_lock: QtSessionLock | None = None
        # Set by the application before it closes the window itself (sign-out, quitting):
        # only then does a locked window close.
        self.closing = False
        if context.principal is not None:
            self.user_area = QtUserArea(context.principal, self)
            self.user_area.sig_sign_out.connect(self.sig_sign_out_requested)
            self.statusBar().insertPermanentWidget(0, self.user_area)  # before the clocks
        self._refusals = context.subscribe(PermissionRefused, self._on_refused)
        if session is not None:
            self.session_lock = QtSessionLock(self, session, context)
            self.session_lock.sig_sign_out.connect(self.sig_sign_out_requested)
            if self.user_area is not None:
                self.user_area.sig_lock.connect(self.session_lock.lock)
        self._build_menus()
        if not self.layouts.restore(self, role):
            self.apply_default_layout(role)
        self.retranslate()

    def _add_panel(self, panel: QtPanel) -> None:
        dock = QDockWidget(self)
        dock.setObjectName(panel.ID)  # saveState/restoreState find docks by objectName
        dock.setWidget(panel)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
        )
        self.addDockWidget(panel.DEFAULT_AREA, dock)
        if panel.TABIFY_WITH in self.docks:
            self.tabifyDockWidget(self.docks[panel.TABIFY_WITH], dock)
        self.panels[panel.ID] = panel
        self.docks[panel.ID] = dock

    def apply_default_layout(self, role: str) -> None:
        layout = RoleLayout.load(role)
        apply_role_layout(self, self.docks, layout)
        # Proportions only mean something at the window's real size: apply them again then.
        self._pending_sizes = layout if not self.isVisible() else None

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._pending_sizes is not None:
            layout, self._pending_sizes = self._pending_sizes, None
            QTimer.singleShot(0, self, lambda: apply_role_sizes(self, self.docks, layout))

    def _build_menus(self) -> None:
        bar = self.menuBar()
        self.file_menu = bar.addMenu("")
        self.lock_action = QAction(self, shortcut=QKeySequence("Ctrl+L"))
        self.lock_action.setEnabled(self.session_lock is not None)
        if self.session_lock is not None:
            self.lock_action.triggered.connect(self.session_lock.lock)
        self.file_menu.addAction(self.lock_action)
        self.sign_out_action = QAction(self)
        self.sign_out_action.setEnabled(self.context.principal is not None)
        self.sign_out_action.triggered.connect(self.sig_sign_out_requested)
        self.file_menu.addAction(self.sign_out_action)
        self.file_menu.addSeparator()
        self.quit_action = QAction(self, shortcut=QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(self.close)
        self.file_menu.addAction(self.quit_action)

        self.view_menu = bar.addMenu("")
        for dock in self.docks.values():
            self.view_menu.addAction(dock.toggleViewAction())
        self.view_menu.addSeparator()
        self.sources_action = QAction(self)
        self.sources_action.triggered.connect(self.show_sources)
        self.view_menu.addAction(self.sources_action)
        self.diagrams_action = QAction(self)
        self.diagrams_action.triggered.connect(self.show_diagrams)
        self.diagrams_action.setEnabled(self.context.load_stats is not None)
        self.view_menu.addAction(self.diagrams_action)
        self.layout_menu = self.view_menu.addMenu("")
        self.role_group = QActionGroup(self)
        self.role_actions: dict[str, QAction] = {}
        for role in LAYOUTS:
            action = QAction(self, checkable=True, checked=role == self.role)
            action.triggered.connect(lambda _=False, r=role: self.switch_role(r))
            self.role_group.addAction(action)
            self.layout_menu.addAction(action)
            self.role_actions[role] = action
        self.layout_menu.addSeparator()
        self.reset_layout_action = QAction(self)
        self.reset_layout_action.triggered.connect(lambda: self.apply_default_layout(self.role))
        self.layout_menu.addAction(self.reset_layout_action)

        self.language_menu = bar.addMenu("")
        self.language_group = QActionGroup(self)
        self.language_actions: dict[str, QAction] = {}
        for code, language in LANGUAGES.items():
            # Each language is named in itself, so anyone can find their way back.
            action = QAction(language.native_name, self, checkable=True)
            action.setData(code)
            action.triggered.connect(lambda _=False, c=code: self.sig_language_requested.emit(c))
            self.language_group.addAction(action)
            self.language_menu.addAction(action)
            self.language_actions[code] = action

        self.help_menu = bar.addMenu("")
        self.about_action = QAction(self)
        self.about_action.triggered.connect(self._show_about)
        self.help_menu.addAction(self.about_action)

    def show_diagrams(self) -> QtDiagramsDialog | None:
        """Alerts by category, time to acknowledge, top sources and locations by hour."""
        if self.context.load_stats is None:
            return None
        if self.diagrams_dialog is None:
            self.diagrams_dialog = QtDiagramsDialog(
                self.context.terminology,
                self.context.load_stats,
                self,
                may_export=lambda: self.context.permits(Permission.EXPORT),
                on_exported=lambda path, tab: self.context.audit_event(
                    "export.diagram", path.name, {"tab": tab, "file": str(path)}
                ),
            )
        self.diagrams_dialog.show()
        self.diagrams_dialog.raise_()
        self.diagrams_dialog.activateWindow()
        return self.diagrams_dialog

    def show_sources(self) -> QtSourcesDialog:
        status = self.statusBar()
        assert isinstance(status, QtStatusBar)
        if self.sources_dialog is None:
            self.sources_dialog = QtSourcesDialog(
                status.terminology,
                lambda: [
                    light.health for light in status.lights.values() if light.health is not None
                ],
                self,
            )
        self.sources_dialog.refresh()
        self.sources_dialog.show()
        self.sources_dialog.raise_()
        return self.sources_dialog

    def switch_role(self, role: str) -> None:
        """Saves the current role's arrangement, then opens the new role's own (or default)."""
        if role == self.role:
            return
        self.layouts.save(self, self.role)
        self.role = role
        self.role_actions[role].setChecked(True)
        if not self.layouts.restore(self, role):
            self.apply_default_layout(role)
        self.sig_role_changed.emit(role)
        self.retranslate()

    def retranslate(self) -> None:
        role_name = str(ROLE_NAMES[self.role])
        self.setWindowTitle(gettext("Watchfloor: {role}").format(role=role_name))
        self.file_menu.setTitle(gettext("&File"))
        self.lock_action.setText(gettext("&Lock"))
        self.sign_out_action.setText(gettext("Sign &out"))
        self.quit_action.setText(gettext("&Quit"))
        self.view_menu.setTitle(gettext("&View"))
        self.layout_menu.setTitle(gettext("&Layout"))
        for role, action in self.role_actions.items():
            action.setText(str(ROLE_NAMES[role]))
        self.reset_layout_action.setText(gettext("&Reset to the role's default layout"))
        self.sources_action.setText(gettext("&Sources..."))
        self.diagrams_action.setText(gettext("&Diagrams..."))
        self.language_menu.setTitle(gettext("L&anguage"))
        self.language_actions[current_language()].setChecked(True)
        self.help_menu.setTitle(gettext("&Help"))
        self.about_action.setText(gettext("&About Watchfloor"))
        for panel_id, dock in self.docks.items():
            dock.setWindowTitle(str(self.panels[panel_id].TITLE))

    def _on_refused(self, batch: Sequence[PermissionRefused]) -> None:
        """The core refused an action this person may not take: said in the status bar for a
        while, whichever panel the action came from (the panel may say it too). The message
        covers the health lights only, never the person's name nor the clocks."""
        self.statusBar().showMessage(batch[-1].message, REFUSAL_SHOWN_MS)

    def _show_about(self) -> None:
        QMessageBox.about(
            self,
            gettext("About Watchfloor"),
            gettext("Watchfloor: situational awareness for city control rooms."),
        )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.session_lock is not None and self.session_lock.locked and not self.closing:
            event.ignore()  # a passer-by at a locked desk may not close the console
            return
        self.layouts.save(self, self.role)
        for panel in self.panels.values():
            panel.stop()
        self.review_banner.stop()
        if self.diagrams_dialog is not None:
            self.diagrams_dialog.stop()
        status = self.statusBar()
        if isinstance(status, QtStatusBar):
            status.stop()
        if self.session_lock is not None:
            self.session_lock.stop()
        self._refusals.cancel()
        super().closeEvent(event)
        self.sig_closed.emit()
