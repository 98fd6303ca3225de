"""Where each lane's events come from: a table, its indexed time column, a filter, the few
columns a mark needs, and how a row becomes a ``TimelineEvent``.

Rows are read as plain column tuples, never as whole records: a 24-hour window may touch
hundreds of thousands of rows, and a mark needs five of their fields.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, select, true

from app.model import Bookmark, IncidentEntry
from app.storage.codecs import from_row
from app.storage.orm import (
    AlertActionRow,
    AlertRow,
    BookmarkRow,
    DetectionRow,
    IncidentEntryRow,
    PostRow,
)
from app.terminology import Terminology
from app.timeline import lanes
from app.timeline.messages import TimelineEvent
from app.timeline.titles import action_title, entry_title

ToEvent = Callable[[Any, Terminology], TimelineEvent]


@dataclass(frozen=True, slots=True)
class LaneSource:
    """One table's share of one lane. ``priority`` is the column the most important rows are
    chosen by when the lane holds more than the panel can draw (``None``: spread only)."""

    lane: str
    name: str  # unique among the sources: names the source's cached statements
    base: Select[Any]
    time: Any
    where: ColumnElement[bool]
    to_event: ToEvent
    priority: Any = None


def _alert_event(row: Any, terms: Terminology) -> TimelineEvent:
    end = row.last_seen if row.last_seen is not None and row.last_seen > row.sent else None
    return TimelineEvent(
        lane=lanes.alert_lane(row.source_tool, row.event_type, row.priority),
        time=row.sent,
        kind="alert",
        identifier=row.identifier,
        title=row.headline,
        priority=row.priority,
        end=end,
    )


def _detection_event(row: Any, terms: Terminology) -> TimelineEvent:
    title = lanes.detection_title_of(row.event_type, row.source_id, terms)
    priority = int(terms.event_type(row.event_type).priority)
    return TimelineEvent(
        lanes.DETECTION_LANE, row.time, "detection", row.identifier, title, priority
    )


def _post_event(row: Any, terms: Terminology) -> TimelineEvent:
    title = lanes.post_title_of(row.author, row.text)
    return TimelineEvent(lanes.POST_LANE, row.time, "post", row.identifier, title)


def _action_event(row: Any, terms: Terminology) -> TimelineEvent:
    details = {str(k): str(v) for k, v in (row.details or [])}
    title = action_title(row.action, row.by, details, row.headline, terms)
    return TimelineEvent(
        lanes.ACTION_LANE,
        row.time,
        "action",
        row.identifier,
        title,
        subject=row.alert_identifier,
    )


def _entry_event(row: Any, terms: Terminology) -> TimelineEvent:
    entry: IncidentEntry = from_row(IncidentEntry, row)
    return TimelineEvent(
        lanes.ACTION_LANE,
        entry.time,
        "incident-entry",
        entry.identifier,
        entry_title(entry, terms),
        subject=entry.incident_identifier,
    )


def _bookmark_event(row: Any, terms: Terminology) -> TimelineEvent:
    bookmark: Bookmark = from_row(Bookmark, row)
    return bookmark_event(bookmark)


def bookmark_event(bookmark: Bookmark) -> TimelineEvent:
    return TimelineEvent(
        lanes.BOOKMARK_LANE,
        bookmark.time,
        "bookmark",
        bookmark.identifier,
        lanes.bookmark_title(bookmark),
    )


_ALERT_COLUMNS = select(
    AlertRow.identifier,
    AlertRow.sent,
    AlertRow.last_seen,
    AlertRow.priority,
    AlertRow.source_tool,
    AlertRow.event_type,
    AlertRow.headline,
)
_ACTIONS = select(
    AlertActionRow.identifier,
    AlertActionRow.alert_identifier,
    AlertActionRow.action,
    AlertActionRow.by,
    AlertActionRow.time,
    AlertActionRow.details,
    AlertRow.headline,
).outerjoin(AlertRow, AlertRow.identifier == AlertActionRow.alert_identifier)


def lane_sources() -> list[LaneSource]:
    """Every lane's sources, top to bottom (``LANES`` order)."""
    alert_lanes = [*lanes.ALERT_LANES.values(), lanes.SENSOR_LANE, lanes.THREAT_LANE]
    sources = [
        LaneSource(
            lane,
            f"alerts/{lane}",
            _ALERT_COLUMNS,
            AlertRow.sent,
            lanes.lane_clause(lane),
            _alert_event,
            AlertRow.priority,
        )
        for lane in alert_lanes
    ]
    detections = select(
        DetectionRow.identifier, DetectionRow.time, DetectionRow.event_type, DetectionRow.source_id
    )
    posts = select(PostRow.identifier, PostRow.time, PostRow.author, PostRow.text)
    entries = IncidentEntryRow.kind.in_(sorted(lanes.INCIDENT_ENTRY_KINDS))
    sources += [
        LaneSource(
            lanes.DETECTION_LANE,
            "detections",
            detections,
            DetectionRow.time,
            true(),
            _detection_event,
        ),
        LaneSource(lanes.POST_LANE, "posts", posts, PostRow.time, true(), _post_event),
        LaneSource(
            lanes.ACTION_LANE, "actions", _ACTIONS, AlertActionRow.time, true(), _action_event
        ),
        LaneSource(
            lanes.ACTION_LANE,
            "incident-log",
            select(*IncidentEntryRow.__table__.columns),
            IncidentEntryRow.time,
            entries,
            _entry_event,
        ),
        LaneSource(
            lanes.BOOKMARK_LANE,
            "bookmarks",
            select(*BookmarkRow.__table__.columns),
            BookmarkRow.time,
            true(),
            _bookmark_event,
        ),
    ]
    return sources
