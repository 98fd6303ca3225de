"""The live score in the trainer's panel: totals and one row per expected response.

It shows what the score document holds (``app.exercise``'s ``to_document``): the totals, and
for each expectation its inject, headline, status, points and the trainee's times in scenario
seconds. A field the document lacks is left empty rather than guessed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.exercise.score import status_name
from i18n import N_, gettext
from i18n.formatting import format_decimal, isolate

BAD = frozenset({"missed", "wrongly_dismissed", "wrongly_escalated"})
BAD_COLOUR = QColor("#ef5350")  # readable on the console's dark background
TABLE_MIN_HEIGHT = 120  # the header and about four rows
COLUMNS = (
    N_("Inject"),
    N_("Status"),
    N_("Points"),
    N_("Acknowledged"),
    N_("Escalated"),
    N_("Alert"),
)
STATUS_COLUMN, ALERT_COLUMN = 1, 5


def _number(value: Any) -> str:
    return format_decimal(float(value), "#,##0.#") if isinstance(value, int | float) else ""


def _seconds(value: Any) -> str:
    if not isinstance(value, int | float):
        return ""
    return gettext("{seconds} s").format(seconds=format_decimal(float(value), "#,##0"))


class QtExerciseScore(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document: dict[str, Any] | None = None
        self.summary = QLabel(self)
        self.summary.setObjectName("exerciseScoreSummary")
        self.summary.setWordWrap(True)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setObjectName("exerciseScoreTable")
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setMinimumHeight(TABLE_MIN_HEIGHT)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)  # the headline takes what room is left
        self.table.setWordWrap(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.table, 1)
        self.retranslate()

    def show_score(self, document: dict[str, Any] | None) -> None:
        if document == self.document:
            return
        self.document = document
        self._fill()

    def retranslate(self) -> None:
        self.table.setHorizontalHeaderLabels([gettext(c) for c in COLUMNS])
        self._fill()

    def _fill(self) -> None:
        document = self.document
        if not document:
            self.summary.setText(gettext("No score yet."))
            self.table.setRowCount(0)
            return
        self.summary.setText(self._totals(document))
        items = [item for item in document.get("items", []) if isinstance(item, dict)]
        self.table.setRowCount(len(items))
        for row, item in enumerate(items):
            self._row(row, item)

    def _totals(self, document: dict[str, Any]) -> str:
        text = gettext("Score: {points} of {max_points} points ({percent} %)").format(
            points=isolate(_number(document.get("points"))),
            max_points=isolate(_number(document.get("max_points"))),
            percent=isolate(_number(document.get("percent"))),
        )
        counts = document.get("counts")
        if isinstance(counts, dict) and counts:
            parts = [f"{status_name(code)}: {isolate(str(n))}" for code, n in counts.items()]
            text += "\n" + ", ".join(parts)
        if document.get("final"):
            text += "\n" + gettext("Final score: the run has ended.")
        return text

    def _row(self, row: int, item: dict[str, Any]) -> None:
        status = str(item.get("status", ""))
        points = gettext("{points} of {max_points}").format(
            points=isolate(_number(item.get("points"))),
            max_points=isolate(_number(item.get("max_points"))),
        )
        headline = str(item.get("headline", ""))
        cells = (
            str(item.get("inject", "")),
            status_name(status),
            points,
            _seconds(item.get("acknowledged_s")),
            _seconds(item.get("escalated_s")),
            headline,
        )
        for column, text in enumerate(cells):
            cell = QTableWidgetItem(text)
            if column == STATUS_COLUMN and status in BAD:
                cell.setForeground(BAD_COLOUR)
            if headline and column in (0, ALERT_COLUMN):
                cell.setToolTip(headline)
            self.table.setItem(row, column, cell)
