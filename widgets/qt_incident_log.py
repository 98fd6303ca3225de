"""An incident's log: time, who, what, newest first (the latest is what a commander asks
about, and it sits right under the note field); a note field to add to it.

Automatic lines are rebuilt in the reader's language (``log_text.describe``); notes are shown
as typed. Every value is shown as text (a QTreeWidget never interprets HTML).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.incidents.log_text import describe
from app.model import IncidentEntry
from app.terminology import Terminology
from i18n import format_datetime, format_time, gettext

AUTOMATIC_COLOUR = "#aab4be"  # what the console wrote, a step quieter than people's notes


class QtIncidentLog(QWidget):
    sig_note = Signal(str)

    def __init__(self, terminology: Terminology, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.terms = terminology
        self.entries: tuple[IncidentEntry, ...] = ()
        self.note = QLineEdit(objectName="incidentNote", clearButtonEnabled=True)
        self.add_note = QPushButton(objectName="incidentAddNote")
        self.tree = QTreeWidget(objectName="incidentLog")
        self.tree.setColumnCount(3)
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.note, 1)
        bar.addWidget(self.add_note)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)
        self.note.returnPressed.connect(self._on_add)
        self.add_note.clicked.connect(self._on_add)
        self.retranslate()

    def show_entries(self, entries: Sequence[IncidentEntry]) -> None:
        self.entries = tuple(entries)
        scroll = self.tree.verticalScrollBar().value()
        self.tree.clear()
        for entry in reversed(self.entries):
            text = describe(entry, self.terms)
            item = QTreeWidgetItem([_when(entry.time), entry.by, text])
            item.setData(0, Qt.ItemDataRole.UserRole, entry.identifier)
            item.setToolTip(2, text)
            if entry.kind != "note":
                item.setForeground(2, QColor(AUTOMATIC_COLOUR))
            self.tree.addTopLevelItem(item)
        self.tree.verticalScrollBar().setValue(scroll)

    def lines(self) -> list[tuple[str, str]]:
        """(who, what) of each shown line, top to bottom: for tests and screen readers."""
        root = self.tree.invisibleRootItem()
        return [(root.child(n).text(1), root.child(n).text(2)) for n in range(root.childCount())]

    def _on_add(self) -> None:
        text = self.note.text().strip()
        if text:
            self.sig_note.emit(text)
            self.note.clear()

    def retranslate(self) -> None:
        self.tree.setHeaderLabels([gettext("Time"), gettext("Who"), gettext("What")])
        self.note.setPlaceholderText(gettext("Add a note to the log…"))
        self.add_note.setText(gettext("Add note"))
        self.show_entries(self.entries)


def _when(value: datetime) -> str:
    local = value.astimezone()
    if local.date() == datetime.now(local.tzinfo).date():
        return format_time(local, "medium")
    return format_datetime(local, "short")
