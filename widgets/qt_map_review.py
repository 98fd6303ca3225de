"""Review mode on the map: the time-bound objects as they were at the reviewed moment.

Alerts (those open then), tracks (their last position, unless already stale then),
detections and located posts of a ``ReviewState`` replace the live ones on the page in one
``Watchfloor.replace`` call per draw tick, however fast the commander scrubs. Cameras, sensors
and zones are not time-bound and stay live. Live records keep going into the live feed
meanwhile: the panel's draws hold its time-bound changes back (nothing is lost), and "Back to
live" puts the live picture back with one more ``replace``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from app.map.feed import FeedLimits, MapBatch, MapFeed
from app.map.objects import ObjectKey
from app.terminology import Terminology
from app.timeline.messages import ReviewState
from i18n import gettext
from widgets.qt_review_banner import REVIEW_COLOUR, REVIEW_TEXT, review_moment

REVIEW_KINDS = ("alert", "detection", "track", "post")
RunJs = Callable[[str, Callable[[object], None]], None]


def review_feed(state: ReviewState, terms: Terminology, limits: FeedLimits) -> MapFeed:
    """The objects of a reviewed moment, kept and capped the way the live map keeps them."""
    assert state.time is not None
    feed = MapFeed(terms, limits)
    cutoff = state.time - limits.track_stale
    feed.add(state.alerts)  # closed ones are not drawn, as live
    feed.add(t for t in state.tracks if t.time >= cutoff)
    feed.add(sorted(state.detections, key=lambda d: d.time))  # the newest survive the cap
    feed.add(sorted((p for p in state.posts if p.point is not None), key=lambda p: p.time))
    return feed


class QtMapReview:
    """The map panel's review state; the panel calls ``flush`` on each draw tick."""

    def __init__(self, terms: Terminology, live: MapFeed, parent: QWidget) -> None:
        self.terms = terms
        self.live = live
        self.moment: datetime | None = None
        self.feed: MapFeed | None = None  # the reviewed moment's objects
        self._send: str | None = None  # "review" or "live": a replace the page still needs
        # One replace at a time in the page: dragging the cursor must not queue up work there
        # faster than it is done; the newest moment goes when the page is free (latest wins).
        self._in_flight = False
        self.strip = QLabel(parent, objectName="mapReview", wordWrap=True, visible=False)
        self.strip.setTextFormat(Qt.TextFormat.PlainText)
        self.strip.setStyleSheet(
            f"background:{REVIEW_COLOUR}; color:{REVIEW_TEXT}; font-weight:bold; padding:4px;"
        )

    @property
    def active(self) -> bool:
        return self.moment is not None

    def on_review(self, batch: Sequence[ReviewState]) -> None:
        state = batch[-1]
        if state.time is None:
            if self.active:
                self.moment, self.feed, self._send = None, None, "live"
        else:
            self.moment = state.time
            self.feed = review_feed(state, self.terms, self.live.limits)
            self._send = "review"
        self.retranslate()

    def resend(self) -> None:
        """The page lost or must relabel what it shows (reload, language change)."""
        self._in_flight = False  # a reloaded page answers no earlier call
        if self.feed is not None:
            self.feed.resend_all()
            self._send = "review"

    def flush(self, run_js: RunJs) -> int:
        """Sends the pending replace, if any; returns how many objects it carried."""
        if self._send is None or self._in_flight:
            return 0
        if self._send == "review" and self.feed is not None:
            objects = self.feed.current(REVIEW_KINDS)
        else:
            objects = self.live.current(REVIEW_KINDS)
        self._send = None
        self._in_flight = True
        payload = json.dumps({"upsert": objects, "remove": []}, separators=(",", ":"))
        run_js(f"Watchfloor.replace({json.dumps(REVIEW_KINDS)}, {payload})", self._on_replaced)
        return len(objects)

    def _on_replaced(self, _result: object) -> None:
        self._in_flight = False

    def hold_back(self, batch: MapBatch) -> MapBatch:
        """A live batch as the page may draw it now: in review, without time-bound objects
        (they stay in the live feed for "Back to live")."""
        if not self.active:
            return batch
        return MapBatch(
            [o for o in batch.upsert if o["k"] not in REVIEW_KINDS],
            [key for key in batch.remove if key[0] not in REVIEW_KINDS],
        )

    def get(self, key: ObjectKey) -> Any | None:
        """A record on the map now: the reviewed moment's for time-bound kinds."""
        if self.feed is not None and key[0] in REVIEW_KINDS:
            return self.feed.get(key)
        return self.live.get(key)

    def retranslate(self) -> None:
        self.strip.setVisible(self.active)
        if self.moment is not None:
            self.strip.setText(
                gettext("Map as it was at {time}. Live changes are held back.").format(
                    time=review_moment(self.moment)
                )
            )
