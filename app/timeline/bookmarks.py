"""Bookmarks: moments people marked on the timeline, with a note, stored like any record so a
second workstation and the after-action report see the same marks.

Every change publishes the whole list (``BookmarksChanged``): a shift has tens of bookmarks,
and one complete list is simpler for every panel than adds and removes to keep in step.
"""

from __future__ import annotations

import logging

from app.hub import Hub
from app.model import Bookmark, new_identifier, utc_now
from app.storage import RecordStore, StorageError
from app.timeline.messages import (
    AddBookmark,
    BookmarkRefused,
    BookmarksChanged,
    DeleteBookmark,
    TimelineAppend,
)
from app.timeline.sources import bookmark_event
from i18n import gettext as _

log = logging.getLogger(__name__)

BookmarkCommand = AddBookmark | DeleteBookmark
MAX_NOTE_CHARS = 2_000


class BookmarkKeeper:
    """Carries out bookmark commands on the timeline service's thread."""

    def __init__(self, store: RecordStore, hub: Hub) -> None:
        self.store = store
        self.hub = hub

    def apply(self, command: BookmarkCommand) -> None:
        try:
            if isinstance(command, AddBookmark):
                self._add(command)
            else:
                self._delete(command)
        except (StorageError, ValueError) as exc:
            log.error("Bookmark command failed: %s", exc)
            message = _("The bookmark could not be saved: {problem}").format(problem=str(exc))
            self.hub.publish(BookmarkRefused(command, message))
            return
        self.publish_all()

    def _add(self, command: AddBookmark) -> None:
        bookmark = Bookmark(
            identifier=new_identifier(),
            time=command.time,
            note=command.note.strip()[:MAX_NOTE_CHARS],
            by=command.by,
            created=utc_now(),
            exercise_id=command.exercise_id,
        )
        self.store.save([bookmark])
        log.info("Bookmark %s at %s by %s", bookmark.identifier, bookmark.time, bookmark.by)
        self.hub.publish(TimelineAppend((bookmark_event(bookmark),)))

    def _delete(self, command: DeleteBookmark) -> None:
        if not self.store.delete(Bookmark, command.identifier):
            message = _("That bookmark is no longer stored.")
            self.hub.publish(BookmarkRefused(command, message))
            return
        log.info("Bookmark %s deleted by %s", command.identifier, command.by)

    def publish_all(self) -> None:
        try:
            bookmarks = sorted(self.store.all(Bookmark), key=lambda b: b.time)
        except StorageError as exc:
            log.error("Cannot load the bookmarks: %s", exc)
            return
        self.hub.publish(BookmarksChanged(tuple(bookmarks)))
