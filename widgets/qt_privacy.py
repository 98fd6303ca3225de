"""Privacy requests: the unmask requests waiting for a second person, and the grants in force.

An approver (``approve-unmask``) sees every workstation's requests as they arrive
(``UnmaskChanged``, pushed through the shared database) and answers them with a note; nobody can
approve their own. Everyone else who has the panel sees only their own requests, to follow
them and end a grant early. Grants count down to their expiry; a request leaves the list when it
is denied, expires or is ended.

Requests made before the panel opened are not listed until they change: the hub carries
changes, not history (the core may publish the open requests at start to fill it).
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.security.model import (
    DecideUnmask,
    EndUnmask,
    Permission,
    UnmaskChanged,
    UnmaskRequest,
    UnmaskState,
)
from app.video.messages import VideoCameras
from i18n import format_time, gettext, isolate, lazy_gettext
from widgets.facade import PanelContext
from widgets.permission_gate import PermissionGate
from widgets.qt_panel import QtPanel
from widgets.unmask_texts import countdown, seconds_left, state_text, target_text

TICK_MS = 1000
OPEN = (UnmaskState.PENDING, UnmaskState.GRANTED)
ID_ROLE = Qt.ItemDataRole.UserRole + 1


class QtPrivacyPanel(QtPanel):
    ID = "privacy"
    TITLE = lazy_gettext("Privacy requests")
    DEFAULT_AREA = Qt.DockWidgetArea.RightDockWidgetArea
    TABIFY_WITH = "alerts"

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.requests: dict[str, UnmaskRequest] = {}  # the open ones, by identifier
        self.notice = QLabel(self, objectName="privacyNotice", wordWrap=True, visible=False)
        self.tree = QTreeWidget(self, objectName="privacyRequests")
        self.tree.setColumnCount(4)
        self.tree.setRootIsDecorated(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setWordWrap(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        for column in (0, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.camera_names: dict[str, str] = {}  # to say "Gate 3", not "cam-2"
        self.note = QLineEdit(self, objectName="privacyNote")
        self.approve_button = QPushButton(self, objectName="privacyApprove")
        self.deny_button = QPushButton(self, objectName="privacyDeny")
        self.end_button = QPushButton(self, objectName="privacyEnd")
        self.empty = QLabel(self, objectName="privacyEmpty", wordWrap=True)
        self.gate = PermissionGate(
            context, self, refused=self._say, commands=(DecideUnmask, EndUnmask)
        )
        self.approve_bar = QWidget(self)
        bar = QHBoxLayout(self.approve_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.note, 1)
        bar.addWidget(self.deny_button)
        bar.addWidget(self.approve_button)
        self.gate.guard(self.approve_bar, Permission.APPROVE_UNMASK)
        ending = QHBoxLayout()
        ending.addStretch(1)
        ending.addWidget(self.end_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.notice)
        layout.addWidget(self.empty)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.approve_bar)
        layout.addLayout(ending)
        self.approve_button.clicked.connect(lambda: self.decide(True))
        self.deny_button.clicked.connect(lambda: self.decide(False))
        self.end_button.clicked.connect(self.end_selected)
        self.tree.itemSelectionChanged.connect(self._update_buttons)
        self._tick = QTimer(self, interval=TICK_MS)
        self._tick.timeout.connect(self._show_countdowns)
        self.gate.on_change(self.retranslate)
        self._subscriptions = [
            context.subscribe(UnmaskChanged, self._on_changed),
            context.subscribe(VideoCameras, self._on_cameras),
        ]
        self.retranslate()

    # --- what is shown ---------------------------------------------------------------------
    def approver(self) -> bool:
        return self.gate.allows(Permission.APPROVE_UNMASK)

    def shown(self) -> list[UnmaskRequest]:
        """Pending first (oldest first: they have waited longest), then grants by expiry."""
        user = self.gate.user()
        mine = [r for r in self.requests.values() if self.approver() or r.requested_by == user]
        pending = sorted(
            (r for r in mine if r.state is UnmaskState.PENDING), key=lambda r: r.requested
        )
        granted = sorted(
            (r for r in mine if r.state is UnmaskState.GRANTED),
            key=lambda r: r.expires or r.requested,
        )
        return pending + granted

    def selected(self) -> UnmaskRequest | None:
        items = self.tree.selectedItems()
        return self.requests.get(items[0].data(0, ID_ROLE)) if items else None

    def select(self, identifier: str) -> bool:
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            if item.data(0, ID_ROLE) == identifier:
                self.tree.setCurrentItem(item)
                return True
        return False

    # --- actions -----------------------------------------------------------------------------
    def decide(self, approve: bool) -> DecideUnmask | None:
        request = self.selected()
        if request is None or request.state is not UnmaskState.PENDING:
            return None
        if request.requested_by == self.gate.user():
            self._say(gettext("You cannot approve your own request: another approver must."))
            return None
        command = DecideUnmask(
            request.identifier, approve, by=self.gate.user(), note=self.note.text().strip()
        )
        self._say("")
        self.note.clear()
        self.context.commands(command)
        return command

    def end_selected(self) -> EndUnmask | None:
        request = self.selected()
        if request is None or request.state is not UnmaskState.GRANTED:
            return None
        command = EndUnmask(request.identifier, by=self.gate.user())
        self.context.commands(command)
        return command

    # --- hub ---------------------------------------------------------------------------------
    def _on_changed(self, batch: Sequence[UnmaskChanged]) -> None:
        for changed in batch:
            request = changed.request
            known = self.requests.get(request.identifier)
            if known is not None and known.version > request.version:
                continue  # an older copy arriving late through the database
            if request.state in OPEN:
                self.requests[request.identifier] = request
            else:
                self.requests.pop(request.identifier, None)
        self._fill()

    def _on_cameras(self, batch: Sequence[VideoCameras]) -> None:
        self.camera_names = {c.camera_id: c.name for c in batch[-1].cameras}
        self._fill()

    # --- view --------------------------------------------------------------------------------
    def _say(self, message: str) -> None:
        self.notice.setText(message)
        self.notice.setVisible(bool(message))

    def _fill(self) -> None:
        kept = self.selected()
        self.tree.clear()
        for request in self.shown():
            item = QTreeWidgetItem(self.tree, self._columns(request))
            item.setData(0, ID_ROLE, request.identifier)
            item.setToolTip(1, request.purpose)
            if request.state is UnmaskState.GRANTED:
                item.setForeground(3, Qt.GlobalColor.red)
        if kept is not None:
            self.select(kept.identifier)
        granted = any(r.state is UnmaskState.GRANTED for r in self.requests.values())
        if granted:
            self._tick.start()
        else:
            self._tick.stop()
        self.empty.setVisible(self.tree.topLevelItemCount() == 0)
        self.tree.setVisible(self.tree.topLevelItemCount() > 0)
        self._update_buttons()

    def _columns(self, request: UnmaskRequest) -> list[str]:
        what = target_text(request.kind, request.target, self.camera_names.get(request.target, ""))
        who = gettext("{person} at {time}").format(
            person=isolate(request.requested_by),
            time=isolate(format_time(request.requested.astimezone(), "short")),
        )
        if request.state is UnmaskState.GRANTED:
            state = gettext("{state} · {left} left").format(
                state=state_text(request), left=countdown(seconds_left(request))
            )
        else:
            state = gettext("Waiting for approval · {minutes} min asked").format(
                minutes=request.minutes
            )
        return [what, request.purpose, who, state]

    def _show_countdowns(self) -> None:
        for row in range(self.tree.topLevelItemCount()):
            item = self.tree.topLevelItem(row)
            request = self.requests.get(item.data(0, ID_ROLE))
            if request is not None and request.state is UnmaskState.GRANTED:
                item.setText(3, self._columns(request)[3])

    def _update_buttons(self) -> None:
        request = self.selected()
        pending = request is not None and request.state is UnmaskState.PENDING
        own = request is not None and request.requested_by == self.gate.user()
        for button in (self.approve_button, self.deny_button):
            button.setEnabled(pending and not own)
        self.approve_button.setToolTip(
            gettext("You cannot approve your own request: another approver must.") if own else ""
        )
        granted = request is not None and request.state is UnmaskState.GRANTED
        self.end_button.setVisible(granted and (own or self.approver()))

    def retranslate(self) -> None:
        self.tree.setHeaderLabels(
            [gettext("What"), gettext("Purpose"), gettext("Requested by"), gettext("State")]
        )
        self.note.setPlaceholderText(gettext("Note for the requester (optional)"))
        self.approve_button.setText(gettext("Approve"))
        self.deny_button.setText(gettext("Deny"))
        self.end_button.setText(gettext("End"))
        self.empty.setText(
            gettext("No request is waiting and nothing is unmasked.")
            if self.approver()
            else gettext("You have no open unmask request.")
        )
        self._fill()

    def stop(self) -> None:
        self._tick.stop()
        self.gate.stop()
        for subscription in self._subscriptions:
            subscription.cancel()
