"""Locking the console when its desk is left unattended.

After ``lock_after_s`` without keyboard or mouse input to the console's windows (an event
filter on each of their native windows restarting one single-shot QTimer: no polling, no
thread) or on
the operator's own request (Ctrl+L, the status bar), the session locks through the core's
SecurityService, which audits it. A full-window overlay then hides every panel, floating ones
included, so alerts cannot be read by a passer-by; only the signed-in person's password (checked
off the GUI thread) or a sign-out ends it.

Alerts keep their sound while locked: the panels run on behind the overlay, and an operator
who stepped away must still hear a new P1 and come back. Only the flashing is out of sight.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QWindow
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.model import utc_now
from app.security.model import Principal, SessionChanged
from i18n import format_time, gettext
from widgets.credential_check import CheckOutcome, CredentialCheck
from widgets.facade import PanelContext
from widgets.roles import principal_label

log = logging.getLogger(__name__)

INPUT_EVENTS = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


class SessionControl(Protocol):
    """What locking needs of the core's SecurityService."""

    @property
    def locked(self) -> bool: ...

    @property
    def lock_after_s(self) -> float: ...

    def lock(self) -> None: ...

    def unlock(self, password: str) -> bool: ...


class InactivityWatch(QObject):
    """Emits ``sig_idle`` once after ``seconds`` with no input to the watched windows.

    It filters the native windows (``QWindow``) of the console, which receive every mouse and
    key event of their widgets, the map's web view included, before the widgets do: the main
    window, and every window that gets the keyboard focus (dialogs, floating docks). (A filter
    on the QApplication would see the same, but a Python filter there made the console crash
    with a segmentation fault in our runs with QtWebEngine.)"""

    sig_idle = Signal()

    def __init__(self, seconds: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(max(1, int(seconds * 1000)))
        self._timer.timeout.connect(self.sig_idle)
        self._enabled = seconds > 0
        self._watched: list[QWindow] = []
        # Dialogs and floating docks are windows of their own: each is watched from the moment
        # it first has the keyboard focus.
        app = QGuiApplication.instance()
        self._following_focus = isinstance(app, QGuiApplication) and self._enabled
        if self._following_focus:
            app.focusWindowChanged.connect(self._watch_window)

    def watch(self, widget: QWidget) -> None:
        """Counts input to ``widget``'s window (a main window, a floating dock) as activity."""
        self._watch_window(widget.windowHandle())

    def _watch_window(self, handle: QWindow | None) -> None:
        if handle is None or handle in self._watched or not self._enabled:
            return
        handle.installEventFilter(self)
        self._watched.append(handle)
        handle.destroyed.connect(lambda: self._forget(handle))

    def _forget(self, handle: QWindow) -> None:
        if handle in self._watched:
            self._watched.remove(handle)

    def start(self) -> None:
        if self._enabled:
            self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def close(self) -> None:
        self._timer.stop()
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication) and self._following_focus:
            self._following_focus = False  # closed twice (window, then console): once only
            app.focusWindowChanged.disconnect(self._watch_window)
        for handle in self._watched:
            with contextlib.suppress(RuntimeError):  # its window may be gone already
                handle.removeEventFilter(self)
        self._watched = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in INPUT_EVENTS and self._timer.isActive():
            self._timer.start()  # restart: the desk is attended
        return False


