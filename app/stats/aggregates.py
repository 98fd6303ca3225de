"""Aggregates for strategic monitoring and planning: how many alerts of which category came
when, how fast operators acknowledged them, which tools sent most, and where alerts cluster by
hour of day.

Pure functions over records: no Qt, no store, no clock. Hours and days are the operator's local
ones (``tz``; ``None`` means the workstation's zone), because "Friday evenings are busy" is a
statement in local time, and a day that starts at UTC midnight would split Oslo's evening in two.
Every alert counts once, however many repeats were folded into it.
"""

from __future__ import annotations

import logging
import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from enum import StrEnum
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from app.alerts.geo_math import position
from app.alerts.lifecycle import Action
from app.model import Alert, AlertAction, Category, GeoPoint

log = logging.getLogger(__name__)

HOURS_PER_DAY = 24
METRES_PER_DEGREE = 111_320.0
MINUTES_PER_DAY = 24 * 60
# Round bin widths an operator reads at a glance; the narrowest that keeps the histogram
# within MAX_ACK_BINS bars wins.
ACK_BIN_WIDTHS_MIN = (1, 2, 5, 10, 15, 30, 60, 120, 240, 480, 720, MINUTES_PER_DAY)
MAX_ACK_BINS = 24
TOP_SOURCES = 10
HEAT_CELL_M = 250.0
HEAT_CELLS = 20


class Granularity(StrEnum):
    HOUR = "hour"
    DAY = "day"


def _require_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone (got naive {value.isoformat()})")


@dataclass(frozen=True, slots=True)
class StatsInput:
    """What the store holds for one period: the alerts sent in ``[since, until)`` and every
    action taken on them (actions may come after ``until``: a late acknowledgement counts)."""

    since: datetime
    until: datetime
    alerts: tuple[Alert, ...]
    actions: tuple[AlertAction, ...] = ()

    def __post_init__(self) -> None:
        _require_aware("since", self.since)
        _require_aware("until", self.until)


@dataclass(frozen=True, slots=True)
class CategoryCounts:
    """Alerts per CAP category per local hour or day. ``buckets`` are the local starts of every
    hour or day of the period, empty ones included, so gaps show as gaps; ``categories`` are the
    ones that occur, in CAP order; ``counts[bucket][category]``."""

    granularity: Granularity
    buckets: tuple[datetime, ...]
    categories: tuple[Category, ...]
    counts: tuple[tuple[int, ...], ...]

    def column(self, category: Category) -> tuple[int, ...]:
        index = self.categories.index(category)
        return tuple(row[index] for row in self.counts)

    @property
    def totals(self) -> tuple[int, ...]:
        return tuple(sum(row) for row in self.counts)


@dataclass(frozen=True, slots=True)
class AckDistribution:
    """Minutes from sending to the first acknowledgement, per acknowledged alert (sorted), and
    their histogram (``edges`` has one more entry than ``counts``; empty when nothing was
    acknowledged). Alerts never acknowledged (closed without it, or still waiting) are not in
    the histogram: ``never_acknowledged`` says how many, so a fast median cannot hide them."""

    minutes: tuple[float, ...]
    edges: tuple[float, ...]
    counts: tuple[int, ...]
    never_acknowledged: int

    @property
    def acknowledged(self) -> int:
        return len(self.minutes)

    def percentile(self, percent: float) -> float | None:
        return float(np.percentile(self.minutes, percent)) if self.minutes else None


@dataclass(frozen=True, slots=True)
class TopSources:
    """The busiest tools, busiest first (ties by name, so the order never flickers), and how
    many alerts came from the tools not shown."""

    sources: tuple[str, ...]
    counts: tuple[int, ...]
    others: int = 0
    other_sources: int = 0


@dataclass(frozen=True, slots=True)
class HeatCell:
    """One grid cell of about ``cell_m`` square; ``lat``/``lon`` are its centre."""

    row: int
    column: int
    lat: float
    lon: float


