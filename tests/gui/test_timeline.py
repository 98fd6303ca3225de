"""The timeline panel: lanes, zoom and pan, review cursor, Live, bookmarks, selection, Arabic.

Most tests run the panel on a real hub and the real thread bridge, with a small stand-in for
the core's timeline service that answers each ``TimelineQuery`` from a list of events; the
last tests run the whole console with its real service.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from app.hub import Hub
from app.messages import ReviewCursor, Selection
from app.model import Bookmark, Status
from app.terminology import default_terminology
from app.timeline.messages import (
    AddBookmark,
    BookmarksChanged,
    DeleteBookmark,
    ReviewState,
    TimelineAppend,
    TimelineEvent,
    TimelineQuery,
    TimelineWindow,
)
from tests.factories import alert
from tests.test_i18n import catalog
from widgets.facade import PanelContext
from widgets.language import LanguageSwitcher
from widgets.qt_timeline import QtTimelinePanel
from widgets.qt_timeline_scale import to_datetime
from widgets.qt_timeline_tips import mark_tooltip
from widgets.workers import QtHubBridge

OPERATOR = "ops1"


def ago(seconds: float) -> datetime:
    return datetime.now(UTC) - timedelta(seconds=seconds)


def event(lane: str, when: datetime, identifier: str, kind: str = "alert") -> TimelineEvent:
    return TimelineEvent(lane, when, kind, identifier, f"Title of {identifier}")


class FakeTimelineService:
    """Answers queries from ``events`` like the core's service would (on the core hub)."""

    def __init__(self, hub: Hub, events: list[TimelineEvent], totals: dict[str, int]) -> None:
        self.hub, self.events, self.totals = hub, events, totals
        self.subscription = hub.subscribe(TimelineQuery, self.on_query)

    def on_query(self, batch: list[TimelineQuery]) -> None:
        query = batch[-1]
        shown = tuple(e for e in sorted(self.events, key=lambda e: e.time)
                      if query.start <= e.time <= query.end)  # fmt: skip
        counts = tuple(self.totals.items())
        self.hub.publish(TimelineWindow(query.start, query.end, shown, query.request,
                                        bool(self.totals), counts))  # fmt: skip


@dataclass
class Harness:
    panel: QtTimelinePanel
    hub: Hub
    service: FakeTimelineService
    commands: list[object]
    published: list[object] = field(default_factory=list)

    def on_message(self, batch: list[object]) -> None:
        self.published.extend(batch)

    def of(self, kind: type) -> list:
        return [m for m in self.published if isinstance(m, kind)]

    @property
    def view(self):  # -> QtTimelineView
        return self.panel.view


@pytest.fixture
def harness(qtbot) -> Iterator[Harness]:
    hub = Hub()
    bridge = QtHubBridge(hub)
    commands: list[object] = []
    service = FakeTimelineService(hub, [], {})
    context = PanelContext(
        bridge.gui_hub, hub, default_terminology(), commands=commands.append, operator=OPERATOR
    )
    panel = QtTimelinePanel(context)
    qtbot.addWidget(panel)
    harness = Harness(panel, hub, service, commands)
    recording = hub.subscribe(object, harness.on_message)
    panel.resize(1200, 360)
    panel.show()
    qtbot.waitExposed(panel)
    yield harness
    recording.cancel()
    panel.stop()
    bridge.close()


def show_fixed_range(harness: Harness, qtbot, start: float, end: float) -> None:
    """Stops following now and waits for the window of exactly that view."""
    harness.panel.set_range(start, end)
    qtbot.waitUntil(lambda: harness.panel._answered == harness.panel._request)