class QtLockOverlay(QFrame):
    """Covers the whole window: who is signed in, a password field, Unlock and Sign out."""

    sig_unlocked = Signal()
    sig_sign_out = Signal()

    def __init__(self, session: SessionControl, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("lockOverlay")
        self.setAutoFillBackground(True)
        self._session = session
        self._principal: Principal | None = None
        self._since = utc_now()
        self._check = CredentialCheck(self)
        self._check.sig_done.connect(self._on_checked)

        self.title = QLabel(objectName="lockTitle", alignment=Qt.AlignmentFlag.AlignCenter)
        self.who = QLabel(objectName="lockWho", alignment=Qt.AlignmentFlag.AlignCenter)
        self.when = QLabel(objectName="lockWhen", alignment=Qt.AlignmentFlag.AlignCenter)
        self.password = QLineEdit(objectName="lockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.returnPressed.connect(self.try_unlock)
        self.error = QLabel(objectName="lockError", wordWrap=True)
        self.error.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.error.hide()
        self.busy = QProgressBar(objectName="lockBusy", textVisible=False)
        self.busy.setRange(0, 0)
        self.busy.setMaximumHeight(6)
        self.busy.hide()
        self.unlock_button = QPushButton(objectName="lockUnlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        self.sign_out_button = QPushButton(objectName="lockSignOut")
        self.sign_out_button.clicked.connect(self.sig_sign_out)

        card = QFrame(self, objectName="lockCard")
        card.setMaximumWidth(440)
        buttons = QHBoxLayout()
        buttons.addWidget(self.sign_out_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        inner = QVBoxLayout(card)
        for widget in (self.title, self.who, self.when, self.password, self.error, self.busy):
            inner.addWidget(widget)
        inner.addLayout(buttons)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card, 2)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.hide()
        self.retranslate()

    def show_locked(self, principal: Principal | None) -> None:
        self._principal = principal
        self._since = utc_now()
        self.password.clear()
        self.error.hide()
        self.retranslate()
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())
        self.show()
        self.raise_()
        self.password.setFocus()

    def try_unlock(self) -> None:
        password = self.password.text()
        if not password:
            self._show_error(gettext("Enter your password to unlock."))
            return
        if self._check.start(self._session.unlock, password):
            self._set_busy(True)

    def _on_checked(self, outcome: CheckOutcome) -> None:
        self._set_busy(False)
        self.password.clear()
        if outcome.error is None and outcome.value is True:
            self.sig_unlocked.emit()
            return
        if outcome.error is not None and type(outcome.error).__name__ == "SignInError":
            self._show_error(str(outcome.error))
        else:
            self._show_error(gettext("Wrong password. The console stays locked."))
        self.password.setFocus()

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        for widget in (self.password, self.unlock_button, self.sign_out_button):
            widget.setEnabled(not busy)
        if busy:
            self.error.hide()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def retranslate(self) -> None:
        self.title.setText(gettext("Console locked"))
        if self._principal is not None:
            self.who.setText(
                gettext("Signed in: {person}").format(person=principal_label(self._principal))
            )
        local = self._since.astimezone()
        self.when.setText(
            gettext("Locked since {time}").format(time=format_time(local, "short", local.tzinfo))
        )
        self.password.setPlaceholderText(gettext("Password"))
        self.unlock_button.setText(gettext("Unlock"))
        self.sign_out_button.setText(gettext("Sign out"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def stop(self) -> None:
        self._check.wait()


class QtSessionLock(QObject):
    """Locks and unlocks one window's session: inactivity, Ctrl+L, the overlay's password.

    Every lock and unlock goes through the SecurityService (which audits it and publishes
    ``SessionChanged``); a ``SessionChanged`` from elsewhere (another path locking the
    session) is followed too, so the overlay always matches the core's state."""

    sig_sign_out = Signal()

    def __init__(self, window: QMainWindow, session: SessionControl, context: PanelContext) -> None:
        super().__init__(window)
        self._window = window
        self._session = session
        self._principal = context.principal
        self._hidden_floating: list[QWidget] = []
        self.overlay = QtLockOverlay(session, window)
        self.overlay.sig_unlocked.connect(self._on_unlocked)
        self.overlay.sig_sign_out.connect(self.sig_sign_out)
        self.idle = InactivityWatch(float(session.lock_after_s or 0), self)
        self.idle.sig_idle.connect(self.lock)
        self._subscription = context.subscribe(SessionChanged, self._on_session)
        window.installEventFilter(self)
        for dock in window.findChildren(QDockWidget):
            dock.topLevelChanged.connect(lambda _floating, d=dock: self._watch(d))
        self.idle.start()

    def _watch(self, widget: QWidget) -> None:
        if widget.isWindow():
            self.idle.watch(widget)

    @property
    def locked(self) -> bool:
        return self.overlay.isVisible()

    def lock(self) -> None:
        """Locks now (audited by the service) and covers the window at once, without waiting
        for the service's message to come back through the bridge."""
        if not self._session.locked:
            try:
                self._session.lock()
            except Exception:
                log.exception("The session could not be locked through the core")
        self._cover()

    def _cover(self) -> None:
        if self.overlay.isVisible():
            return
        self.idle.stop()
        self._hidden_floating = [
            w
            for w in self._window.findChildren(QWidget)
            if w.isWindow() and w.isVisible() and w is not self._window
        ]
        for widget in self._hidden_floating:
            widget.hide()  # floating docks and open dialogs are windows of their own
        for dock in self._window.findChildren(QDockWidget):
            dock.setEnabled(False)  # nor can shortcuts reach a panel behind the overlay
        self._window.menuBar().setEnabled(False)
        self.overlay.show_locked(self._principal)

    def _uncover(self) -> None:
        if not self.overlay.isVisible():
            return
        self.overlay.hide()
        for dock in self._window.findChildren(QDockWidget):
            dock.setEnabled(True)
        self._window.menuBar().setEnabled(True)
        for widget in self._hidden_floating:
            widget.show()
        self._hidden_floating = []
        self.idle.start()

    def _on_unlocked(self) -> None:
        self._uncover()

    def _on_session(self, batch: Sequence[SessionChanged]) -> None:
        latest = batch[-1]
        if latest.principal is None:
            return  # signed out: the window closes
        if latest.locked and self._session.locked:
            self._cover()
        elif not self._session.locked:
            self._uncover()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self._window:
            if event.type() == QEvent.Type.Resize:
                self.overlay.setGeometry(self._window.rect())
            elif event.type() == QEvent.Type.Show:
                self.idle.watch(self._window)  # its native window exists from now on
        return False

    def stop(self) -> None:
        self._subscription.cancel()
        self.idle.close()
        self.overlay.stop()
