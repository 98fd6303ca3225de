"""What the timeline panel knows: the events of the last answered window plus live ones, per lane.

The view paints from here at up to 10 Hz, so everything a paint needs is a binary search and
one vectorised pass over the visible slice: each lane keeps its events sorted by time with a
parallel NumPy array of epoch seconds. Marks closer than a few pixels merge into one counted
mark by bucketing time into pixel-sized buckets aligned on absolute time (not on the view's
left edge), so a mark does not flicker between merged and split while the view pans or the live
edge moves.
"""

from __future__ import annotations

import bisect
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from app.model import Bookmark
from app.timeline.messages import LANES, TimelineEvent, TimelineWindow

# Live events kept beside a window: those that arrive while a query is in flight must survive
# its answer, which the service may have read before they were stored.
RECENT_APPENDS = 2000
# A lane never holds more than this many events in memory, whatever the live rate.
MAX_PER_LANE = 50_000


@dataclass(frozen=True, slots=True)
class Mark:
    """One glyph on a lane: ``count`` events around ``time``, ``first`` indexes the lane."""

    lane: str
    time: float
    count: int
    first: int


def _key(event: TimelineEvent) -> tuple[str, str]:
    return (event.kind, event.identifier)


class _Lane:
    def __init__(self) -> None:
        self.times: list[float] = []
        self.events: list[TimelineEvent] = []
        self._array: np.ndarray | None = None

    def insert(self, event: TimelineEvent) -> None:
        t = event.time.timestamp()
        index = bisect.bisect_right(self.times, t)
        self.times.insert(index, t)
        self.events.insert(index, event)
        self._array = None

    def remove(self, key: tuple[str, str]) -> None:
        kept = [(t, e) for t, e in zip(self.times, self.events, strict=True) if _key(e) != key]
        self.times = [t for t, _ in kept]
        self.events = [e for _, e in kept]
        self._array = None

    def trim(self, limit: int) -> None:
        if len(self.events) > limit:
            del self.times[: len(self.times) - limit]
            del self.events[: len(self.events) - limit]
            self._array = None

    @property
    def array(self) -> np.ndarray:
        if self._array is None:
            self._array = np.asarray(self.times, dtype=np.float64)
        return self._array


class TimelineData:
    def __init__(self) -> None:
        self.lanes: dict[str, _Lane] = {lane: _Lane() for lane in LANES}
        # Lanes the service thinned: lane -> (events shown, events in the window).
        self.truncated: dict[str, tuple[int, int]] = {}
        self.version = 0  # changes whenever what a paint would show changes
        self._index: dict[tuple[str, str], TimelineEvent] = {}
        self._recent: deque[TimelineEvent] = deque(maxlen=RECENT_APPENDS)
        self._bookmarks: tuple[Bookmark, ...] | None = None

    # --- input -----------------------------------------------------------------------------
    def apply_window(self, window: TimelineWindow) -> None:
        """Replaces what is known by the window's events (and the live ones in its range)."""
        self.lanes = {lane: _Lane() for lane in LANES}
        self._index = {}
        start, end = window.start.timestamp(), window.end.timestamp()
        recent = [e for e in self._recent if start <= e.time.timestamp() <= end]
        for event in window.events:
            self._add(event)
        for event in recent:
            if _key(event) not in self._index:
                self._add(event)
        self.truncated = _truncated_lanes(window)
        if self._bookmarks is not None:
            self._show_bookmarks(self._bookmarks)
        self.version += 1

    def append(self, events: Iterable[TimelineEvent]) -> None:
        for event in events:
            self._recent.append(event)
            self._add(event)
        for lane in self.lanes.values():
            lane.trim(MAX_PER_LANE)
        self.version += 1

    def set_bookmarks(self, bookmarks: Sequence[Bookmark]) -> None:
        """Once the service has said which bookmarks exist, its list is the bookmarks lane."""
        self._bookmarks = tuple(bookmarks)
        self._show_bookmarks(self._bookmarks)
        self.version += 1

    def _show_bookmarks(self, bookmarks: Sequence[Bookmark]) -> None:
        for event in self.lanes["bookmarks"].events:
            self._index.pop(_key(event), None)
        self.lanes["bookmarks"] = _Lane()
        for bookmark in bookmarks:
            self._add(bookmark_event(bookmark))

    def _add(self, event: TimelineEvent) -> None:
        lane = self.lanes.get(event.lane)
        if lane is None:
            return
        known = self._index.get(_key(event))
        if known is not None:  # an escalated alert moves lanes; a repeated one is not doubled
            self.lanes[known.lane].remove(_key(known))
        lane.insert(event)
        self._index[_key(event)] = event

    # --- output ----------------------------------------------------------------------------
    def find(self, kind: str, identifier: str) -> TimelineEvent | None:
        return self._index.get((kind, identifier))

    def bookmark(self, identifier: str) -> Bookmark | None:
        return next((b for b in self._bookmarks or () if b.identifier == identifier), None)

    @property
    def bookmarks(self) -> tuple[Bookmark, ...] | None:
        """The service's list, or ``None`` before it has sent one."""
        return self._bookmarks

    def count(self, lane: str) -> int:
        return len(self.lanes[lane].events)

    def event(self, lane: str, index: int) -> TimelineEvent:
        return self.lanes[lane].events[index]

    def members(self, mark: Mark) -> list[TimelineEvent]:
        return self.lanes[mark.lane].events[mark.first : mark.first + mark.count]

    def marks(self, lane: str, start: float, end: float, bucket_s: float) -> list[Mark]:
        """The lane's marks in ``[start, end]``: events in one ``bucket_s``-wide bucket merge."""
        times = self.lanes[lane].array
        low = int(np.searchsorted(times, start - bucket_s, "left"))
        high = int(np.searchsorted(times, end + bucket_s, "right"))
        visible = times[low:high]
        if not len(visible):
            return []
        buckets = np.floor(visible / bucket_s).astype(np.int64)
        starts = np.flatnonzero(np.r_[True, buckets[1:] != buckets[:-1]])
        counts = np.diff(np.r_[starts, len(visible)])
        centres = np.add.reduceat(visible, starts) / counts
        return [
            Mark(lane, float(t), int(n), low + int(s))
            for t, n, s in zip(centres, counts, starts, strict=True)
        ]


def bookmark_event(bookmark: Bookmark) -> TimelineEvent:
    return TimelineEvent(
        lane="bookmarks",
        time=bookmark.time,
        kind="bookmark",
        identifier=bookmark.identifier,
        title=bookmark.note,
    )


def _truncated_lanes(window: TimelineWindow) -> dict[str, tuple[int, int]]:
    """The lanes the service thinned: lane -> (events shown, events in the window)."""
    shown = Counter(event.lane for event in window.events)
    return {lane: (shown[lane], total) for lane, total in window.counts if total > shown[lane]}
