"""The sign-in dialog shown before the console's window, and again after each sign-out.

The password check (Argon2, or the directory) runs off the GUI thread: the dialog shows that
it is busy and stays responsive. A wrong name and a wrong password get the same message, so
the dialog never tells a stranger which account names exist. The demo hint appears only when
the core has seeded the demo accounts (local demo database), never on a real installation.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.security.model import Principal
from i18n import LANGUAGES, current_language, gettext
from widgets.credential_check import CheckOutcome, CredentialCheck

log = logging.getLogger(__name__)

SignIn = Callable[[str, str], Principal]


class QtSignInDialog(QDialog):
    """``sign_in(username, password)`` returns the principal or raises an error whose
    message is shown (the core's ``SignInError`` is translated already). After ``accept()``,
    ``principal`` holds who signed in. ``on_language(code)`` switches the whole console."""

    def __init__(
        self,
        sign_in: SignIn,
        *,
        demo_hint: bool = False,
        on_language: Callable[[str], None] | None = None,
        username: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("signInDialog")
        self.setModal(True)
        self.principal: Principal | None = None
        self._sign_in = sign_in
        self._on_language = on_language
        self._check = CredentialCheck(self)
        self._check.sig_done.connect(self._on_checked)

        self.heading = QLabel(objectName="signInHeading")
        self.heading.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.username = QLineEdit(username, objectName="signInUsername")
        self.password = QLineEdit(objectName="signInPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.language = QComboBox(objectName="signInLanguage")
        for code, language in LANGUAGES.items():
            self.language.addItem(language.native_name, code)  # each named in itself
        self.language.setCurrentIndex(self.language.findData(current_language()))
        self.language.setEnabled(on_language is not None)
        self.language.currentIndexChanged.connect(self._language_chosen)
        self.hint = QLabel(objectName="signInHint", wordWrap=True)
        self.hint.setVisible(demo_hint)
        self.error = QLabel(objectName="signInError", wordWrap=True)
        self.error.hide()
        self.busy = QProgressBar(objectName="signInBusy", textVisible=False)
        self.busy.setRange(0, 0)  # indeterminate: an Argon2 check has no progress to show
        self.busy.setMaximumHeight(6)
        self.busy.hide()

        self.buttons = QDialogButtonBox()
        self.submit = QPushButton(objectName="signInButton")
        self.submit.setDefault(True)
        self.buttons.addButton(self.submit, QDialogButtonBox.ButtonRole.AcceptRole)
        self.quit = self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)

        self.labels = [QLabel(self) for _ in range(3)]
        self.form = QFormLayout()
        for label, field in zip(
            self.labels, (self.username, self.password, self.language), strict=True
        ):
            label.setBuddy(field)
            self.form.addRow(label, field)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addLayout(self.form)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        layout.addWidget(self.busy)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(380)
        (self.password if username else self.username).setFocus()
        self.retranslate()

    def try_sign_in(self) -> None:
        name, password = self.username.text().strip(), self.password.text()
        if not name or not password:
            self._show_error(gettext("Enter your user name and password."))
            return
        if self._check.start(self._sign_in, name, password):
            self._set_busy(True)

    def _on_checked(self, outcome: CheckOutcome) -> None:
        self._set_busy(False)
        self.password.clear()
        if outcome.error is not None:
            self._show_error(sign_in_message(outcome.error))
            self.password.setFocus()
            return
        assert isinstance(outcome.value, Principal)
        self.principal = outcome.value
        self.error.hide()
        self.accept()

    def _set_busy(self, busy: bool) -> None:
        self.busy.setVisible(busy)
        for widget in (self.username, self.password, self.submit, self.language):
            widget.setEnabled(not busy)
        self.language.setEnabled(not busy and self._on_language is not None)
        if busy:
            self.error.hide()

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _language_chosen(self) -> None:
        code = self.language.currentData()
        if self._on_language is not None and code and code != current_language():
            self._on_language(code)

    def retranslate(self) -> None:
        self.setWindowTitle(gettext("Watchfloor: sign in"))
        self.heading.setText(gettext("Sign in to the Watchfloor console"))
        texts = (gettext("&User name:"), gettext("&Password:"), gettext("&Language:"))
        for label, text in zip(self.labels, texts, strict=True):
            label.setText(text)
        self.hint.setText(
            gettext(
                "Demo accounts: operator, supervisor, commander, trainer, analyst, admin, "
                "viewer — password demo"
            )
        )
        self.submit.setText(gettext("Sign in"))
        self.quit.setText(gettext("Quit"))
        index = self.language.findData(current_language())
        if index >= 0 and index != self.language.currentIndex():
            self.language.blockSignals(True)
            self.language.setCurrentIndex(index)
            self.language.blockSignals(False)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def done(self, result: int) -> None:
        if result != QDialog.DialogCode.Accepted and self._check.busy:
            self._check.wait()  # a cancelled check must not outlive the dialog
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._check.wait()
        super().closeEvent(event)


def sign_in_message(error: BaseException) -> str:
    """The message to show for a failed sign-in. The core's ``SignInError`` carries its own
    translated message (wrong name or password, locked until, disabled, directory down);
    anything else is a fault, logged by type only and described generally."""
    if type(error).__name__ == "SignInError":
        return str(error)
    log.error("Sign-in failed unexpectedly: %s", type(error).__name__)
    return gettext("Signing in is not possible right now. Try again, or call the administrator.")
