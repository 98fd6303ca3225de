"""Asking to see what is masked (faces on a camera, the author behind a pseudonym), and
following the request until the mask is back.

The dialog states the purpose and the time wanted, sends ``RequestUnmask`` and then only
listens: every change of the request comes back as ``UnmaskChanged`` (from this workstation's
core or, through a shared database, from an approver elsewhere). While it waits, a second person
standing at this desk can approve it here with their own username and password ("Approve here");
the core checks the password off the GUI thread. Once granted it counts down to the expiry and
offers "End now". Closing the dialog does not end a grant: the tile's badge and the privacy
panel keep showing it until it ends.

The dialog is not modal: the operator keeps watching the video while waiting.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.model import new_identifier
from app.security.model import (
    DecideUnmask,
    EndUnmask,
    PermissionRefused,
    RequestUnmask,
    UnmaskChanged,
    UnmaskKind,
    UnmaskRequest,
    UnmaskState,
)
from i18n import gettext
from widgets.facade import PanelContext
from widgets.unmask_texts import (
    MIN_PURPOSE,
    countdown,
    purpose_hint,
    seconds_left,
    state_text,
    target_text,
)

TICK_MS = 1000


class QtUnmaskDialog(QDialog):
    def __init__(
        self,
        context: PanelContext,
        kind: UnmaskKind,
        target: str,
        requester: str,
        *,
        target_name: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("unmaskDialog")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.context = context
        self.kind, self.target, self.target_name = kind, target, target_name
        self.requester = requester
        self.rules = context.unmask_rules
        self.identifier = ""  # set when the request is sent
        self.request: UnmaskRequest | None = None
        self._checking = False  # an "Approve here" answer is on its way to the core
        self.what = QLabel(self, objectName="unmaskWhat", wordWrap=True)
        heading = self.what.font()
        heading.setBold(True)
        self.what.setFont(heading)
        self.error = QLabel(self, objectName="unmaskError", wordWrap=True, visible=False)
        self.error.setStyleSheet("color: #c62828;")
        self.pages = QStackedWidget(self)
        self.form = self._form_page()
        self.status = self._status_page()
        self.pages.addWidget(self.form)
        self.pages.addWidget(self.status)
        layout = QVBoxLayout(self)
        layout.addWidget(self.what)
        layout.addWidget(self.error)
        layout.addWidget(self.pages, 1)
        self._tick = QTimer(self, interval=TICK_MS)
        self._tick.timeout.connect(self._show_countdown)
        self._subscriptions = [
            context.subscribe(UnmaskChanged, self._on_changed),
            context.subscribe(PermissionRefused, self._on_refused),
        ]
        self.retranslate()
        self.setMinimumWidth(460)
        self.resize(520, self.sizeHint().height())

    # --- pages -------------------------------------------------------------------------------
    def _form_page(self) -> QWidget:
        page = QWidget(self)
        self.purpose_label = QLabel(page)
        self.purpose = QPlainTextEdit(page, objectName="unmaskPurpose")
        self.purpose.setTabChangesFocus(True)
        self.purpose.setMaximumHeight(90)
        self.purpose_label.setBuddy(self.purpose)
        self.hint = QLabel(page, objectName="unmaskHint", wordWrap=True)
        self.hint.setStyleSheet("color: palette(placeholder-text);")
        self.minutes_label = QLabel(page)
        self.minutes = QSpinBox(page, objectName="unmaskMinutes")
        self.minutes.setRange(1, max(1, self.rules.max_minutes))
        self.minutes.setValue(min(self.rules.default_minutes, self.rules.max_minutes))
        self.minutes.setMaximumWidth(120)
        self.approval = QLabel(page, objectName="unmaskApprovalNote", wordWrap=True)
        self.submit_button = QPushButton(page, objectName="unmaskSubmit", default=True)
        self.cancel_button = QPushButton(page, objectName="unmaskCancel")
        self.submit_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.submit_button)
        form = QFormLayout()
        form.addRow(self.minutes_label, self.minutes)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.purpose_label)
        layout.addWidget(self.purpose)
        layout.addWidget(self.hint)
        layout.addLayout(form)
        layout.addWidget(self.approval)
        layout.addLayout(buttons)
        return page

    def _status_page(self) -> QWidget:
        page = QWidget(self)
        self.state = QLabel(page, objectName="unmaskState", wordWrap=True)
        font = self.state.font()
        font.setBold(True)
        self.state.setFont(font)
        self.countdown = QLabel(page, objectName="unmaskCountdown")
        big = self.countdown.font()
        if big.pointSizeF() > 0:
            big.setPointSizeF(big.pointSizeF() * 2)
        big.setBold(True)
        self.countdown.setFont(big)
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.purpose_shown = QLabel(page, objectName="unmaskPurposeShown", wordWrap=True)
        self.here = QGroupBox(page, objectName="unmaskApproveHere")
        self.approver = QLineEdit(self.here, objectName="unmaskApprover")
        self.password = QLineEdit(self.here, objectName="unmaskApproverPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.note = QLineEdit(self.here, objectName="unmaskApproverNote")
        self.approve_button = QPushButton(self.here, objectName="unmaskApprove")
        self.deny_button = QPushButton(self.here, objectName="unmaskDeny")
        self.approve_button.clicked.connect(lambda: self.decide_here(True))
        self.deny_button.clicked.connect(lambda: self.decide_here(False))
        self.here_help = QLabel(self.here, wordWrap=True)
        self.here_labels = [QLabel(self.here) for _ in range(3)]
        self.here_form = QFormLayout()
        for label, field in zip(
            self.here_labels, (self.approver, self.password, self.note), strict=True
        ):
            label.setBuddy(field)
            self.here_form.addRow(label, field)
        here_buttons = QHBoxLayout()
        here_buttons.addStretch(1)
        here_buttons.addWidget(self.deny_button)
        here_buttons.addWidget(self.approve_button)
        here_layout = QVBoxLayout(self.here)
        here_layout.addWidget(self.here_help)
        here_layout.addLayout(self.here_form)
        here_layout.addLayout(here_buttons)
        self.end_button = QPushButton(page, objectName="unmaskEnd")
        self.end_button.clicked.connect(self.end_now)
        self.close_button = QPushButton(page, objectName="unmaskClose")
        self.close_button.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.end_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.state)
        layout.addWidget(self.countdown)
        layout.addWidget(self.purpose_shown)
        layout.addWidget(self.here)
        layout.addStretch(1)
        layout.addLayout(buttons)
        return page

    # --- the requester's actions ---------------------------------------------------------------
    def submit(self) -> RequestUnmask | None:
        """Sends the request if the purpose says something; returns what was sent."""
        purpose = " ".join(self.purpose.toPlainText().split())
        if len(purpose) < MIN_PURPOSE:
            self._say(gettext("State the purpose: which case, and why it needs this."))
            self.purpose.setFocus()
            return None
        self._say("")
        self.identifier = new_identifier()
        command = RequestUnmask(
            kind=self.kind,
            target=self.target,
            purpose=purpose,
            minutes=self.minutes.value(),
            by=self.requester,
            identifier=self.identifier,
        )
        self.purpose_shown.setText(gettext("Purpose: {purpose}").format(purpose=purpose))
        self.pages.setCurrentWidget(self.status)
        # A stack sizes itself to its largest page: the form, done with, leaves it.
        self.pages.removeWidget(self.form)
        self.form.hide()
        self._show()
        self.context.commands(command)
        return command

    def decide_here(self, approve: bool) -> DecideUnmask | None:
        """A second person at this desk answers with their own credentials."""
        username = self.approver.text().strip()
        password = self.password.text()
        if not username or not password:
            self._say(gettext("The approver enters their own username and password."))
            return None
        if username == self.requester:
            self._say(gettext("The approver must be someone other than the requester."))
            return None
        self._say("")
        command = DecideUnmask(
            request_id=self.identifier,
            approve=approve,
            by=username,
            note=self.note.text().strip(),
            password=password,
        )
        self.password.clear()  # never kept longer than needed
        self._checking = True
        self._show()
        self.context.commands(command)
        return command

    def end_now(self) -> None:
        if self.identifier:
            self.context.commands(EndUnmask(self.identifier, by=self.requester))

    # --- hub -----------------------------------------------------------------------------------
    def _on_changed(self, batch: Sequence[UnmaskChanged]) -> None:
        mine = [c.request for c in batch if c.request.identifier == self.identifier]
        if mine and self.identifier:
            before = self.request.state if self.request is not None else None
            self.request = mine[-1]
            self._checking = False
            self._show()
            if self.request.state is not before:
                self.layout().activate()
                self.adjustSize()  # "Approve here" comes and goes: no empty space left

    def _on_refused(self, batch: Sequence[PermissionRefused]) -> None:
        for refusal in batch:
            if self.identifier and _request_of(refusal.command) == self.identifier:
                self._checking = False
                self._say(refusal.message)
                self._show()

    # --- view ----------------------------------------------------------------------------------
    def _say(self, message: str) -> None:
        self.error.setText(message)
        self.error.setVisible(bool(message))

    def _show(self) -> None:
        request = self.request
        state = request.state if request is not None else None
        if request is None:
            self.state.setText(gettext("Sending the request…"))
        elif self._checking:
            self.state.setText(gettext("Checking the approver's password…"))
        else:
            self.state.setText(state_text(request))
        pending = state is UnmaskState.PENDING
        granted = state is UnmaskState.GRANTED
        self.here.setVisible(pending)
        for widget in (self.approve_button, self.deny_button):
            widget.setEnabled(pending and not self._checking)
        self.end_button.setVisible(granted)
        self.countdown.setVisible(granted)
        if granted:
            self._tick.start()
            self._show_countdown()
        else:
            self._tick.stop()

    def _show_countdown(self) -> None:
        if self.request is None:
            return
        left = seconds_left(self.request)
        self.countdown.setText(countdown(left))
        if left <= 0:
            self._tick.stop()  # the core's expiry message follows and says so

    def retranslate(self) -> None:
        self.setWindowTitle(
            gettext("Show faces") if self.kind is UnmaskKind.FACES else gettext("Reveal author")
        )
        self.what.setText(target_text(self.kind, self.target, self.target_name))
        self.purpose_label.setText(gettext("&Purpose (required)"))
        self.purpose.setPlaceholderText(gettext("Which case, and why it needs this"))
        self.hint.setText(purpose_hint())
        self.minutes_label.setText(gettext("For how many minutes"))
        self.minutes.setToolTip(
            gettext("At most {minutes} minutes").format(minutes=self.rules.max_minutes)
        )
        self.approval.setText(
            gettext(
                "A second person with the right to approve must agree before anything is "
                "shown. Everything is recorded in the audit log."
            )
            if self.rules.approval
            else gettext("Everything is recorded in the audit log.")
        )
        self.submit_button.setText(gettext("Send request"))
        self.cancel_button.setText(gettext("Cancel"))
        self.here.setTitle(gettext("Approve here"))
        self.here_help.setText(
            gettext(
                "An approver standing at this desk can decide now with their own account. "
                "Any approver can also decide in their Privacy requests panel."
            )
        )
        texts = (gettext("Approver"), gettext("Password"), gettext("Note"))
        for label, text in zip(self.here_labels, texts, strict=True):
            label.setText(text)
        self.approver.setPlaceholderText(gettext("Username"))
        self.note.setPlaceholderText(gettext("Optional"))
        self.approve_button.setText(gettext("Approve"))
        self.deny_button.setText(gettext("Deny"))
        self.end_button.setText(gettext("End now"))
        self.close_button.setText(gettext("Close"))
        if self.pages.currentWidget() is self.status:
            self._show()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        super().closeEvent(event)

    def done(self, result: int) -> None:  # Esc ends here without a close event
        self.stop()
        super().done(result)

    def stop(self) -> None:
        """Stops listening and counting; the request itself goes on (the core owns it)."""
        self._tick.stop()
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions.clear()


def _request_of(command: object) -> str:
    """The request an unmask command is about ("" for any other command)."""
    if isinstance(command, RequestUnmask):
        return command.identifier
    if isinstance(command, (DecideUnmask, EndUnmask)):
        return command.request_id
    return ""