def test_events_appear_in_their_lanes(harness: Harness, qtbot) -> None:
    harness.service.events += [
        event("alerts-p1", ago(600), "a1"),
        event("alerts-p3", ago(300), "a3"),
        event("detections", ago(200), "d1", kind="detection"),
        event("posts", ago(100), "p1", kind="post"),
    ]
    now = time.time()
    show_fixed_range(harness, qtbot, now - 900, now)
    view = harness.view
    lanes = {lane: [m.time for m in view.marks(lane)] for lane in ("alerts-p1", "alerts-p3",
             "detections", "posts", "alerts-p2")}  # fmt: skip
    assert lanes["alerts-p2"] == []
    assert lanes["alerts-p1"] == [pytest.approx(now - 600, abs=1)]
    assert lanes["alerts-p3"] == [pytest.approx(now - 300, abs=1)]
    assert len(lanes["detections"]) == len(lanes["posts"]) == 1
    # Drawn where the axis puts their time, inside the time area.
    x = view.x_of(lanes["alerts-p1"][0])
    assert view.time_area().left() < x < view.time_area().right()


def test_live_events_join_their_lane_and_an_escalated_alert_moves(harness, qtbot) -> None:
    panel = harness.panel
    harness.hub.publish(TimelineAppend((event("alerts-p3", ago(30), "a7"),)))
    qtbot.waitUntil(lambda: len(harness.view.marks("alerts-p3")) == 1)
    harness.hub.publish(TimelineAppend((event("alerts-p2", ago(30), "a7"),)))
    qtbot.waitUntil(lambda: len(harness.view.marks("alerts-p2")) == 1)
    assert harness.view.marks("alerts-p3") == []
    assert panel.data.find("alert", "a7").lane == "alerts-p2"


def wheel(view, x: float, notches: int) -> None:
    pos = QPointF(x, view.time_area().center().y())
    event = QWheelEvent(pos, view.mapToGlobal(pos), QPoint(), QPoint(0, 120 * notches),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)  # fmt: skip
    QApplication.sendEvent(view, event)


def latest_query(harness: Harness) -> TimelineQuery:
    return harness.of(TimelineQuery)[-1]


def test_wheel_zooms_around_the_pointer_and_asks_for_the_new_range(harness, qtbot) -> None:
    now = time.time()
    show_fixed_range(harness, qtbot, now - 7200, now - 3600)
    view = harness.view
    x = view.time_area().left() + view.time_area().width() * 0.25
    under_pointer = view.time_at(x)
    asked = len(harness.of(TimelineQuery))
    wheel(view, x, 2)  # two notches in
    assert view.end - view.start == pytest.approx(3600 * 0.8**2)
    assert view.time_at(x) == pytest.approx(under_pointer, abs=0.01)
    qtbot.waitUntil(lambda: len(harness.of(TimelineQuery)) > asked)
    query = latest_query(harness)
    assert query.start.timestamp() <= view.start and query.end.timestamp() >= view.end
    assert (query.end - query.start).total_seconds() == pytest.approx(2 * 3600 * 0.8**2)
    wheel(view, x, -40)  # far out: never more than a week
    assert view.end - view.start == 7 * 24 * 3600


def test_dragging_the_background_pans_back_in_time(harness, qtbot) -> None:
    now = time.time()
    show_fixed_range(harness, qtbot, now - 7200, now - 3600)
    view, panel = harness.view, harness.panel
    y = int(view.lane_rect("alerts-p2").center().y())
    x = int(view.time_area().center().x())
    seconds_per_px = view.scale().seconds_per_pixel
    before = view.start
    asked = len(harness.of(TimelineQuery))
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(x, y))
    qtbot.mouseMove(view, QPoint(x + 50, y))
    qtbot.mouseMove(view, QPoint(x + 100, y))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(x + 100, y))
    assert view.start == pytest.approx(before - 100 * seconds_per_px, rel=1e-6)
    assert not panel.following
    qtbot.waitUntil(lambda: len(harness.of(TimelineQuery)) > asked)
    assert latest_query(harness).start.timestamp() < before - 100 * seconds_per_px


