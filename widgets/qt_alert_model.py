"""The alert queue as a table model: no widget per row, a million rows stay responsive.

Rows live in the Qt-free ``AlertTable`` (columnar, numpy sort and filter); this model maps view
rows through the current order. Incoming alerts are applied at once but the order is refreshed
at most every ``REFRESH_MS``, so a burst of thousands costs one re-sort, not thousands.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, QTimer
from PySide6.QtGui import QColor, QFont, QPixmap

from app.alerts.lifecycle import CLOSED_STATES, state_label
from app.alerts.queue_table import AlertTable, QueueFilter
from app.model import Alert, AlertState, Priority, utc_now
from app.terminology import Terminology
from i18n import format_datetime, format_decimal, format_time, gettext, lazy_gettext
from widgets.qt_symbols import SymbolRenderer

REFRESH_MS = 100
ModelIndex = QModelIndex | QPersistentModelIndex

COLUMNS = (
    ("priority", lazy_gettext("Priority")),
    ("time", lazy_gettext("Time")),
    ("event", lazy_gettext("Event")),
    ("headline", lazy_gettext("Headline")),
    ("source", lazy_gettext("Source")),
    ("state", lazy_gettext("State")),
    ("count", lazy_gettext("Count")),
    ("confidence", lazy_gettext("Confidence")),
)
COLUMN = {key: number for number, (key, _title) in enumerate(COLUMNS)}
ALERT_ROLE = Qt.ItemDataRole.UserRole + 1
SYMBOL_PIXELS = 20


class AlertQueueModel(QAbstractTableModel):
    def __init__(
        self, terminology: Terminology, parent: Any = None, symbols: SymbolRenderer | None = None
    ) -> None:
        super().__init__(parent)
        self.terms = terminology
        self.symbols = symbols
        self.table = AlertTable()
        # Review mode: the alerts as they stood at ``review_time``, shown instead of ``table``,
        # which keeps taking live alerts meanwhile (nothing is lost while reviewing).
        self.review: AlertTable | None = None
        self.review_time: datetime | None = None
        self.filter = QueueFilter()
        self._order = np.empty(0, dtype=np.int64)
        self._group_sizes: np.ndarray | None = None
        self.grouped = False
        self._chips: dict[Priority, QPixmap] = {}
        self._refresh = QTimer(self, singleShot=True, interval=REFRESH_MS)
        self._refresh.timeout.connect(self.refresh)

    # --- feeding -------------------------------------------------------------------------
    def apply(self, alerts: Sequence[Alert]) -> list[Alert]:
        """Takes new and changed alerts; returns the ones never seen before."""
        fresh = [a for a in alerts if self.table.row_of(a.identifier) is None]
        self.table.upsert(alerts)
        if self.review is None and not self._refresh.isActive():
            self._refresh.start()
        return fresh

    def show_review(self, alerts: Sequence[Alert], moment: datetime) -> None:
        """Shows ``alerts`` (their state at ``moment``) until ``show_live``."""
        review = AlertTable()
        review.upsert(alerts)
        self._reset(switch=(review, moment))

    def show_live(self) -> None:
        if self.review is not None:
            self._reset(switch=(None, None))

    def shown(self) -> AlertTable:
        """The rows on screen: the reviewed moment's, or the live ones."""
        return self.table if self.review is None else self.review

    def set_filter(self, wanted: QueueFilter) -> None:
        self.filter = wanted
        self.refresh()

    def set_grouped(self, grouped: bool) -> None:
        if grouped != self.grouped:
            self.grouped = grouped
            self.refresh()

    def refresh(self, now: datetime | None = None) -> None:
        self._reset(now)

    def _reset(
        self,
        now: datetime | None = None,
        switch: tuple[AlertTable | None, datetime | None] | None = None,
    ) -> None:
        """Re-orders the rows; ``switch`` changes what is shown (review or live) inside the
        same reset, so no view ever reads the new rows through the old order."""
        self._refresh.stop()
        self.beginResetModel()
        if switch is not None:
            self.review, self.review_time = switch
        rows = self.shown()
        order = rows.view(self.filter, now or self.review_time or utc_now())
        self._group_sizes = None
        if self.grouped:
            order, self._group_sizes = rows.grouped(order)
        self._order = order
        self.endResetModel()

    def group_size(self, row: int) -> int:
        return 1 if self._group_sizes is None else int(self._group_sizes[row])

    def stop(self) -> None:
        self._refresh.stop()

    # --- lookup --------------------------------------------------------------------------
    def alert_at(self, row: int) -> Alert:
        return self.shown().alerts[int(self._order[row])]

    def row_of(self, identifier: str) -> int | None:
        table_row = self.shown().row_of(identifier)
        if table_row is None:
            return None
        hits = np.flatnonzero(self._order == table_row)
        return int(hits[0]) if len(hits) else None

    # --- Qt model ------------------------------------------------------------------------
    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return str(COLUMNS[section][1])
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        alert = self.alert_at(index.row())
        column = COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "count" and self._group_sizes is not None:
                return f"×{format_decimal(self.group_size(index.row()))}"
            return self._text(alert, column)
        if role == ALERT_ROLE:
            return alert
        if role == Qt.ItemDataRole.DecorationRole and column == "priority":
            return self._chip(alert.priority)
        if role == Qt.ItemDataRole.DecorationRole and column == "event" and self.symbols:
            # The map's symbol for the event, so queue and map read alike.
            sidc = self.terms.event_type(alert.event_type).sidc_for(alert.status)
            return self.symbols.icon(sidc, SYMBOL_PIXELS)
        if role == Qt.ItemDataRole.ToolTipRole:
            return (
                alert.headline
                if not alert.description
                else (f"{alert.headline}\n{alert.description}")
            )
        if role == Qt.ItemDataRole.ForegroundRole and alert.state in CLOSED_STATES:
            return QColor("#8a939c")
        if role == Qt.ItemDataRole.FontRole and alert.state is AlertState.NEW:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("count", "confidence"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, alert: Alert, column: str) -> str:
        if column == "priority":
            return f"P{int(alert.priority)}"
        if column == "time":
            return _when(alert.sent)
        if column == "event":
            return self.terms.event_type(alert.event_type).name
        if column == "headline":
            return alert.headline
        if column == "source":
            return alert.source_tool
        if column == "state":
            return _state_text(alert, self.review_time)
        if column == "count":
            return format_decimal(alert.occurrences)
        return format_decimal(round(alert.confidence, 2), "0.00")

    def _chip(self, priority: Priority) -> QPixmap:
        if priority not in self._chips:
            chip = QPixmap(12, 12)
            chip.fill(QColor(self.terms.priority(priority).colour))
            self._chips[priority] = chip
        return self._chips[priority]

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self.rowCount():
            self.dataChanged.emit(
                self.index(0, 0), self.index(self.rowCount() - 1, len(COLUMNS) - 1)
            )


def _state_text(alert: Alert, now: datetime | None = None) -> str:
    label = state_label(alert.state)
    label = label[:1].upper() + label[1:]
    if alert.shelved_until and alert.shelved_until > (now or utc_now()):
        return gettext("{state}, shelved").format(state=label)
    if alert.assignee:
        return gettext("{state}, {operator}").format(state=label, operator=alert.assignee)
    return label


def _when(sent: datetime) -> str:
    """Today's alerts by time alone; older ones with their date."""
    local = sent.astimezone()
    if local.date() == datetime.now(local.tzinfo).date():
        return format_time(local, "medium")
    return format_datetime(local, "short")
