"""The audit log panel: who did what, from which desk, and whether the record is intact.

Read-only, for roles with the ``audit`` permission. The newest entries come first; older ones
load a page at a time ("Load older"), so a log of millions of entries costs what is shown. A
text filter searches actor, desk, action and target in the database (not only what is loaded).
"Verify chain" checks the whole hash chain on a worker thread and lists every broken place.

New entries appear by themselves: while the panel is visible it asks for the log's head every
few seconds (one primary-key read, off the GUI thread) and loads what is newer. Looking at the
log and verifying it are themselves put on the record.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QBrush, QColor, QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.security.audit_query import AuditFilter, newest
from app.security.audit_verify import AuditReport, describe, verify
from app.security.model import AuditEntry, AuditEvent, Outcome, Permission
from i18n import format_datetime, gettext, isolate, lazy_gettext, ngettext
from widgets.facade import PanelContext
from widgets.qt_audit_jobs import AuditJobs
from widgets.qt_panel import QtPanel

log = logging.getLogger(__name__)

PAGE = 200
POLL_MS = 3000
FILTER_DELAY_MS = 300
COLUMNS = ("seq", "time", "actor", "workstation", "action", "target", "outcome")
PROBLEM_COLOUR = "#c62828"


@dataclass(frozen=True, slots=True)
class _Page:
    """One answer of the page job: ``mode`` "reset" (replaces), "older" (appended below) or
    "newer" (put on top); ``head`` the log's last number when it was read."""

    mode: str
    entries: list[AuditEntry]
    head: int


def _when(moment) -> str:  # type: ignore[no-untyped-def]
    return format_datetime(moment.astimezone(), "medium")


def _outcome_name(outcome: Outcome) -> str:
    names = {
        Outcome.OK: gettext("OK"),
        Outcome.REFUSED: gettext("Refused"),
        Outcome.FAILED: gettext("Failed"),
    }
    return names.get(outcome, outcome.value)


