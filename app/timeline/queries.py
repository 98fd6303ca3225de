"""The timeline's window query: every lane's events between two instants, at most
``per_lane_limit`` each, through the time indexes.

A busy day has 100,000 records and more; the panel draws a few hundred marks per lane. Each
lane is first counted (per priority level for alerts, one pass over the window's alerts).
When a lane holds more than its limit, the most important rows are kept (whole priority
levels, most urgent first, while they fit) and the level that does not fit is thinned
evenly over the window inside the database (``sampling``), so only kept rows are read.
The panel shows the lane's true count beside its marks (``TimelineWindow.counts``).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, select
from sqlalchemy.orm import Session

from app.storage.orm import AlertRow
from app.terminology import Terminology, default_terminology
from app.timeline import lanes
from app.timeline.messages import LANES, TimelineEvent, TimelineWindow
from app.timeline.sampling import sample_times
from app.timeline.sources import LaneSource, lane_sources

DEFAULT_PER_LANE_LIMIT = 400


@dataclass(frozen=True, slots=True)
class Level:
    """Rows of one priority level of one source in the window, and their time span."""

    count: int
    first: datetime
    last: datetime


def events_between(
    session: Session,
    start: datetime,
    end: datetime,
    per_lane_limit: int = DEFAULT_PER_LANE_LIMIT,
    terms: Terminology | None = None,
    request: int = 0,
) -> TimelineWindow:
    """The events in [start, end], sorted by time; ``truncated`` when any lane was thinned."""
    terms = terms or default_terminology()
    sources = lane_sources()
    alert_levels = _alert_levels(session, start, end)
    levels = [
        alert_levels.get(s.lane, {}) if s.priority is not None else _levels(session, s, start, end)
        for s in sources
    ]
    totals: Counter[str] = Counter()
    for source, counted in zip(sources, levels, strict=True):
        totals[source.lane] += sum(level.count for level in counted.values())
    budgets = _share(sources, levels, totals, per_lane_limit)
    events: list[TimelineEvent] = []
    truncated = False
    for source, counted, budget in zip(sources, levels, budgets, strict=True):
        truncated |= sum(level.count for level in counted.values()) > budget
        for key, take in _plan(counted, budget):
            rows = _rows(session, source, key, counted[key], take)
            events.extend(source.to_event(row, terms) for row in rows)
    events.sort(key=lambda e: (e.time, LANES.index(e.lane)))
    counts = tuple((lane, totals[lane]) for lane in LANES if totals[lane])
    return TimelineWindow(start, end, tuple(events), request, truncated, counts)


def _alert_levels(session: Session, start: datetime, end: datetime) -> dict[str, dict[Any, Level]]:
    """lane → priority → level, for every alert lane, in one pass over the window."""
    family = case(
        (lanes.sensor_clause(), literal(lanes.SENSOR_LANE)),
        (lanes.threat_clause(), literal(lanes.THREAT_LANE)),
        else_=literal(""),
    ).label("family")
    query = (
        select(
            family,
            AlertRow.priority,
            func.count(),
            func.min(AlertRow.sent),
            func.max(AlertRow.sent),
        )
        .where(AlertRow.sent.between(start, end))
        .group_by(family, AlertRow.priority)
    )
    found: dict[str, dict[Any, Level]] = defaultdict(dict)
    for lane, priority, count, first, last in session.execute(query):
        lane = lane or lanes.alert_lane("", "", priority)
        found[lane][priority] = Level(count, first, last)
    return found


def _levels(
    session: Session, source: LaneSource, start: datetime, end: datetime
) -> dict[Any, Level]:
    """A source without priorities: one level, counted on its time index."""
    query = select(func.count(), func.min(source.time), func.max(source.time))
    count, first, last = session.execute(query.where(_window(source, start, end))).one()
    return {None: Level(count, first, last)} if count else {}


def _window(source: LaneSource, start: datetime, end: datetime) -> ColumnElement[bool]:
    return source.time.between(start, end) & source.where


def _share(
    sources: list[LaneSource], levels: list[dict[Any, Level]], totals: Counter[str], limit: int
) -> list[int]:
    """Each source's part of its lane's limit, in proportion to its rows (a lane fed by two
    tables, like operator actions, keeps both visible)."""
    per_lane: dict[str, int] = defaultdict(int)
    for source in sources:
        per_lane[source.lane] += 1
    budgets = []
    for source, counted in zip(sources, levels, strict=True):
        rows = sum(level.count for level in counted.values())
        if per_lane[source.lane] == 1 or totals[source.lane] <= limit:
            budgets.append(limit)
        else:
            budgets.append(max(1, math.floor(limit * rows / totals[source.lane])) if rows else 0)
    return budgets


def _plan(levels: dict[Any, Level], budget: int) -> list[tuple[Any, int | None]]:
    """(level, how many to take; ``None``: all): whole levels, most urgent first, while they
    fit; the first that does not is thinned to what is left; the rest are left out (their
    count still reaches the panel)."""
    plan: list[tuple[Any, int | None]] = []
    left = budget
    for key in sorted(levels, key=lambda p: (p is None, p)):
        count = levels[key].count
        if left <= 0:
            break
        plan.append((key, None if count <= left else left))
        left -= count
    return plan


def _rows(
    session: Session,
    source: LaneSource,
    key: Any,
    level: Level,
    take: int | None,
) -> list[Any]:
    where = source.where if key is None else source.where & (source.priority == key)
    if take is None:
        # Only the level's own span is read: a lane's few alerts need not cost a day's scan.
        span = source.time.between(level.first, level.last)
        return list(session.execute(source.base.where(span, where)))
    name = f"{source.name}/{key}"
    times = sample_times(session, name, source.time, where, level.first, level.last, take)
    rows = list(session.execute(source.base.where(where, source.time.in_(times))))
    return rows[:take]