def test_clicking_the_axis_reviews_that_moment_and_live_ends_it(harness, qtbot) -> None:
    now = time.time()
    show_fixed_range(harness, qtbot, now - 7200, now - 3600)
    view, panel = harness.view, harness.panel
    axis = view.axis_rect()
    x = int(axis.left() + axis.width() * 0.4)
    expected = to_datetime(float(int(view.time_at(x))))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=QPoint(x, int(axis.center().y())))
    qtbot.waitUntil(lambda: ReviewCursor(expected) in harness.of(ReviewCursor))
    assert panel.reviewing
    assert panel.bar.property("reviewing") is True
    assert panel.bar.state.text().startswith("Reviewing")
    assert panel.bar.live.isVisible()

    qtbot.mouseClick(panel.bar.live, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: harness.of(ReviewCursor)[-1] == ReviewCursor(None))
    assert not panel.reviewing and panel.following
    assert panel.bar.property("reviewing") is False
    assert view.start < time.time() < view.end  # following now again


def test_dragging_the_cursor_publishes_the_latest_moment_throttled(harness, qtbot) -> None:
    now = time.time()
    show_fixed_range(harness, qtbot, now - 7200, now - 3600)
    view = harness.view
    axis_y = int(view.axis_rect().center().y())
    left = int(view.time_area().left() + 100)
    qtbot.mousePress(view, Qt.MouseButton.LeftButton, pos=QPoint(left, axis_y))
    for step in range(1, 30):
        qtbot.mouseMove(view, QPoint(left + step * 10, axis_y))
    qtbot.mouseRelease(view, Qt.MouseButton.LeftButton, pos=QPoint(left + 290, axis_y))
    final = to_datetime(float(int(view.time_at(left + 290))))
    qtbot.waitUntil(lambda: harness.of(ReviewCursor)[-1] == ReviewCursor(final))
    # A burst of 30 positions is not 30 messages; the first and the last always go out.
    assert len(harness.of(ReviewCursor)) < 30


