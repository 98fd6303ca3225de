"""The timeline's bookmark commands: asking for a note, adding, deleting, showing the answers.

The panel only says *when*; this object asks for the note (a dialog that does not block the
console: live data keeps flowing while the operator types), sends ``AddBookmark`` or
``DeleteBookmark`` to the core, and shows the service's ``BookmarksChanged`` (list, flags,
count) and ``BookmarkRefused`` (a notice in the bar).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QWidget

from app.timeline.messages import AddBookmark, BookmarkRefused, BookmarksChanged, DeleteBookmark
from i18n import gettext
from widgets.facade import PanelContext
from widgets.qt_timeline_bar import QtTimelineBar
from widgets.qt_timeline_bookmarks import QtBookmarkDialog, QtBookmarkList
from widgets.qt_timeline_data import TimelineData
from widgets.qt_timeline_scale import to_datetime

log = logging.getLogger(__name__)


class QtBookmarker(QObject):
    sig_changed = Signal()  # the bookmarks lane must be drawn again

    def __init__(
        self,
        context: PanelContext,
        data: TimelineData,
        bar: QtTimelineBar,
        listing: QtBookmarkList,
        parent: QWidget,
    ) -> None:
        super().__init__(parent)
        self.context, self.data, self.bar, self.listing = context, data, bar, listing
        self.dialog: QtBookmarkDialog | None = None
        listing.sig_delete.connect(self.delete)
        self._subscriptions = [
            context.subscribe(BookmarksChanged, self._on_bookmarks),
            context.subscribe(BookmarkRefused, self._on_refused),
        ]

    def ask(self, at: float) -> QtBookmarkDialog:
        """Opens the note dialog for a bookmark at ``at`` (whole seconds)."""
        if self.dialog is not None:
            self.dialog.close()
        parent = self.parent()
        assert isinstance(parent, QWidget)
        dialog = QtBookmarkDialog(to_datetime(float(int(at))), parent)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self._on_accepted(dialog))
        dialog.destroyed.connect(lambda: self._forget(dialog))
        self.dialog = dialog
        dialog.open()
        return dialog

    def delete(self, identifier: str) -> None:
        self._command(DeleteBookmark(identifier, by=self.context.operator))

    def _forget(self, dialog: QtBookmarkDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def _on_accepted(self, dialog: QtBookmarkDialog) -> None:
        self._command(AddBookmark(dialog.moment, dialog.text(), by=self.context.operator))

    def _command(self, command: object) -> None:
        self.bar.show_notice("")
        try:
            self.context.commands(command)
        except (RuntimeError, TypeError) as exc:  # a console without a timeline service
            log.error("Timeline command not taken: %s", exc)
            self.bar.show_notice(gettext("Bookmarks are not available in this console."))

    def _on_bookmarks(self, batch: Sequence[BookmarksChanged]) -> None:
        bookmarks = batch[-1].bookmarks
        self.data.set_bookmarks(bookmarks)
        self.listing.show_bookmarks(bookmarks)
        self.bar.show_bookmark_count(len(bookmarks))
        self.sig_changed.emit()

    def _on_refused(self, batch: Sequence[BookmarkRefused]) -> None:
        self.bar.show_notice(batch[-1].message)

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()
        if self.dialog is not None:
            self.dialog.close()