class QtAuditPanel(QtPanel):
    ID = "audit"
    TITLE = lazy_gettext("Audit log")
    DEFAULT_AREA = Qt.DockWidgetArea.BottomDockWidgetArea

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.audit = context.audit
        self.jobs = AuditJobs(self)
        self.filter = QLineEdit(objectName="auditFilter", clearButtonEnabled=True)
        self.verify_button = QPushButton(objectName="auditVerify")
        self.table = QTableWidget(0, len(COLUMNS), objectName="auditTable")
        self.older_button = QPushButton(objectName="auditOlder", enabled=False)
        self.status = QLabel(objectName="auditStatus")
        self.verdict = QLabel(objectName="auditVerdict", wordWrap=True, visible=False)
        self.verdict.setTextFormat(Qt.TextFormat.PlainText)
        self.problems = QListWidget(objectName="auditProblems", visible=False)
        self.notice = QLabel(objectName="auditNotice", wordWrap=True, visible=False)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self._entries: list[AuditEntry] = []  # newest first
        self._seen = 0  # the head when the log was last read: newer ones are loaded on top
        self._more = False  # whether older entries may remain
        self._pending: str | None = None  # a page load asked for while one runs
        self._report: AuditReport | None = None
        self._verify_error: str | None = None
        self._viewed = False
        self._poll = QTimer(self, interval=POLL_MS)
        self._poll.timeout.connect(self._poll_head)
        self._debounce = QTimer(self, singleShot=True, interval=FILTER_DELAY_MS)
        self._debounce.timeout.connect(self.reload)
        self._layout()
        self._connect()
        self.retranslate()
        if self.available:
            self.reload()
        else:
            for widget in (self.filter, self.verify_button, self.table, self.older_button):
                widget.setEnabled(False)
            self.notice.setVisible(True)

    @property
    def available(self) -> bool:
        return self.audit is not None and self.context.permits(Permission.AUDIT)

    def _layout(self) -> None:
        table = self.table
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setAlternatingRowColors(True)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS.index("target"), QHeaderView.ResizeMode.Stretch)
        # Room for a few problems; a long list scrolls instead of pushing the table away.
        self.problems.setMaximumHeight(self.fontMetrics().lineSpacing() * 7)
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.verify_button)
        bottom = QHBoxLayout()
        bottom.addWidget(self.status, 1)
        bottom.addWidget(self.older_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.notice)
        layout.addLayout(top)
        layout.addWidget(self.verdict)
        layout.addWidget(self.problems)
        layout.addWidget(table, 1)
        layout.addLayout(bottom)

    def _connect(self) -> None:
        self.filter.textChanged.connect(lambda _text: self._debounce.start())
        self.verify_button.clicked.connect(self.verify_chain)
        self.older_button.clicked.connect(self.load_older)
        self.jobs.sig_done.connect(self._on_done)
        self.jobs.sig_failed.connect(self._on_failed)
        self.jobs.sig_idle.connect(self._on_idle)

    # --- reading --------------------------------------------------------------------------

    def _where(self) -> AuditFilter:
        return AuditFilter(text=self.filter.text().strip())

    def reload(self) -> None:
        """Reads the newest page again for the current filter (what was loaded is replaced)."""
        self.jobs.forget("page")  # an answer for the previous filter is not wanted
        self._load("reset")

    def load_older(self) -> None:
        self._load("older")

    def _load(self, mode: str) -> None:
        if not self.available:
            return
        audit, where = self.audit, self._where()
        assert audit is not None
        before = self._entries[-1].seq if mode == "older" and self._entries else None
        after = self._seen if mode == "newer" else None

        def job() -> _Page:
            head = audit.head()[0]
            return _Page(mode, newest(audit.store, PAGE, before, where, after), head)

        if self.jobs.run("page", job):
            self._pending = None
            self.status.setText(gettext("Loading…"))
        elif self._pending != "reset":  # a reset covers anything else asked meanwhile
            self._pending = mode

    def _poll_head(self) -> None:
        if self.available and not self.jobs.busy("head"):
            audit = self.audit
            assert audit is not None
            self.jobs.run("head", lambda: audit.head()[0])

    def _on_done(self, kind: str, result: object) -> None:
        if kind == "page" and isinstance(result, _Page):
            self._take_page(result)
        elif kind == "head" and isinstance(result, int):
            if result > self._seen and not self.jobs.busy("page"):
                self._load("newer")
        elif kind == "verify" and isinstance(result, AuditReport):
            self._report, self._verify_error = result, None
            self._show_verdict()
            self._record_verification(result)

    def _on_failed(self, kind: str, reason: str) -> None:
        if kind == "verify":
            self._report, self._verify_error = None, reason
            self._show_verdict()
        elif kind == "page":
            self.status.setText(
                gettext("The audit log could not be read: {reason}").format(reason=reason)
            )

    def _on_idle(self, kind: str) -> None:
        if kind == "page" and self._pending is not None:
            self._load(self._pending)
        if kind == "verify":
            self.verify_button.setEnabled(self.available)
            self._retranslate_verify_button()

    def _take_page(self, page: _Page) -> None:
        if page.mode == "reset":
            self._entries = list(page.entries)
            self._more = len(page.entries) == PAGE
            self._record_view()
        elif page.mode == "older":
            self._entries.extend(page.entries)
            self._more = len(page.entries) == PAGE
        elif len(page.entries) == PAGE:  # more arrived than a page: start again from the top
            self._seen = page.head
            self.reload()
            return
        else:
            self._entries[:0] = page.entries
        if page.mode != "older":  # an older page says nothing about what is new
            newest_seq = self._entries[0].seq if self._entries else 0
            self._seen = max(page.head, newest_seq)
        self._fill()

    def _fill(self) -> None:
        table = self.table
        table.setUpdatesEnabled(False)
        table.setRowCount(len(self._entries))
        for row, entry in enumerate(self._entries):
            values = (
                str(entry.seq),
                _when(entry.time),
                entry.actor,
                entry.workstation,
                entry.action,
                entry.target,
                _outcome_name(entry.outcome),
            )
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                if entry.outcome is not Outcome.OK:
                    item.setForeground(QBrush(QColor(PROBLEM_COLOUR)))
                table.setItem(row, column, item)
        table.setUpdatesEnabled(True)
        self.older_button.setEnabled(self._more)
        self._show_count()

    def _show_count(self) -> None:
        self.status.setText(
            ngettext("{count} entry shown", "{count} entries shown", len(self._entries)).format(
                count=len(self._entries)
            )
        )

    # --- verifying ------------------------------------------------------------------------

    def verify_chain(self) -> None:
        if not self.available:
            return
        store, stopping = self.audit.store, self.jobs.stopping  # type: ignore[union-attr]
        if self.jobs.run("verify", lambda: verify(store, stopping=stopping)):
            self.verify_button.setEnabled(False)
            self.verify_button.setText(gettext("Verifying…"))

    def _show_verdict(self) -> None:
        self.problems.clear()
        report = self._report
        if report is None and self._verify_error is None:
            self.verdict.setVisible(False)
            self.problems.setVisible(False)
            return
        self.verdict.setVisible(True)
        if report is None:
            self.verdict.setText(
                gettext("The check could not run: {reason}").format(reason=self._verify_error)
            )
            self.verdict.setStyleSheet(f"color: {PROBLEM_COLOUR};")
            self.problems.setVisible(False)
            return
        if report.ok:
            self.verdict.setText(
                ngettext(
                    "Audit log intact: {count} entry checked",
                    "Audit log intact: {count} entries checked",
                    report.checked,
                ).format(count=report.checked)
            )
            self.verdict.setStyleSheet("")
            self.problems.setVisible(False)
            return
        total = len(report.problems) + report.more_problems
        self.verdict.setText(
            ngettext(
                "Audit log BROKEN: {problems} problem in {count} entries checked",
                "Audit log BROKEN: {problems} problems in {count} entries checked",
                total,
            ).format(problems=total, count=report.checked)
        )
        self.verdict.setStyleSheet(f"color: {PROBLEM_COLOUR}; font-weight: bold;")
        for problem in report.problems:
            self.problems.addItem(describe(problem, lambda t: isolate(_when(t))))
        self.problems.setVisible(True)

    # --- on the record --------------------------------------------------------------------

    def _actor(self) -> str:
        return self.context.operator or "unknown"

    def _record_view(self) -> None:
        """The first look at the log in this window is recorded, not every page or refresh."""
        if self._viewed or self.audit is None:
            return
        self._viewed = True
        self.audit.record(AuditEvent(self._actor(), "audit.show", detail={"where": "panel"}))

    def _record_verification(self, report: AuditReport) -> None:
        if self.audit is None:
            return
        self.audit.record(
            AuditEvent(
                self._actor(),
                "audit.verify",
                outcome=Outcome.OK if report.ok else Outcome.FAILED,
                detail={
                    "entries": report.checked,
                    "problems": len(report.problems) + report.more_problems,
                },
            )
        )

    # --- panel life -----------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self.available:
            self._poll.start()
            self._poll_head()

    def hideEvent(self, event: QHideEvent) -> None:
        self._poll.stop()
        super().hideEvent(event)

    def stop(self) -> None:
        self._poll.stop()
        self._debounce.stop()
        self.jobs.stop()

    def retranslate(self) -> None:
        self.filter.setPlaceholderText(gettext("Filter by actor, desk, action or target"))
        self.older_button.setText(gettext("Load older"))
        self._retranslate_verify_button()
        self.table.setHorizontalHeaderLabels(
            [
                gettext("#"),
                gettext("Time"),
                gettext("Actor"),
                gettext("Workstation"),
                gettext("Action"),
                gettext("Target"),
                gettext("Outcome"),
            ]
        )
        if self.audit is None:
            self.notice.setText(gettext("This console has no audit log."))
        else:
            self.notice.setText(gettext("Your role may not read the audit log."))
        if self._entries:
            self._fill()
        self._show_verdict()

    def _retranslate_verify_button(self) -> None:
        if self.jobs.busy("verify"):
            self.verify_button.setText(gettext("Verifying…"))
        else:
            self.verify_button.setText(gettext("Verify chain"))
