"""The report's charts and map, ready for the template: SVG for the drawing, and the words
(titles, legends, names) as plain values the HTML prints around it.

Time to acknowledge is drawn as an HTML table of bars rather than SVG: its labels are alert
headlines, which may be Arabic, and only HTML text is shaped and ordered right to left.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, tzinfo
from typing import Any

from app.exercise.timing import scenario_seconds
from app.model import Observation, Priority, Sensor
from app.report import charts
from app.report.data import ReportData
from app.report.map_snapshot import legend_symbols, map_snapshot, shape_colour
from app.report.sections import number
from app.report.texts import word
from app.terminology import Terminology
from i18n import isolate, ngettext

MAX_ACK_BARS = 40
MAX_SENSOR_CHARTS = 4
BAR_SPAN = 85.0  # per cent of the row the longest bar takes: room is left for its number
WARNING_COLOUR, ALARM_COLOUR = "#ef6c00", "#c62828"


def chart_section(data: ReportData, terms: Terminology, tz: tzinfo) -> dict[str, Any]:
    priority_svg, minutes = charts.priority_chart(data.alerts, data.start, data.end, terms, tz)
    bars = ack_bars(data, terms)
    return {
        "priority": priority_svg,
        "priority_title": bucket_title(minutes),
        "legend": [
            {"name": terms.priority(p).name, "colour": terms.priority(p).colour} for p in Priority
        ],
        "ack": bars[:MAX_ACK_BARS],
        "ack_total": len(bars),
        "ack_shown": min(len(bars), MAX_ACK_BARS),
        "ack_limits": any(b["limit"] is not None for b in bars[:MAX_ACK_BARS]),
        "sensors": sensor_charts(data, tz),
    }


def bucket_title(minutes: int) -> str:
    """ "Alerts per 5 min", "per 2 hours", "per day"...: the bucket in the unit people use."""
    if minutes % charts.DAY_MINUTES == 0:
        days = minutes // charts.DAY_MINUTES
        text = ngettext("Alerts per day, by priority", "Alerts per {days} days, by priority", days)
        return text.format(days=number(days))
    if minutes % 60 == 0:
        hours = minutes // 60
        text = ngettext(
            "Alerts per hour, by priority", "Alerts per {hours} hours, by priority", hours
        )
        return text.format(hours=number(hours))
    return word("alerts_per_bucket").format(minutes=number(minutes))


def ack_bars(data: ReportData, terms: Terminology) -> list[dict[str, Any]]:
    """One row per alert: how long until it was seen, as a bar scaled to the longest (or to
    the time allowed, whichever is more). Exercise alerts with an expectation come from the
    score (scenario seconds); otherwise every alert's first action (wall seconds)."""
    rows: list[tuple[Any, float | None, float | None]] = []
    by_id = {a.identifier: a for a in data.alerts}
    if data.score is not None and data.score.items:
        for item in data.score.items:
            alert = by_id.get(item.alert_identifier or "")
            if alert is not None and item.arrived_s is not None:
                ack = next((c for c in item.criteria if c.name == "acknowledge"), None)
                rows.append((alert, item.acknowledged_s, ack.limit_s if ack else None))
    else:
        first_seen: dict[str, datetime] = {}
        for action in data.actions:
            first_seen.setdefault(action.alert_identifier, action.time)
        for alert in data.alerts:
            seen = first_seen.get(alert.identifier)
            rows.append((alert, None if seen is None else _elapsed(data, alert.sent, seen), None))
    top = max([s or 0.0 for _, s, _ in rows] + [x or 0.0 for _, _, x in rows] + [1.0])
    return [
        {
            "label": isolate(alert.headline),
            "colour": terms.priority(alert.priority).colour,
            "seconds": None if seconds is None else number(round(seconds)),
            "width": 0.0 if seconds is None else round(max(0.5, BAR_SPAN * seconds / top), 2),
            "limit": None if limit is None else round(BAR_SPAN * limit / top, 2),
            "limit_text": None if limit is None else number(limit),
        }
        for alert, seconds, limit in rows
    ]


def _elapsed(data: ReportData, start: datetime, end: datetime) -> float:
    if data.run is not None and data.run.clock:
        clock = data.run.clock
        return max(0.0, scenario_seconds(clock, end) - scenario_seconds(clock, start))
    return max(0.0, (end - start).total_seconds())


def sensor_charts(data: ReportData, tz: tzinfo) -> list[dict[str, Any]]:
    """The sensors with readings in the report, those that crossed a level first."""
    series: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for observation in data.observations:
        series[(observation.sensor_id, observation.quantity)].append(observation)
    sensors = {s.identifier: s for s in data.layers.sensors}

    def levels(key: tuple[str, str]) -> tuple[float | None, float | None]:
        sensor = sensors.get(key[0])
        if sensor is None or sensor.quantity != key[1]:
            return None, None
        return sensor.warning, sensor.alarm

    def order(key: tuple[str, str]) -> tuple[int, int]:
        lowest = min((x for x in levels(key) if x is not None), default=None)
        crossed = lowest is not None and any(o.value >= lowest for o in series[key])
        return (0 if crossed else 1, -len(series[key]))

    out = []
    for key in sorted(series, key=order)[:MAX_SENSOR_CHARTS]:
        readings = sorted(series[key], key=lambda o: o.time)
        sensor: Sensor | None = sensors.get(key[0])
        warning, alarm = levels(key)
        out.append(
            {
                "title": word("sensor_chart").format(
                    sensor=isolate(sensor.name if sensor else key[0]),
                    quantity=isolate(key[1]),
                    unit=isolate(readings[0].unit),
                ),
                "svg": charts.sensor_chart(
                    [(o.time, o.value) for o in readings], data.start, data.end, tz, warning, alarm
                ),
                "levels": [
                    {"name": word(name), "value": number(value), "colour": colour}
                    for name, value, colour in (
                        ("warning_level", warning, WARNING_COLOUR),
                        ("alarm_level", alarm, ALARM_COLOUR),
                    )
                    if value is not None
                ],
            }
        )
    return out


def map_section(data: ReportData, terms: Terminology, when) -> dict[str, Any]:
    snapshot = map_snapshot(data.layers, data.alerts, terms)
    kinds = {"zone": word("zone"), "venue": word("venue")}
    return {
        "svg": snapshot.svg,
        "symbols": legend_symbols(),
        "rows": [
            {
                "n": number(n),
                "time": when(alert.sent),
                "priority": terms.priority(alert.priority).name,
                "colour": terms.priority(alert.priority).colour,
                "headline": isolate(alert.headline),
            }
            for n, alert in snapshot.numbered
        ],
        "zones": [
            {
                "letter": letter,
                "name": isolate(shape.name),
                "kind": kinds.get(shape.kind, shape.kind),
                "colour": shape_colour(shape),
            }
            for letter, shape in snapshot.lettered
        ],
    }
