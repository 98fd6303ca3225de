"""The Sources dialog: every data source's state, counts and last error in one table, for the
operator who needs more than the status bar's lights."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QDialog,
    QHeaderView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.messages import SourceHealth
from app.terminology import Terminology
from i18n import format_datetime, format_decimal, gettext, lazy_gettext

COLUMNS = (
    lazy_gettext("Source"),
    lazy_gettext("State"),
    lazy_gettext("Records"),
    lazy_gettext("Rejected"),
    lazy_gettext("Last update"),
    lazy_gettext("Last error"),
)


class QtSourcesDialog(QDialog):
    def __init__(
        self,
        terminology: Terminology,
        health: Callable[[], list[SourceHealth]],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("sourcesDialog")
        self.terms = terminology
        self.health = health
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionResizeMode(
            len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch
        )
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        self.resize(900, 320)
        self.retranslate()

    def refresh(self) -> None:
        states = sorted(self.health(), key=lambda h: h.title.casefold())
        self.table.setRowCount(len(states))
        for row, health in enumerate(states):
            style = self.terms.health(health.state.value)
            cells = (
                health.title,
                f"{style.glyph} {style.name}",
                format_decimal(health.records_in),
                format_decimal(health.records_rejected),
                format_datetime(health.time.astimezone()),
                health.last_error,
            )
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if column == 1:
                    item.setForeground(Qt.GlobalColor.white)
                    item.setBackground(QColor(style.colour))
                self.table.setItem(row, column, item)

    def retranslate(self) -> None:
        self.setWindowTitle(gettext("Sources"))
        self.table.setHorizontalHeaderLabels([str(title) for title in COLUMNS])
        self.refresh()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
