"""Hub messages of the timeline and review mode.

Review mode: a panel (the timeline) publishes ``app.messages.ReviewCursor(t)``; the core's
``ReviewService`` reconstructs the console's state at ``t`` off the GUI thread and publishes one
``ReviewState``; every panel shows it instead of live data until ``ReviewCursor(None)``, when
the service publishes ``ReviewState(time=None)`` and panels return to live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.model import Alert, Bookmark, Detection, Observation, Post, Track


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    """One mark on a lane. ``lane`` is one of ``LANES``; ``kind``/``identifier`` say what to
    select when it is clicked (``alert``, ``detection``, ``post``, ``action``, ``bookmark``)."""

    lane: str
    time: datetime
    kind: str
    identifier: str
    title: str
    priority: int | None = None
    end: datetime | None = None
    # What the event is about when that is another record: the alert an operator action was
    # taken on, the incident a log entry belongs to (``None`` for alerts, detections...).
    subject: str | None = None


# Lanes, top to bottom. Alerts are split by priority so a P1 never hides among P4s.
LANES = (
    "alerts-p1",
    "alerts-p2",
    "alerts-p3",
    "alerts-p4",
    "detections",
    "posts",
    "sensor-anomalies",
    "threat-intel",
    "operator-actions",
    "bookmarks",
)


@dataclass(frozen=True, slots=True)
class TimelineQuery:
    """Asks for the events in [start, end] (published by the panel; answered off the GUI)."""

    start: datetime
    end: datetime
    request: int = 0


@dataclass(frozen=True, slots=True)
class TimelineWindow:
    """The answer to a ``TimelineQuery``: events sorted by time; ``truncated`` when a lane had
    more than the panel can draw (it then shows the count, not every mark)."""

    start: datetime
    end: datetime
    events: tuple[TimelineEvent, ...]
    request: int = 0
    truncated: bool = False
    # (lane, how many events it has in the window), for every lane with any: a truncated lane
    # shows this number rather than its marks.
    counts: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class AddBookmark:
    """A command: mark ``time`` with ``note``."""

    time: datetime
    note: str
    by: str
    exercise_id: str | None = None


@dataclass(frozen=True, slots=True)
class DeleteBookmark:
    identifier: str
    by: str


@dataclass(frozen=True, slots=True)
class BookmarkRefused:
    """A bookmark command that could not be carried out; ``message`` is translated."""

    command: AddBookmark | DeleteBookmark
    message: str


@dataclass(frozen=True, slots=True)
class TimelineAppend:
    """Events of records that arrived live, so the panel's live view grows without asking
    again. The panel treats each as an upsert keyed by ``(kind, identifier)``: an escalated
    alert comes again in its new lane. Bookmarks come here too, but deletions only as
    ``BookmarksChanged``."""

    events: tuple[TimelineEvent, ...]


@dataclass(frozen=True, slots=True)
class BookmarksChanged:
    bookmarks: tuple[Bookmark, ...]


@dataclass(frozen=True, slots=True)
class ReviewState:
    """The console as it stood at ``time`` (``None``: back to live). ``alerts`` carry the triage
    state they had then; ``tracks`` are each track's last position at or before ``time``;
    ``detections`` and ``posts`` are those of the minutes before it; ``snapshots`` maps a camera
    to its latest snapshot URI at or before ``time``; ``observations`` are the sensor readings
    of the hour before.

    The exact rules (``app/timeline/review.py``): alerts open at ``time`` plus those that
    changed in the hour before it, most urgent first; tracks that reported in the 10 minutes
    before; detections and posts of the 5 minutes before (at most 2,000 each, newest first);
    readings of the hour before, thinned per sensor to about 2,400 in all, each sensor's latest
    kept; snapshots of the hour before."""

    time: datetime | None
    alerts: tuple[Alert, ...] = ()
    tracks: tuple[Track, ...] = ()
    detections: tuple[Detection, ...] = ()
    posts: tuple[Post, ...] = ()
    observations: tuple[Observation, ...] = ()
    snapshots: tuple[tuple[str, str], ...] = ()
    # (camera, when its snapshot in ``snapshots`` was taken), in the same order.
    snapshot_times: tuple[tuple[str, datetime], ...] = ()
