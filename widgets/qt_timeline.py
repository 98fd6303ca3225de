"""Timeline panel: everything that happened, lane by lane on one time axis, and review mode.

The panel never reads the store: it publishes ``TimelineQuery`` for the range it shows (padded
by half a span each side, so a pan shows cached marks at once) and paints the ``TimelineWindow``
that comes back, plus the live events of ``TimelineAppend``. Queries and review cursors are
throttled to 10 per second, latest wins: the first goes out at once, the rest of a burst waits
for the throttle and only the newest is sent.

Two independent states: whether the view *follows now* (its right edge moving) and whether the
console is *reviewing* a moment (the cursor is set; every panel shows its state at that time).
"Live" (or Esc) ends both: the cursor goes, ``ReviewCursor(None)`` is published, the view
follows now again.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtGui import QAction, QKeyEvent
from PySide6.QtWidgets import QMenu, QSplitter, QVBoxLayout, QWidget

from app.messages import ReviewCursor, Selection
from app.model import Alert
from app.security.model import Permission
from app.timeline.messages import (
    AddBookmark,
    DeleteBookmark,
    TimelineAppend,
    TimelineEvent,
    TimelineQuery,
    TimelineWindow,
)
from i18n import gettext, lazy_gettext
from widgets.facade import PanelContext
from widgets.permission_gate import PermissionGate
from widgets.qt_panel import QtPanel
from widgets.qt_timeline_bar import QtTimelineBar
from widgets.qt_timeline_bookmarker import QtBookmarker
from widgets.qt_timeline_bookmarks import QtBookmarkDialog, QtBookmarkList
from widgets.qt_timeline_data import TimelineData
from widgets.qt_timeline_scale import clamp_span, to_datetime, zoomed
from widgets.qt_timeline_throttle import QtThrottle
from widgets.qt_timeline_view import QtTimelineView

THROTTLE_MS = 100  # at most 10 queries and 10 review cursors a second
RETRY_S = 2.0  # a query unanswered this long is asked again (the service may start later)
LIVE_MARGIN = 0.03  # share of the span left right of "now" while following it
DEFAULT_SPAN_S = 3600.0
STEP_S, FINE_STEP_S = 60.0, 10.0
ZOOM_STEP = 0.5
OPEN_MARK_ZOOM = 0.1
LIST_WIDTH = 320  # the bookmark list: time, a short note and who
MAX_ECHOES = 64  # our own cursors on their way back through the hub
KNOWN_ALERTS = 100_000  # alert times remembered to centre a selection (a long shift's worth)


class QtTimelinePanel(QtPanel):
    ID = "timeline"
    TITLE = lazy_gettext("Timeline")
    DEFAULT_AREA = Qt.DockWidgetArea.BottomDockWidgetArea

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.data = TimelineData()
        self.view = QtTimelineView(self.data, context.terminology, self)
        self.bar = QtTimelineBar(self)
        self.bookmark_list = QtBookmarkList(self)
        self.bookmark_list.hide()
        self.bookmarker = QtBookmarker(context, self.data, self.bar, self.bookmark_list, self)
        self.gate = PermissionGate(
            context, self, refused=self.bar.show_notice, commands=(AddBookmark, DeleteBookmark)
        )
        self.gate.guard(self.bar.bookmark, Permission.BOOKMARK)
        self.gate.on_change(self._on_permissions)
        self._on_permissions()
        self.following = True
        self.cursor: float | None = None
        self._alert_times: dict[str, float] = {}
        self._echoes: list[datetime | None] = []
        self._request = 0
        self._answered = 0
        self._queried: tuple[float, float] | None = None
        self._query_sent_at = 0.0
        self._layout()
        self._wire()
        self._follow_now()
        self.retranslate()
        self._send_query()

    def _layout(self) -> None:
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(self.view)
        self.splitter.addWidget(self.bookmark_list)
        self.splitter.setStretchFactor(0, 4)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setChildrenCollapsible(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.setSpacing(2)
        layout.addWidget(self.bar)
        layout.addWidget(self.splitter, 1)

    def _wire(self) -> None:
        bar, view = self.bar, self.view
        bar.live.clicked.connect(self.go_live)
        bar.zoom_in.clicked.connect(lambda: self.zoom(ZOOM_STEP))
        bar.zoom_out.clicked.connect(lambda: self.zoom(1 / ZOOM_STEP))
        for seconds, button in bar.presets.items():
            button.clicked.connect(lambda _=False, s=seconds: self.show_last(s))
        bar.go.clicked.connect(self._on_go_to)
        bar.bookmark.clicked.connect(lambda: self.add_bookmark())
        bar.bookmarks.toggled.connect(self._on_bookmarks_toggled)
        view.sig_panned.connect(self._on_panned)
        view.sig_zoom_requested.connect(self.zoom)
        view.sig_open_mark.connect(self._on_open_mark)
        view.sig_cursor_dragged.connect(self.review_at)
        view.sig_event_clicked.connect(self._on_event_clicked)
        view.sig_event_activated.connect(self._on_event_activated)
        view.sig_context_menu.connect(self._on_context_menu)
        self.bookmark_list.sig_seek.connect(self.review_at)
        self.bookmarker.sig_changed.connect(view.update)
        self._live_timer = QTimer(self, interval=THROTTLE_MS)
        self._live_timer.timeout.connect(self._on_tick)
        self._live_timer.start()
        self._queries = QtThrottle(THROTTLE_MS, self._send_query, self)
        self._cursors = QtThrottle(THROTTLE_MS, self._send_cursor, self)
        subscribe = self.context.subscribe
        self._subscriptions = [
            subscribe(TimelineWindow, self._on_window),
            subscribe(TimelineAppend, self._on_append),
            subscribe(ReviewCursor, self._on_review_cursor),
            subscribe(Selection, self._on_selection),
            subscribe(Alert, self._on_alerts),
        ]

    # --- the visible range -----------------------------------------------------------------
    def _follow_now(self, span: float | None = None) -> None:
        span = clamp_span(span or (self.view.end - self.view.start) or DEFAULT_SPAN_S)
        end = time.time() + span * LIVE_MARGIN
        self.view.set_range(end - span, end)

    def set_range(self, start: float, end: float, following: bool = False) -> None:
        self.following = following
        self.view.set_range(start, end)
        self._show_state()
        self.request_query()

    def zoom(self, factor: float, anchor: float | None = None) -> None:
        """Zooms around ``anchor`` (an instant; the centre by default). While following now,
        the live edge stays put so "now" does not slide out of sight."""
        start, end = self.view.start, self.view.end
        if self.following:
            self._follow_now(clamp_span((end - start) * factor))
            self._show_state()
            self.request_query()
            return
        anchor = (start + end) / 2 if anchor is None else anchor
        self.set_range(*zoomed(start, end, factor, anchor))

    def show_last(self, seconds: float) -> None:
        """The presets: the last 15 minutes, hour or day, following now."""
        self.following = True
        self._follow_now(seconds)
        self._show_state()
        self.request_query()

    def _on_open_mark(self, t: float) -> None:
        """A double-clicked merged mark: centre it and zoom in until its members part."""
        span = clamp_span((self.view.end - self.view.start) * OPEN_MARK_ZOOM)
        self.set_range(t - span / 2, t + span / 2)

    def centre_on(self, t: float) -> None:
        span = self.view.end - self.view.start
        self.set_range(t - span / 2, t + span / 2)

    def _on_panned(self) -> None:
        self.following = False
        self._show_state()
        self.request_query()

    def _on_tick(self) -> None:
        """The live edge: the view follows now, at most 10 times a second and never more
        often than one pixel's worth of time."""
        scale = self.view.scale()
        interval = min(max(int(scale.seconds_per_pixel * 1000), THROTTLE_MS), 1000)
        if self._live_timer.interval() != interval:
            self._live_timer.setInterval(interval)
        if self.following:
            self._follow_now()
            if self._queried is None or self.view.end > self._queried[1]:
                self.request_query()
        elif self.view.start <= time.time() <= self.view.end:
            self.view.update()  # the now line moves
        if self._answered < self._request and time.monotonic() - self._query_sent_at > RETRY_S:
            self.request_query()

    # --- queries ---------------------------------------------------------------------------
    def request_query(self) -> None:
        self._queries.request()

    def _send_query(self) -> None:
        start, end = self.view.start, self.view.end
        pad = (end - start) / 2
        self._request += 1
        self._queried = (start - pad, end + pad)
        self._query_sent_at = time.monotonic()
        query = TimelineQuery(to_datetime(start - pad), to_datetime(end + pad), self._request)
        self.context.publish(query)

    def _on_window(self, batch: Sequence[TimelineWindow]) -> None:
        mine = [w for w in batch if self._answered < w.request <= self._request]
        if not mine:
            return
        window = max(mine, key=lambda w: w.request)
        self._answered = window.request
        self.data.apply_window(window)
        self.view.update()

    def _on_append(self, batch: Sequence[TimelineAppend]) -> None:
        self.data.append(event for message in batch for event in message.events)
        self.view.update()

    # --- review ----------------------------------------------------------------------------
    @property
    def reviewing(self) -> bool:
        return self.cursor is not None

    def review_at(self, t: float) -> None:
        """Puts the console in review mode at ``t`` (whole seconds, never in the future).
        The view stops following now, or the reviewed moment would drift out of sight."""
        t = float(int(min(t, time.time())))
        if t == self.cursor:
            return
        self.cursor = t
        self.following = False
        self.view.set_cursor(t)
        self._show_state()
        self._cursors.request()

    def _send_cursor(self) -> None:
        self._publish_review(None if self.cursor is None else to_datetime(self.cursor))

    def _publish_review(self, moment: datetime | None) -> None:
        self._echoes = [*self._echoes[-(MAX_ECHOES - 1) :], moment]
        self.context.publish(ReviewCursor(moment))

    def go_live(self) -> None:
        self._cursors.cancel()
        self.cursor = None
        self.view.set_cursor(None)
        self._publish_review(None)
        self.following = True
        self._follow_now()
        self._show_state()
        self.request_query()

    def _on_review_cursor(self, batch: Sequence[ReviewCursor]) -> None:
        """Follows a cursor set elsewhere (e.g. the review banner's Live button); our own
        cursors come back through the hub too and are recognised and skipped."""
        wanted: list[ReviewCursor] = []
        for message in batch:
            if message.time in self._echoes:
                self._echoes.remove(message.time)
            else:
                wanted.append(message)
        if not wanted:
            return
        moment = wanted[-1].time
        self._cursors.cancel()
        self.cursor = None if moment is None else moment.timestamp()
        self.view.set_cursor(self.cursor)
        if moment is None:
            self.following = True
            self._follow_now()
        self._show_state()

    def step_cursor(self, seconds: float) -> None:
        base = self.cursor if self.cursor is not None else time.time()
        self.review_at(base + seconds)
        self._keep_visible()

    def _keep_visible(self) -> None:
        if self.cursor is None:
            return
        start, end = self.view.start, self.view.end
        margin = (end - start) * 0.05
        if not start + margin <= self.cursor <= end - margin:
            self.centre_on(self.cursor)

    def _show_state(self) -> None:
        moment = None if self.cursor is None else to_datetime(self.cursor)
        self.bar.show_state(moment, self.following)
        if moment is not None:
            self.bar.set_go_to(moment)

    # --- selection -------------------------------------------------------------------------
    def _on_event_clicked(self, event: TimelineEvent) -> None:
        self.context.publish(Selection(event.kind, event.identifier, origin=self.ID))

    def _on_event_activated(self, event: TimelineEvent) -> None:
        """Double-click: a bookmark seeks there; any other mark reviews its moment."""
        self.review_at(event.time.timestamp())

    def _on_selection(self, batch: Sequence[Selection]) -> None:
        wanted = batch[-1]
        if wanted.origin == self.ID:
            return
        event = self.data.find(wanted.kind, wanted.identifier)
        t = event.time.timestamp() if event is not None else None
        if t is None and wanted.kind == "alert":
            t = self._alert_times.get(wanted.identifier)
        if t is None:
            return
        self.view.select((wanted.kind, wanted.identifier))
        start, end = self.view.start, self.view.end
        margin = (end - start) * 0.1
        if not start + margin <= t <= end - margin:
            self.centre_on(t)

    def _on_alerts(self, batch: Sequence[Alert]) -> None:
        for alert in batch:
            self._alert_times[alert.identifier] = alert.time.timestamp()
        if len(self._alert_times) > KNOWN_ALERTS:
            for identifier in list(self._alert_times)[: len(self._alert_times) - KNOWN_ALERTS]:
                del self._alert_times[identifier]

    # --- bookmarks -----------------------------------------------------------------------
    def _on_bookmarks_toggled(self, shown: bool) -> None:
        """The list opens beside the lanes at a readable width, the lanes keep the rest."""
        self.bookmark_list.setVisible(shown)
        if shown:
            width = self.splitter.width()
            side = min(max(LIST_WIDTH, width // 4), width // 2)
            self.splitter.setSizes([width - side, side])

    def _on_permissions(self) -> None:
        self.bookmark_list.may_delete = self.gate.allows(Permission.BOOKMARK)

    def add_bookmark(self, at: float | None = None) -> None:
        """Asks for a note for a bookmark at ``at``, else at the cursor, else now."""
        if not self.gate.allows(Permission.BOOKMARK):
            return
        moment = at if at is not None else self.cursor if self.cursor is not None else time.time()
        self.bookmarker.ask(moment)

    @property
    def bookmark_dialog(self) -> QtBookmarkDialog | None:
        return self.bookmarker.dialog

    def _on_context_menu(self, event: TimelineEvent | None, t: float, where: QPoint) -> None:
        menu = QMenu(self)
        review = QAction(gettext("Review from here"), menu)
        review.triggered.connect(lambda: self.review_at(t))
        mark = QAction(gettext("Add bookmark here..."), menu)
        mark.triggered.connect(lambda: self.add_bookmark(t))
        menu.addAction(review)
        may_bookmark = self.gate.allows(Permission.BOOKMARK)
        if may_bookmark:
            menu.addAction(mark)
        if may_bookmark and event is not None and event.kind == "bookmark":
            delete = QAction(gettext("Delete bookmark"), menu)
            delete.triggered.connect(lambda: self.bookmarker.delete(event.identifier))
            menu.addAction(delete)
        menu.aboutToHide.connect(menu.deleteLater)
        menu.popup(where)

    # --- keyboard --------------------------------------------------------------------------
    def keyPressEvent(self, event: QKeyEvent) -> None:
        key, shift = event.key(), bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        step = FINE_STEP_S if shift else STEP_S
        if key == Qt.Key.Key_Left:
            self.step_cursor(-step)
        elif key == Qt.Key.Key_Right:
            self.step_cursor(step)
        elif key == Qt.Key.Key_Home:
            self.review_at(self.view.start)
        elif key == Qt.Key.Key_End:
            self.review_at(self.view.end)
        elif key == Qt.Key.Key_B:
            self.add_bookmark()
        elif key == Qt.Key.Key_Escape:
            self.go_live()
        elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal):
            self.zoom(ZOOM_STEP)
        elif key == Qt.Key.Key_Minus:
            self.zoom(1 / ZOOM_STEP)
        else:
            super().keyPressEvent(event)

    def _on_go_to(self) -> None:
        moment = self.bar.go_to_time()
        self.review_at(moment.timestamp())
        self.centre_on(moment.timestamp())

    # --- lifecycle -------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.bar.retranslate()
        self.bookmark_list.retranslate()
        self._show_state()
        self.view.update()

    def stop(self) -> None:
        self.gate.stop()
        for subscription in self._subscriptions:
            subscription.cancel()
        self._live_timer.stop()
        self._queries.stop()
        self._cursors.stop()
        self.bookmarker.stop()
