"""The selected alert in full: what, where, why this priority, evidence, the fusion that
involves it, and the SOP checklist for its event type.

Ticks on the checklist are stored (``MarkSopStep`` → an ``sop-step`` alert action) and read
back off the GUI thread when an alert is shown (``SopProgressQuery`` → ``SopProgress``), so
they survive a restart and count in an exercise's score. An alert that is part of a fusion
candidate offers to open an incident from the candidate's members.

Every value that came from a tool is escaped before it is shown: a headline with HTML or
script in it is displayed as the text it is, never interpreted.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.alerts.fusion import FusionCandidate, explain
from app.alerts.priority import PriorityRules
from app.alerts.sop import SopLibrary
from app.incidents.messages import MarkSopStep, SopProgress, SopProgressQuery
from app.model import Alert
from app.terminology import Terminology
from i18n import format_datetime, format_decimal, gettext
from widgets.facade import PanelContext


class QtAlertDetails(QWidget):
    sig_create_incident = Signal(object)  # the FusionCandidate to open an incident from

    def __init__(
        self,
        terminology: Terminology,
        parent: QWidget | None = None,
        context: PanelContext | None = None,
    ) -> None:
        """With ``context``, checklist ticks are stored and read back through the core."""
        super().__init__(parent)
        self.context = context
        self.terms = terminology
        self.rules = PriorityRules.load()
        self.sop = SopLibrary.load()
        self.alert: Alert | None = None
        self.fusion: FusionCandidate | None = None
        self.text = QTextBrowser(objectName="alertDetails", openLinks=False)
        self.sop_title = QLabel(objectName="sopTitle")
        self.checklist = QListWidget(objectName="sopChecklist")
        self._done: dict[str, set[int]] = {}  # SOP progress per alert, as the core said
        self.checklist.itemChanged.connect(self._on_step)
        self.fusion_incident = QPushButton(objectName="fusionIncident", visible=False)
        self.fusion_incident.clicked.connect(self._on_fusion_incident)
        # What the signed-in person may do here (the queue's permission gate sets them).
        self.may_tick = True
        self.may_open_incident = True
        self._subscriptions = (
            [context.subscribe(SopProgress, self._on_progress)] if context is not None else []
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text, 3)
        layout.addWidget(self.fusion_incident)
        layout.addWidget(self.sop_title)
        layout.addWidget(self.checklist, 2)
        self.show_alert(None)

    def show_alert(self, alert: Alert | None, fusion: FusionCandidate | None = None) -> None:
        shown = self.alert.identifier if self.alert is not None else None
        self.alert, self.fusion = alert, fusion
        if alert is not None and alert.identifier != shown and self.context is not None:
            self.context.commands(SopProgressQuery(alert.identifier))
        self.retranslate()

    def set_allowed(self, *, triage: bool, incidents: bool) -> None:
        """Without triage the checklist is read-only (the steps still guide); without
        incidents the fusion candidate offers no incident."""
        if (triage, incidents) != (self.may_tick, self.may_open_incident):
            self.may_tick, self.may_open_incident = triage, incidents
            self.retranslate()

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()

    def _on_progress(self, batch: Sequence[SopProgress]) -> None:
        for progress in batch:
            self._done[progress.alert_id] = set(progress.done)
        if self.alert is not None and any(p.alert_id == self.alert.identifier for p in batch):
            self.retranslate()

    def _on_fusion_incident(self) -> None:
        if self.fusion is not None:
            self.sig_create_incident.emit(self.fusion)

    def retranslate(self) -> None:
        alert = self.alert
        self.sop_title.setText(gettext("Checklist"))
        self.fusion_incident.setText(gettext("Create incident from fusion candidate…"))
        self.fusion_incident.setVisible(
            alert is not None
            and self.fusion is not None
            and self.context is not None
            and self.may_open_incident
        )
        self.checklist.blockSignals(True)
        self.checklist.clear()
        if alert is None:
            hint = gettext("Select an alert to see its details.")
            self.text.setHtml(f"<p>{escape(hint)}</p>")
            self.checklist.blockSignals(False)
            return
        self.text.setHtml(self._html(alert))
        done = self._done.get(alert.identifier, set())
        for number, step in enumerate(self.sop.steps(alert.event_type)):
            item = QListWidgetItem(step)
            if self.may_tick:
                item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            else:
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if number in done else Qt.CheckState.Unchecked)
            self.checklist.addItem(item)
        self.checklist.blockSignals(False)

    def _html(self, alert: Alert) -> str:
        kind = self.terms.event_type(alert.event_type)
        style = self.terms.priority(alert.priority)
        assessment = self.rules.assess(alert, self.terms)
        rows = [
            (gettext("Event"), f"{kind.name} ({self.terms.category_name(alert.category)})"),
            (
                gettext("Priority"),
                f"P{int(alert.priority)} {style.name}: " + ", ".join(assessment.reasons),
            ),
            (gettext("Sent"), format_datetime(alert.sent.astimezone())),
            (gettext("Source"), f"{alert.source_tool} ({alert.sender})"),
            (gettext("Confidence"), format_decimal(round(alert.confidence, 2), "0.00")),
        ]
        if alert.occurrences > 1:
            rows.append(
                (
                    gettext("Repeats"),
                    gettext("{count} times, last {when}").format(
                        count=alert.occurrences,
                        when=format_datetime((alert.last_seen or alert.sent).astimezone()),
                    ),
                )
            )
        if alert.point is not None:
            rows.append((gettext("Position"), f"{alert.point.lat:.5f}, {alert.point.lon:.5f}"))
        if alert.area is not None:
            rows.append((gettext("Area"), alert.area.description))
        if alert.state_reason:
            rows.append((gettext("Reason"), alert.state_reason))
        table = "".join(
            f"<tr><th align='left'>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in rows
        )
        parts = [
            f"<h3 style='color:{style.colour}'>{escape(alert.headline)}</h3>",
            f"<table cellspacing='4'>{table}</table>",
        ]
        if alert.description:
            parts.append(f"<p>{escape(alert.description)}</p>")
        if self.fusion is not None:
            text = explain(self.fusion.priority, self.fusion.reasons, self.terms)
            parts.append(
                f"<p><b>{escape(gettext('Fused with other tools'))}</b><br>{escape(text)}</p>"
            )
        if alert.evidence:
            items = "".join(
                f"<li>{escape(e.kind)}: {escape(e.caption or e.uri)}<br>"
                f"<small>{escape(e.uri)}</small></li>"
                for e in alert.evidence
            )
            parts.append(f"<p><b>{escape(gettext('Evidence'))}</b></p><ul>{items}</ul>")
        return "".join(parts)

    def _on_step(self, item: QListWidgetItem) -> None:
        if self.alert is None or not self.may_tick:
            return
        done = self._done.setdefault(self.alert.identifier, set())
        number = self.checklist.row(item)
        checked = item.checkState() == Qt.CheckState.Checked
        if checked:
            done.add(number)
        else:
            done.discard(number)
        if self.context is not None:
            self.context.commands(
                MarkSopStep(self.alert.identifier, number, checked, self.context.operator)
            )
