"""The timeline's worker: window queries, bookmarks, review states and live marks, off the
GUI thread.

Everything arrives as a request in a slot and the thread serves the slots in turn. The newest
window query and the newest review cursor each overwrite their slot, so while a commander
drags the cursor across a day only the last position is computed, never a backlog of stale
ones. Going back to live (``ReviewCursor(None)``) is answered at once on the publishing
thread; a review state still being computed then is dropped, not published after it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.exc import SQLAlchemyError

from app.hub import Hub
from app.messages import ReviewCursor
from app.model import Alert, AlertAction, Bookmark, Detection, IncidentEntry, Post
from app.storage import RecordStore, StorageError
from app.terminology import Terminology
from app.timeline.bookmarks import BookmarkCommand, BookmarkKeeper
from app.timeline.live import LiveEvents
from app.timeline.messages import ReviewState, TimelineAppend, TimelineQuery
from app.timeline.queries import DEFAULT_PER_LANE_LIMIT, events_between
from app.timeline.review import state_at

log = logging.getLogger(__name__)

LIVE_TYPES = (Alert, AlertAction, Detection, Post, Bookmark, IncidentEntry)


@dataclass
class _Slots:
    """What the thread has to do; guarded by ``TimelineService._lock``."""

    commands: list[BookmarkCommand] = field(default_factory=list)
    query: TimelineQuery | None = None
    cursor: datetime | None = None
    live: list[object] = field(default_factory=list)


class TimelineService:
    def __init__(
        self,
        store: RecordStore,
        hub: Hub,
        terms: Terminology,
        per_lane_limit: int = DEFAULT_PER_LANE_LIMIT,
    ) -> None:
        self.store = store
        self.hub = hub
        self.terms = terms
        self.per_lane_limit = per_lane_limit
        self.bookmarks = BookmarkKeeper(store, hub)
        self.live = LiveEvents(store, terms)
        self._lock = threading.RLock()
        self._wake = threading.Condition(self._lock)
        self._slots = _Slots()
        self._generation = 0  # bumped by every cursor; a state is published only if current
        self._stop = threading.Event()
        self._running = False  # live records are only collected while the thread serves them
        self._subscriptions = [
            hub.subscribe(TimelineQuery, self._on_queries),
            hub.subscribe(ReviewCursor, self._on_cursors),
            *(hub.subscribe(kind, self._on_records) for kind in LIVE_TYPES),
        ]
        self._thread = threading.Thread(target=self._run, name="timeline-service", daemon=True)

    def start(self) -> None:
        self._running = True
        self._thread.start()

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()
        with self._wake:
            self._stop.set()
            self._wake.notify_all()
        if self._thread.ident is not None:
            self._thread.join(5)

    def submit(self, command: BookmarkCommand) -> None:
        """Queues ``AddBookmark``/``DeleteBookmark``; ``BookmarksChanged`` answers on the hub."""
        with self._wake:
            self._slots.commands.append(command)
            self._wake.notify_all()

    def _on_queries(self, batch: Sequence[TimelineQuery]) -> None:
        with self._wake:
            self._slots.query = batch[-1]
            self._wake.notify_all()

    def _on_cursors(self, batch: Sequence[ReviewCursor]) -> None:
        moment = batch[-1].time
        with self._wake:
            self._generation += 1
            self._slots.cursor = moment
            if moment is None:
                self.hub.publish(ReviewState(time=None))
            self._wake.notify_all()

    def _on_records(self, batch: Sequence[object]) -> None:
        if not self._running:
            return
        with self._wake:
            self._slots.live.extend(batch)
            self._wake.notify_all()

    def _take(self) -> tuple[_Slots, int] | None:
        with self._wake:
            while not self._stop.is_set() and not _pending(self._slots):
                self._wake.wait()
            if self._stop.is_set():
                return None
            taken, self._slots = self._slots, _Slots()
            return taken, self._generation

    def _run(self) -> None:
        self.bookmarks.publish_all()
        while (work := self._take()) is not None:
            slots, generation = work
            try:
                self._serve(slots, generation)
            except (SQLAlchemyError, StorageError) as exc:
                log.error("The timeline cannot read the store: %s", exc)
            except Exception:
                # One bad request (a naive time from a plugin panel) must not end the service.
                log.exception("The timeline could not serve a request")

    def _serve(self, slots: _Slots, generation: int) -> None:
        for command in slots.commands:
            self.bookmarks.apply(command)
        if slots.live:
            events = self.live.events(slots.live)
            if events:
                self.hub.publish(TimelineAppend(tuple(events)))
        if slots.cursor is not None:
            self._review(slots.cursor, generation)
        if slots.query is not None:
            self._answer(slots.query)

    def _review(self, moment: datetime, generation: int) -> None:
        with self.store.session() as session:
            state = state_at(session, moment, self.terms)
        with self._lock:
            if generation == self._generation:
                self.hub.publish(state)

    def _answer(self, query: TimelineQuery) -> None:
        with self.store.session() as session:
            window = events_between(
                session, query.start, query.end, self.per_lane_limit, self.terms, query.request
            )
        self.hub.publish(window)


def _pending(slots: _Slots) -> bool:
    return (
        bool(slots.commands or slots.live) or slots.query is not None or (slots.cursor is not None)
    )