@dataclass(frozen=True, slots=True)
class LocationHeat:
    """Located alerts per grid cell and local hour of day, busiest cells first;
    ``counts[cell][hour]``. ``elsewhere`` counts located alerts in cells not shown,
    ``unlocated`` alerts with no position at all."""

    cell_m: float
    cells: tuple[HeatCell, ...]
    counts: tuple[tuple[int, ...], ...]
    elsewhere: int = 0
    unlocated: int = 0


@dataclass(frozen=True, slots=True)
class StatsReport:
    """Everything the diagrams show for one period, computed off the GUI thread."""

    since: datetime
    until: datetime
    zone: tzinfo
    total: int
    per_hour: CategoryCounts
    per_day: CategoryCounts
    ack: AckDistribution
    sources: TopSources
    heat: LocationHeat

    def categories(self, granularity: Granularity) -> CategoryCounts:
        return self.per_hour if granularity is Granularity.HOUR else self.per_day


def system_zone() -> tzinfo:
    """The workstation's zone with its summer-time rules, so that last winter's alerts land in
    winter hours; today's fixed offset when the zone cannot be named (Windows without tzdata)."""
    name = os.environ.get("TZ", "").lstrip(":")
    try:
        if name:
            return ZoneInfo(name)
        with open("/etc/localtime", "rb") as handle:
            return ZoneInfo.from_file(handle, key="localtime")
    except (OSError, ValueError, ZoneInfoNotFoundError):
        fixed = datetime.now().astimezone().tzinfo
        log.info("Local time zone has no rules here; using the fixed offset %s", fixed)
        assert fixed is not None
        return fixed


def _floor(moment: datetime, granularity: Granularity, zone: tzinfo) -> datetime:
    local = moment.astimezone(zone)
    if granularity is Granularity.DAY:
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    return local.replace(minute=0, second=0, microsecond=0)


def _hours(since: datetime, until: datetime) -> Iterator[datetime]:
    """One moment in every hour-long stretch of ``[since, until)``, and its very last moment, so
    that a bucket only partly inside the period (half-hour zones) is not lost."""
    moment = since
    while moment < until:
        yield moment
        moment += timedelta(hours=1)
    if since < until:
        yield until - timedelta(microseconds=1)


def category_counts(
    alerts: Iterable[Alert],
    since: datetime,
    until: datetime,
    granularity: Granularity = Granularity.HOUR,
    tz: tzinfo | None = None,
) -> CategoryCounts:
    """Counts per local hour or day. Buckets are keyed by their UTC instant: the hour repeated
    when summer time ends is two buckets, not one with double the alerts."""
    zone = tz or system_zone()
    starts: dict[datetime, datetime] = {}
    for moment in _hours(since, until):
        start = _floor(moment, granularity, zone)
        starts.setdefault(start.astimezone(UTC), start)
    tally: Counter[tuple[datetime, Category]] = Counter()
    for alert in alerts:
        start = _floor(alert.sent, granularity, zone)
        key = start.astimezone(UTC)
        starts.setdefault(key, start)
        tally[key, alert.category] += 1
    keys = sorted(starts)
    present = {category for _, category in tally}
    categories = tuple(c for c in Category if c in present)
    counts = tuple(tuple(tally[key, c] for c in categories) for key in keys)
    return CategoryCounts(granularity, tuple(starts[k] for k in keys), categories, counts)


def first_acknowledgements(actions: Iterable[AlertAction]) -> dict[str, datetime]:
    """Each alert's first acknowledgement: a re-acknowledgement after a reopen is not the
    response time."""
    first: dict[str, datetime] = {}
    for action in actions:
        if action.action != Action.ACKNOWLEDGE:
            continue
        seen = first.get(action.alert_identifier)
        if seen is None or action.time < seen:
            first[action.alert_identifier] = action.time
    return first


def _ack_edges(longest: float) -> tuple[float, ...]:
    for width in ACK_BIN_WIDTHS_MIN:
        if longest <= width * MAX_ACK_BINS:
            break
    else:
        width = MINUTES_PER_DAY * math.ceil(longest / (MINUTES_PER_DAY * MAX_ACK_BINS))
    bins = max(1, math.ceil(longest / width))
    return tuple(float(width * i) for i in range(bins + 1))


