"""The timeline service end to end: on a store and hub, and wired into a real Core."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from app.hub import Hub
from app.ingest import Ingest
from app.messages import ReviewCursor
from app.model import AlertAction, Bookmark, Detection, Post, Priority, utc_now
from app.terminology import default_terminology
from app.timeline.messages import (
    AddBookmark,
    BookmarkRefused,
    BookmarksChanged,
    DeleteBookmark,
    ReviewState,
    TimelineAppend,
    TimelineQuery,
    TimelineWindow,
)
from app.timeline.service import TimelineService
from tests.factories import alert, submit_as
from tests.video_helpers import wait_until


class Collector:
    """Everything the service publishes, in order (held here: the hub holds it weakly)."""

    KINDS = (BookmarksChanged, BookmarkRefused, ReviewState, TimelineAppend, TimelineWindow)

    def __init__(self, hub: Hub) -> None:
        self.items: list[object] = []
        self._lock = threading.Lock()
        self.subscriptions = [hub.subscribe(kind, self.on_items) for kind in self.KINDS]

    def on_items(self, batch: Sequence[object]) -> None:
        with self._lock:
            self.items.extend(batch)

    def of(self, kind: type) -> list:
        with self._lock:
            return [item for item in self.items if isinstance(item, kind)]

    def appended(self) -> list:
        return [e for message in self.of(TimelineAppend) for e in message.events]


@pytest.fixture
def parts(record_store) -> Iterator[tuple[TimelineService, Collector, Hub]]:
    hub = Hub()
    collector = Collector(hub)
    service = TimelineService(record_store, hub, default_terminology())
    yield service, collector, hub
    service.stop()


def test_bookmarks_round_trip(parts, record_store):
    service, seen, _hub = parts
    service.start()
    wait_until(lambda: seen.of(BookmarksChanged), what="the bookmarks at start")
    assert seen.of(BookmarksChanged)[0].bookmarks == ()
    moment = utc_now() - timedelta(minutes=3)
    service.submit(AddBookmark(moment, "  Crowd surge at gate B ", "cmd-1"))
    wait_until(lambda: len(seen.of(BookmarksChanged)) == 2, what="the new bookmark")
    (bookmark,) = seen.of(BookmarksChanged)[-1].bookmarks
    assert (bookmark.time, bookmark.note, bookmark.by) == (moment, "Crowd surge at gate B", "cmd-1")
    assert record_store.get(Bookmark, bookmark.identifier) == bookmark
    (mark,) = seen.appended()
    assert (mark.lane, mark.identifier, mark.title) == (
        "bookmarks",
        bookmark.identifier,
        "Crowd surge at gate B",
    )
    service.submit(DeleteBookmark(bookmark.identifier, "cmd-1"))
    wait_until(lambda: len(seen.of(BookmarksChanged)) == 3, what="the deletion")
    assert seen.of(BookmarksChanged)[-1].bookmarks == ()
    assert record_store.get(Bookmark, bookmark.identifier) is None
    service.submit(DeleteBookmark(bookmark.identifier, "cmd-1"))
    wait_until(lambda: seen.of(BookmarkRefused), what="the refusal")
    assert seen.of(BookmarkRefused)[0].message == "That bookmark is no longer stored."
    service.submit(AddBookmark(moment.replace(tzinfo=None), "no zone", "cmd-1"))
    wait_until(lambda: len(seen.of(BookmarkRefused)) == 2, what="the naive time refused")
    assert seen.of(BookmarkRefused)[1].message.startswith("The bookmark could not be saved")
    service.submit(AddBookmark(moment, "still serving", "cmd-1"))
    wait_until(lambda: any(m.bookmarks for m in seen.of(BookmarksChanged)), what="a later add")


def test_only_the_newest_window_query_is_answered(parts, record_store):
    service, seen, hub = parts
    now = utc_now()
    record_store.save([alert("q-1", sent=now - timedelta(minutes=5))])
    for request in range(1, 6):
        hub.publish(TimelineQuery(now - timedelta(hours=request), now, request=request))
    service.start()
    wait_until(lambda: seen.of(TimelineWindow), what="the window")
    hub.publish(TimelineQuery(now - timedelta(hours=1), now, request=6))
    wait_until(lambda: len(seen.of(TimelineWindow)) == 2, what="the next window")
    first, second = seen.of(TimelineWindow)
    assert first.request == 5 and first.start == now - timedelta(hours=5)
    assert second.request == 6
    assert [e.identifier for e in second.events] == ["q-1"]


def test_scrubbing_computes_only_the_last_cursor_and_none_returns_to_live(parts, record_store):
    service, seen, hub = parts
    now = utc_now()
    record_store.save([alert("r-1", sent=now - timedelta(hours=2))])
    cursors = [now - timedelta(minutes=m) for m in range(60, 0, -1)]
    for moment in cursors:
        hub.publish(ReviewCursor(moment))
    service.start()
    wait_until(lambda: seen.of(ReviewState), what="a review state")
    (state,) = seen.of(ReviewState)
    assert state.time == cursors[-1]
    assert [a.identifier for a in state.alerts] == []  # stored after every cursor
    hub.publish(ReviewCursor(None))
    assert seen.of(ReviewState)[-1].time is None  # at once, on the publishing thread
    later = utc_now()
    hub.publish(ReviewCursor(later))
    wait_until(lambda: len(seen.of(ReviewState)) == 3, what="the review state after live")
    assert [s.time for s in seen.of(ReviewState)] == [cursors[-1], None, later]
    assert [a.identifier for a in seen.of(ReviewState)[-1].alerts] == ["r-1"]


def test_live_records_become_timeline_marks(parts, record_store):
    service, seen, hub = parts
    service.start()
    ingest = Ingest(record_store, hub)
    now = utc_now()
    crowd = alert("live-1", sent=now, priority=Priority.P3, headline="Crowd at gate B")
    ingest.accept([crowd])
    wait_until(lambda: seen.appended(), what="the alert's mark")
    ingest.accept([crowd])  # a re-delivery: same lane, no second mark
    ingest.accept(
        [
            Detection(
                identifier="d-1",
                detector_id="yolo",
                source_id="cam-2",
                time=now,
                event_type="knife",
                label="knife",
                confidence=0.8,
            ),
            Post(identifier="p-1", platform="microblog", author="u-1", text="hi", time=now),
        ]
    )
    escalated = AlertAction(
        identifier="act-1",
        alert_identifier="live-1",
        action="escalate",
        by="op-7",
        time=now,
        details=(("from_priority", "P3"), ("to_priority", "P2")),
    )
    hub.publish(alert("live-1", sent=now, priority=Priority.P2, headline="Crowd at gate B"))
    hub.publish(escalated)
    wait_until(lambda: len(seen.appended()) == 5, what="every mark")
    marks = [(e.lane, e.kind, e.identifier) for e in seen.appended()]
    assert marks[0] == ("alerts-p3", "alert", "live-1")
    assert sorted(marks[1:]) == [
        ("alerts-p2", "alert", "live-1"),  # the escalated alert moves lane
        ("detections", "detection", "d-1"),
        ("operator-actions", "action", "act-1"),
        ("posts", "post", "p-1"),
    ]
    action = next(e for e in seen.appended() if e.kind == "action")
    assert action.title == "Escalated to High by op-7: Crowd at gate B"


def test_the_core_routes_bookmark_commands(tmp_path: Path):
    from app.runtime import Core
    from app.settings import Settings

    core = Core(Settings(database_url=f"sqlite:///{tmp_path / 'core.db'}", demo=False))
    seen = Collector(core.hub)
    core.start()
    try:
        submit_as(core, AddBookmark(utc_now(), "Shift handover", "cmd-1"))
        wait_until(lambda: any(m.bookmarks for m in seen.of(BookmarksChanged)), what="the bookmark")
        (bookmark,) = seen.of(BookmarksChanged)[-1].bookmarks
        assert core.store.get(Bookmark, bookmark.identifier).note == "Shift handover"
    finally:
        core.stop()
