"""Review mode in the alert queue: the alerts as they stood at the reviewed moment, read-only.

While the timeline reviews a past moment, the queue shows ``ReviewState.alerts`` (each in the
triage state it had then) instead of the live list. Live alerts keep arriving into the live
list meanwhile and are never lost; "Back to live" puts the live list back as the operator left
it: same filter, same selected alert if it is still there, same scroll position. Triage is for
the present only, so in review every action is refused with a word in the queue's notice line
(the shortcuts stay bound: a key that silently did nothing would look like a broken console).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from app.model import Alert
from app.timeline.messages import ReviewState
from i18n import format_decimal, gettext, ngettext
from widgets.qt_review_banner import REVIEW_COLOUR, REVIEW_TEXT, review_moment

if TYPE_CHECKING:
    from widgets.qt_alerts import QtAlertsPanel


class QtAlertReview:
    """The queue's review state; owned by the panel, which asks ``refused()`` before acting."""

    def __init__(self, panel: QtAlertsPanel) -> None:
        self.panel = panel
        self.moment: datetime | None = None
        self._live_selected: str | None = None
        self._live_scroll = 0
        self.arrived = 0  # new live alerts while reviewing
        self._live_tip = ""  # the table's keyboard help, put back on live
        self._review_tip = ""
        self.strip = QLabel(panel, objectName="alertReview", wordWrap=True, visible=False)
        self.strip.setTextFormat(Qt.TextFormat.PlainText)
        self.strip.setStyleSheet(
            f"background:{REVIEW_COLOUR}; color:{REVIEW_TEXT}; font-weight:bold; padding:4px;"
        )
        panel.layout().insertWidget(0, self.strip)
        self.subscription = panel.context.subscribe(ReviewState, self._on_review)

    @property
    def active(self) -> bool:
        return self.moment is not None

    # --- review in and out -----------------------------------------------------------------
    def _on_review(self, batch: Sequence[ReviewState]) -> None:
        state = batch[-1]
        if state.time is None:
            self._back_to_live()
        else:
            self._show(state.time, state.alerts)

    def _show(self, moment: datetime, alerts: Sequence[Alert]) -> None:
        panel = self.panel
        if not self.active:  # entering review: remember the live queue as the operator left it
            current = panel.details.alert
            self._live_selected = None if current is None else current.identifier
            self._live_scroll = panel.table.verticalScrollBar().value()
            self.arrived = 0
        wanted = panel.details.alert.identifier if panel.details.alert else self._live_selected
        self.moment = moment
        panel.model.show_review(alerts, moment)
        self._select(wanted)
        self._set_read_only(True)

    def _back_to_live(self) -> None:
        if not self.active:
            return
        panel = self.panel
        self.moment = None
        panel.model.show_live()
        self._select(self._live_selected)
        panel.table.verticalScrollBar().setValue(self._live_scroll)
        self._set_read_only(False)
        panel.notice.clear()

    def _select(self, identifier: str | None) -> None:
        """Selects ``identifier`` in the rows now shown (or nothing) and shows that version of
        it, without telling the other panels: scrubbing must not fly the map at every step."""
        panel = self.panel
        panel._following_selection = True
        try:
            if identifier is None or not panel.select_alert(identifier):
                panel.table.selectionModel().clearSelection()
                panel.details.show_alert(None)
                return
            row = panel.model.row_of(identifier)
            alert = panel.model.alert_at(row) if row is not None else None
            fusion = None if self.active or alert is None else panel._fusion_of(identifier)
            panel.details.show_alert(alert, fusion)
        finally:
            panel._following_selection = False

    def _set_read_only(self, read_only: bool) -> None:
        self.panel.details.checklist.setEnabled(not read_only)
        self.retranslate()

    # --- while reviewing -------------------------------------------------------------------
    def refused(self) -> bool:
        """True (and says why) when the queue shows the past: no action may be taken on it."""
        if not self.active:
            return False
        self.panel.notice.setText(
            gettext("Review mode: alerts cannot be changed here. Go back to live to act on them.")
        )
        return True

    def live_alerts_arrived(self, fresh: Sequence[Alert]) -> None:
        """New live alerts are kept for "Back to live"; the strip counts them meanwhile."""
        if self.active and fresh:
            self.arrived += len(fresh)
            self.retranslate()

    def retranslate(self) -> None:
        panel = self.panel
        self.strip.setVisible(self.active)
        if self.moment is None:
            panel.details.checklist.setToolTip("")
            if self._review_tip and panel.table.toolTip() == self._review_tip:
                panel.table.setToolTip(self._live_tip)
            self._review_tip = ""
            return
        text = gettext("Alerts as they stood at {time}. Read-only.").format(
            time=review_moment(self.moment)
        )
        if self.arrived:
            text += " " + ngettext(
                "{count} new alert has arrived since; go back to live to see it.",
                "{count} new alerts have arrived since; go back to live to see them.",
                self.arrived,
            ).format(count=format_decimal(self.arrived))
        self.strip.setText(text)
        read_only = gettext("Review mode: go back to live to act on alerts.")
        if panel.table.toolTip() != self._review_tip:  # the panel set its help (again)
            self._live_tip = panel.table.toolTip()
        self._review_tip = read_only
        panel.table.setToolTip(read_only)
        panel.details.checklist.setToolTip(read_only)
