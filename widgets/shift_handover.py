"""Who sits at the desk: sign-in, their window, sign-out, and the next person.

The core runs on throughout; only the window changes hands. Signing out closes the window
(saving that person's layout) and asks for the next person at once, so a handover never
leaves the desk with a window nobody is accountable for. Cancelling the sign-in quits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QApplication

from widgets.application import Console, open_window
from widgets.qt_sign_in import QtSignInDialog

log = logging.getLogger(__name__)


class ShiftHandover(QObject):
    sig_window_opened = Signal(object)  # the new QtMainWindow (tests follow it)

    def __init__(
        self,
        app: QApplication,
        console: Console,
        username: str = "",
        quit: Callable[[], None] | None = None,
    ) -> None:
        """``quit`` ends the application when nobody signs in or the window is closed
        (default: ``app.quit``)."""
        super().__init__(app)
        self.app = app
        self.quit = quit or app.quit
        self.console = console
        self.username = username
        self.dialog: QtSignInDialog | None = None
        self.last_layout = console.layout_hint
        self._handing_over = False

    def ask(self) -> QtSignInDialog:
        """Shows the sign-in dialog (non-blocking: the event loop keeps the core's results
        flowing and the alert tone playing)."""
        dialog = QtSignInDialog(
            self.console.core.security.sign_in,
            demo_hint=self.console.demo_accounts,
            on_language=self.console.languages.apply,
            username=self.username,
        )
        dialog.accepted.connect(self._signed_in)
        dialog.rejected.connect(self._nobody)
        self.dialog = dialog
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()
        return dialog

    def _signed_in(self) -> None:
        dialog, self.dialog = self.dialog, None
        assert dialog is not None and dialog.principal is not None
        principal = dialog.principal
        dialog.deleteLater()
        window = open_window(self.console, principal)
        window.sig_sign_out_requested.connect(self.sign_out)
        window.sig_closed.connect(self._window_closed)
        window.show()
        self.console.load_starting_picture()
        log.info("Window opened for %s", principal.username)
        self.sig_window_opened.emit(window)

    def sign_out(self) -> None:
        """Closes this person's window, signs them out (audited) and asks for the next."""
        window = self.console.window
        if window is None:
            return
        self._handing_over = True
        window.closing = True
        try:
            window.close()
        finally:
            self._handing_over = False
        self.last_layout = window.role
        self.console.core.security.sign_out()
        self.console.window = None
        window.deleteLater()
        self.console.bridge.renew_gui_hub()
        self.username = ""
        self.ask()

    def _window_closed(self) -> None:
        window = self.console.window
        if window is not None:
            self.last_layout = window.role
        if not self._handing_over:
            self.quit()  # Quit, the window's close button, or SIGTERM

    def _nobody(self) -> None:
        if self.dialog is not None:
            self.dialog.deleteLater()
            self.dialog = None
        self.quit()
