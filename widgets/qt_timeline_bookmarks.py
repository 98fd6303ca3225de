"""Bookmarks on the timeline: the small dialog that asks for a note, and the list beside the lanes.

An empty note is allowed: in the middle of an incident, marking the moment matters more than
describing it, and the flag still records when and who. The note can be read later in the list.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.model import Bookmark
from i18n import format_datetime, gettext, isolate

NOTE_MAX = 500
ID_ROLE = Qt.ItemDataRole.UserRole
TIME_ROLE = Qt.ItemDataRole.UserRole + 1


class QtBookmarkDialog(QDialog):
    """Asks for the note of a bookmark at ``moment``; OK is always allowed (see the module)."""

    def __init__(self, moment: datetime, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineBookmarkDialog")
        self.moment = moment
        self.setWindowTitle(gettext("Add bookmark"))
        self.where = QLabel(self)
        self.where.setText(
            gettext("Bookmark at {time}").format(
                time=isolate(format_datetime(moment.astimezone(), "medium"))
            )
        )
        self.note = QLineEdit(self)
        self.note.setObjectName("bookmarkNote")
        self.note.setMaxLength(NOTE_MAX)
        self.note.setPlaceholderText(gettext("What happened here? (optional)"))
        self.note.setMinimumWidth(360)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(gettext("Add bookmark"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        for widget in (self.where, self.note, self.buttons):
            layout.addWidget(widget)

    def text(self) -> str:
        return self.note.text().strip()


class QtBookmarkList(QTreeWidget):
    """Every bookmark with its time, note and author; double-click seeks, right-click deletes."""

    sig_seek = Signal(float)  # epoch seconds
    sig_delete = Signal(str)  # bookmark identifier

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineBookmarks")
        self.may_delete = True  # the signed-in person may change bookmarks (set by the panel)
        self.setRootIsDecorated(False)
        self.setUniformRowHeights(True)
        self.setColumnCount(3)
        self.setMinimumWidth(200)
        self.header().setStretchLastSection(False)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._on_menu)
        self.itemDoubleClicked.connect(self._on_double_click)
        self._bookmarks: tuple[Bookmark, ...] = ()
        self.retranslate()

    def show_bookmarks(self, bookmarks: Sequence[Bookmark]) -> None:
        self._bookmarks = tuple(sorted(bookmarks, key=lambda b: b.time, reverse=True))
        self.clear()
        for bookmark in self._bookmarks:
            when = format_datetime(bookmark.time.astimezone(), "short")
            item = QTreeWidgetItem([when, bookmark.note or gettext("(no note)"), bookmark.by])
            item.setData(0, ID_ROLE, bookmark.identifier)
            item.setData(0, TIME_ROLE, bookmark.time.timestamp())
            item.setToolTip(1, bookmark.note)
            self.addTopLevelItem(item)
        self.resizeColumnToContents(0)
        self.resizeColumnToContents(2)

    def item_of(self, identifier: str) -> QTreeWidgetItem | None:
        for row in range(self.topLevelItemCount()):
            item = self.topLevelItem(row)
            if item.data(0, ID_ROLE) == identifier:
                return item
        return None

    def _on_double_click(self, item: QTreeWidgetItem, _column: int) -> None:
        self.sig_seek.emit(float(item.data(0, TIME_ROLE)))

    def _on_menu(self, pos: QPoint) -> None:
        item = self.itemAt(pos)
        if item is not None:
            self.menu_for(item).popup(self.viewport().mapToGlobal(pos))

    def menu_for(self, item: QTreeWidgetItem) -> QMenu:
        """The item's values are read now: the list may be rebuilt while the menu is open."""
        identifier, moment = str(item.data(0, ID_ROLE)), float(item.data(0, TIME_ROLE))
        menu = QMenu(self)
        seek = QAction(gettext("Review from here"), menu)
        seek.triggered.connect(lambda: self.sig_seek.emit(moment))
        delete = QAction(gettext("Delete bookmark"), menu)
        delete.triggered.connect(lambda: self.sig_delete.emit(identifier))
        menu.addAction(seek)
        if self.may_delete:
            menu.addAction(delete)
        menu.aboutToHide.connect(menu.deleteLater)
        return menu

    def retranslate(self) -> None:
        self.setHeaderLabels([gettext("Time"), gettext("Note"), gettext("By")])
        self.show_bookmarks(self._bookmarks)
