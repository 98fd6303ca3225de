"""The status bar's user area: who is signed in at this desk, Lock and Sign out.

A relieving operator must see at a glance whose session is open before acting in it, and the
person leaving needs one click to lock or hand over.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from app.security.model import Principal
from i18n import gettext
from widgets.roles import principal_label


class QtUserArea(QWidget):
    sig_lock = Signal()
    sig_sign_out = Signal()

    def __init__(self, principal: Principal, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("userArea")
        self.principal = principal
        self.label = QLabel(self, objectName="signedInAs")
        self.lock_button = QToolButton(self, objectName="lockButton", autoRaise=True)
        self.lock_button.clicked.connect(self.sig_lock)
        self.sign_out_button = QToolButton(self, objectName="signOutButton", autoRaise=True)
        self.sign_out_button.clicked.connect(self.sig_sign_out)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.lock_button)
        layout.addWidget(self.sign_out_button)
        # No taller than the clocks beside them: the status bar must not grow the window.
        for button in (self.lock_button, self.sign_out_button):
            button.setMaximumHeight(self.label.sizeHint().height())
        self.retranslate()

    def retranslate(self) -> None:
        self.label.setText(
            gettext("Signed in as {person}").format(person=principal_label(self.principal))
        )
        self.lock_button.setText(gettext("Lock"))
        self.lock_button.setToolTip(gettext("Lock the console (Ctrl+L)"))
        self.sign_out_button.setText(gettext("Sign out"))
        self.sign_out_button.setToolTip(gettext("Sign out, for the next person to sign in"))

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