def ack_distribution(alerts: Iterable[Alert], actions: Iterable[AlertAction]) -> AckDistribution:
    """Time to acknowledge, from the alert's first sending. An acknowledgement stamped before
    the alert (a tool's clock ahead of the console's) counts as zero, not as negative."""
    acknowledged = first_acknowledgements(actions)
    minutes: list[float] = []
    never = 0
    for alert in alerts:
        when = acknowledged.get(alert.identifier)
        if when is None:
            never += 1
        else:
            minutes.append(max(0.0, (when - alert.sent).total_seconds() / 60.0))
    if not minutes:
        return AckDistribution((), (), (), never)
    minutes.sort()
    edges = _ack_edges(minutes[-1])
    counts, _ = np.histogram(minutes, bins=edges)
    return AckDistribution(tuple(minutes), edges, tuple(int(c) for c in counts), never)


def top_sources(alerts: Iterable[Alert], limit: int = TOP_SOURCES) -> TopSources:
    tally = Counter(alert.source_tool for alert in alerts)
    ranked = sorted(tally.items(), key=lambda item: (-item[1], item[0].casefold(), item[0]))
    shown, rest = ranked[:limit], ranked[limit:]
    return TopSources(
        tuple(name for name, _ in shown),
        tuple(count for _, count in shown),
        sum(count for _, count in rest),
        len(rest),
    )


def heat_cell(point: GeoPoint, cell_m: float = HEAT_CELL_M) -> HeatCell:
    """The grid cell holding ``point``: rows of equal latitude span, and in each row cells as
    wide in metres as they are tall (a degree of longitude shrinks towards the poles)."""
    lat_span = cell_m / METRES_PER_DEGREE
    row = math.floor(point.lat / lat_span)
    centre_lat = (row + 0.5) * lat_span
    lon_span = lat_span / max(math.cos(math.radians(centre_lat)), 0.01)
    column = math.floor(point.lon / lon_span)
    return HeatCell(row, column, centre_lat, (column + 0.5) * lon_span)


def location_heat(
    alerts: Iterable[Alert],
    tz: tzinfo | None = None,
    cell_m: float = HEAT_CELL_M,
    limit: int = HEAT_CELLS,
) -> LocationHeat:
    """Alerts per cell and local hour of day; an alert with only an area counts at the area's
    centre (see ``geo_math.position``)."""
    zone = tz or system_zone()
    cells: dict[HeatCell, list[int]] = {}
    unlocated = 0
    for alert in alerts:
        where = position(alert)
        if where is None:
            unlocated += 1
            continue
        hours = cells.setdefault(heat_cell(where, cell_m), [0] * HOURS_PER_DAY)
        hours[alert.sent.astimezone(zone).hour] += 1
    # Busiest first; ties north before south, then west before east, so the order is stable.
    ranked = sorted(cells.items(), key=lambda item: (-sum(item[1]), -item[0].row, item[0].column))
    shown, rest = ranked[:limit], ranked[limit:]
    return LocationHeat(
        cell_m,
        tuple(cell for cell, _ in shown),
        tuple(tuple(hours) for _, hours in shown),
        sum(sum(hours) for _, hours in rest),
        unlocated,
    )


def summarise(data: StatsInput, tz: tzinfo | None = None) -> StatsReport:
    """Every diagram's aggregate for one period, in one zone."""
    zone = tz or system_zone()
    alerts = data.alerts
    return StatsReport(
        since=data.since,
        until=data.until,
        zone=zone,
        total=len(alerts),
        per_hour=category_counts(alerts, data.since, data.until, Granularity.HOUR, zone),
        per_day=category_counts(alerts, data.since, data.until, Granularity.DAY, zone),
        ack=ack_distribution(alerts, data.actions),
        sources=top_sources(alerts),
        heat=location_heat(alerts, zone),
    )