def test_keys_step_the_cursor_and_escape_returns_to_live(harness, qtbot) -> None:
    now = time.time()
    show_fixed_range(harness, qtbot, now - 7200, now - 3600)
    panel, view = harness.panel, harness.view
    panel.review_at(now - 5400)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_Left)
    assert panel.cursor == float(int(now - 5400)) - 60
    qtbot.keyClick(view, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert panel.cursor == float(int(now - 5400)) - 50
    qtbot.keyClick(view, Qt.Key.Key_Home)
    assert panel.cursor == float(int(view.start))
    qtbot.keyClick(view, Qt.Key.Key_Escape)
    assert panel.cursor is None
    qtbot.waitUntil(lambda: harness.of(ReviewCursor)[-1] == ReviewCursor(None))


def test_a_bookmark_added_through_the_dialog_sends_its_note(harness, qtbot) -> None:
    panel, view = harness.panel, harness.view
    moment = float(int(time.time() - 120))
    panel.review_at(moment)
    view.setFocus()
    qtbot.keyClick(view, Qt.Key.Key_B)
    dialog = panel.bookmark_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.keyClicks(dialog.note, "Crowd pushes at gate 3")
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    qtbot.mouseClick(ok, Qt.MouseButton.LeftButton)
    assert harness.commands == [
        AddBookmark(to_datetime(moment), "Crowd pushes at gate 3", OPERATOR)
    ]


def test_bookmarks_are_flagged_listed_sought_and_deleted(harness, qtbot) -> None:
    panel = harness.panel
    when = ago(600).replace(microsecond=0)
    mark = Bookmark(identifier="bm-1", time=when, note="Gate closed", by="chief", created=when)
    harness.hub.publish(BookmarksChanged((mark,)))
    qtbot.waitUntil(lambda: panel.bookmark_list.topLevelItemCount() == 1)
    assert [m.count for m in harness.view.marks("bookmarks")] == [1]
    assert "(1)" in panel.bar.bookmarks.text()
    item = panel.bookmark_list.item_of("bm-1")
    assert [item.text(1), item.text(2)] == ["Gate closed", "chief"]
    panel.bookmark_list.itemDoubleClicked.emit(item, 0)
    assert panel.cursor == when.timestamp()
    menu = panel.bookmark_list.menu_for(item)
    delete = next(a for a in menu.actions() if a.text() == "Delete bookmark")
    delete.trigger()
    assert harness.commands == [DeleteBookmark("bm-1", OPERATOR)]


def test_clicking_a_mark_selects_its_record_for_the_other_panels(harness, qtbot) -> None:
    harness.service.events.append(event("alerts-p1", ago(1800), "alert-9"))
    now = time.time()
    show_fixed_range(harness, qtbot, now - 3600, now)
    view = harness.view
    (mark,) = view.marks("alerts-p1")
    where = QPoint(round(view.x_of(mark.time)), int(view.lane_rect("alerts-p1").center().y()))
    qtbot.mouseClick(view, Qt.MouseButton.LeftButton, pos=where)
    qtbot.waitUntil(lambda: bool(harness.of(Selection)))
    assert harness.of(Selection) == [Selection("alert", "alert-9", origin="timeline")]
    assert view.selected == ("alert", "alert-9")


def test_an_alert_selected_elsewhere_is_centred(harness, qtbot) -> None:
    harness.service.events.append(event("alerts-p2", ago(5 * 3600), "old"))
    now = time.time()
    show_fixed_range(harness, qtbot, now - 6 * 3600, now)  # the window brings "old" in
    show_fixed_range(harness, qtbot, now - 900, now)
    assert harness.panel.data.find("alert", "old") is not None
    harness.hub.publish(Selection("alert", "old", origin="alerts"))
    view = harness.view
    qtbot.waitUntil(lambda: view.selected == ("alert", "old"))
    assert (view.start + view.end) / 2 == pytest.approx(now - 5 * 3600, abs=2)
    assert not harness.panel.following


def test_dense_lanes_merge_marks_and_a_thinned_lane_says_so(harness, qtbot) -> None:
    base = ago(1800)
    burst = [event("alerts-p4", base + timedelta(milliseconds=5 * n), f"b{n}") for n in range(200)]
    lone = event("alerts-p4", base + timedelta(minutes=10), "lone")
    harness.service.events += [*burst, lone]
    harness.service.totals = {"alerts-p4": 5000}
    now = time.time()
    show_fixed_range(harness, qtbot, now - 3600, now)
    # A second of burst is less than 3 px at one hour across 1,000 px: one counted mark (two
    # if it straddles a bucket boundary); the lone alert stays a single mark.
    marks = harness.view.marks("alerts-p4")
    assert sum(m.count for m in marks) == 201
    assert 2 <= len(marks) <= 3 and max(m.count for m in marks) >= 100
    assert marks[-1].count == 1 and marks[-1].time == pytest.approx(lone.time.timestamp())
    biggest = max(marks, key=lambda m: m.count)
    assert f"{biggest.count} events" in mark_tooltip(harness.panel.data, biggest)
    assert harness.panel.data.truncated == {"alerts-p4": (201, 5000)}
    tip = harness.view.painter.lane_tooltip("alerts-p4")
    assert "201" in tip and "5,000" in tip
    # A double-click on the merged mark zooms in around it.
    view = harness.view
    lane_y = int(view.lane_rect("alerts-p4").center().y())
    qtbot.mouseDClick(
        view, Qt.MouseButton.LeftButton, pos=QPoint(round(view.x_of(biggest.time)), lane_y)
    )
    assert view.end - view.start == pytest.approx(360)
    assert (view.start + view.end) / 2 == pytest.approx(biggest.time)
    # Zoomed in to a minute, the burst parts.
    show_fixed_range(harness, qtbot, base.timestamp() - 30, base.timestamp() + 30)
    assert len(harness.view.marks("alerts-p4")) >= 4


def translation(lang: str, message: str) -> str:
    return catalog(lang)[message].string or message


def test_arabic_retranslates_and_puts_the_lane_names_on_the_right(harness, qtbot, qapp) -> None:
    panel, view = harness.panel, harness.view
    languages = LanguageSwitcher(qapp)
    try:
        languages.apply("ar")
        qtbot.waitUntil(lambda: panel.bar.live.text() == translation("ar", "Live"))
        assert view.isRightToLeft()
        assert view.label_area().left() >= view.time_area().right()
        # Time still runs left to right: later is further right.
        assert view.x_of(view.end) > view.x_of(view.start)
        assert view.label_width() < view.width() // 2
    finally:
        languages.apply("en")
    qtbot.waitUntil(lambda: panel.bar.live.text() == "Live")
    assert view.label_area().right() <= view.time_area().left()


class Recorder:
    def __init__(self) -> None:
        self.states: list[ReviewState] = []

    def on_states(self, batch: list[ReviewState]) -> None:
        self.states.extend(batch)


def test_with_the_real_service_lanes_fill_bookmarks_return_and_review_answers(
    console, qtbot
) -> None:
    console.core.start()  # no sources: the core's services only, the timeline's among them
    panel = console.window.panels["timeline"]
    recorder = Recorder()
    subscription = console.bridge.gui_hub.subscribe(ReviewState, recorder.on_states)
    sent = ago(600).replace(microsecond=0)
    console.core.ingest.accept([alert("tl-1", sent=sent, status=Status.ACTUAL)])
    qtbot.waitUntil(lambda: panel.data.find("alert", "tl-1") is not None, timeout=10_000)
    found = panel.data.find("alert", "tl-1")
    assert found.lane.startswith("alerts-p") and "Knife detected" in found.title
    assert [m.time for m in panel.view.marks(found.lane)] == [sent.timestamp()]

    # A query for another range is answered from the store.
    panel.set_range(time.time() - 7200, time.time() - 1)
    qtbot.waitUntil(lambda: panel._answered == panel._request, timeout=10_000)
    assert panel.data.find("alert", "tl-1") is not None

    # A bookmark typed in the dialog comes back as a flag and a line in the list.
    panel.review_at(sent.timestamp())
    panel.add_bookmark()
    qtbot.keyClicks(panel.bookmark_dialog.note, "First knife report")
    panel.bookmark_dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: panel.bookmark_list.topLevelItemCount() == 1, timeout=10_000)
    assert panel.bookmark_list.topLevelItem(0).text(1) == "First knife report"
    assert panel.data.count("bookmarks") == 1

    # The cursor put the console in review mode: the service answered with that moment.
    # (What the state holds is the service's business, tested with it.)
    qtbot.waitUntil(lambda: any(s.time == sent for s in recorder.states), timeout=10_000)
    panel.go_live()
    qtbot.waitUntil(lambda: recorder.states[-1].time is None, timeout=10_000)
    subscription.cancel()


def test_a_cursor_set_elsewhere_is_followed_and_our_own_echoes_are_not(harness, qtbot) -> None:
    panel = harness.panel
    moment = float(int(time.time() - 900))
    panel.review_at(moment)
    published = len(harness.of(ReviewCursor))
    # Another panel (the review banner's "Back to live") ends the review.
    harness.hub.publish(ReviewCursor(None))
    qtbot.waitUntil(lambda: panel.cursor is None)
    assert panel.following and panel.bar.property("reviewing") is False
    elsewhere = to_datetime(moment - 300)
    harness.hub.publish(ReviewCursor(elsewhere))
    qtbot.waitUntil(lambda: panel.cursor == elsewhere.timestamp())
    assert panel.bar.state.text().startswith("Reviewing")
    # Followed, not published again (that would loop between panels).
    assert len(harness.of(ReviewCursor)) == published + 2
