"""The report's charts as inline SVG: alerts per priority over time and sensor series with
their warning and alarm levels. (Time to acknowledge is an HTML table of bars: see
``sections``.)

The SVG carries only lines, shapes, numbers and clock times. Words (titles, legends, level
names) are printed by the HTML around it: WeasyPrint draws SVG text glyph by glyph, without
right-to-left reordering or Arabic joining, so a word inside the SVG would be unreadable in
Arabic. Small and readable on A4: a fixed width, few ticks, colours from the terminology.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta, tzinfo

from markupsafe import Markup

from app.model import Alert, Priority
from app.report import svg
from app.terminology import Terminology
from i18n import format_decimal

WIDTH = 680
LEFT, RIGHT, TOP, BOTTOM = 44, 14, 8, 22
DAY_MINUTES = 1440
_NICE_MINUTES = (1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, DAY_MINUTES, 2 * DAY_MINUTES)
_NICE_MINUTES += (7 * DAY_MINUTES, 14 * DAY_MINUTES, 30 * DAY_MINUTES)
MAX_BUCKETS = 36
MAX_TICKS = 7
MAX_SERIES_POINTS = 600


def bucket_minutes(span_s: float, most: int = MAX_BUCKETS) -> int:
    """The smallest round bucket (1 minute ... 30 days, then whole months of 30 days) that cuts
    ``span_s`` into at most ``most`` pieces."""
    fallback = 30 * DAY_MINUTES * math.ceil(span_s / (most * 30 * DAY_MINUTES * 60))
    return next((m for m in _NICE_MINUTES if span_s / (m * 60) <= most), fallback)


def clock(t: datetime, tz: tzinfo, step_minutes: int = 1) -> str:
    """A tick label in digits only (no month or AM/PM word inside the SVG): ``HH:MM``, or the
    day as ``DD/MM`` when ticks are days apart."""
    local = t.astimezone(tz)
    if step_minutes >= DAY_MINUTES:
        return f"{format_decimal(local.day, '00')}/{format_decimal(local.month, '00')}"
    return f"{format_decimal(local.hour, '00')}:{format_decimal(local.minute, '00')}"


def time_ticks(start: datetime, end: datetime, tz: tzinfo) -> tuple[list[datetime], int]:
    """Round clock times (every 1, 2, 5, 10 ... minutes, or days) between ``start`` and
    ``end``, and the step in minutes."""
    minutes = bucket_minutes(max(60.0, (end - start).total_seconds()), MAX_TICKS)
    step = timedelta(minutes=minutes)
    local = start.astimezone(tz)
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    tick = midnight + step * math.ceil((local - midnight) / step)
    ticks = []
    while tick <= end:
        ticks.append(tick)
        tick += step
    return ticks, minutes


def nice_top(value: float) -> float:
    """The axis maximum: the smallest 1, 2, 2.5 or 5 x 10^n not below ``value``."""
    if value <= 1:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return next(f * magnitude for f in (1, 2, 2.5, 5, 10) if value <= f * magnitude)


def _x(t: datetime, start: datetime, span_s: float) -> float:
    fraction = min(1.0, max(0.0, (t - start).total_seconds() / span_s))
    return LEFT + (WIDTH - LEFT - RIGHT) * fraction


def _time_axis(start: datetime, end: datetime, tz: tzinfo, height: int) -> list[str]:
    span = max(1.0, (end - start).total_seconds())
    parts = []
    ticks, minutes = time_ticks(start, end, tz)
    for tick in ticks:
        x = _x(tick, start, span)
        parts.append(
            svg.el("line", x1=x, y1=height - BOTTOM, x2=x, y2=height - BOTTOM + 3, stroke="#888")
        )
        parts.append(
            svg.text(x, height - 8, clock(tick, tz, minutes), 8, fill="#555", text_anchor="middle")
        )
    return parts


def _value_axis(low: float, high: float, ticks: Sequence[float], height: int) -> list[str]:
    plot_h = height - TOP - BOTTOM
    parts = [
        svg.el(
            "rect",
            x=LEFT,
            y=TOP,
            width=WIDTH - LEFT - RIGHT,
            height=plot_h,
            fill="none",
            stroke="#999",
            stroke_width=0.8,
        )
    ]
    for value in ticks:
        y = TOP + plot_h * (1 - (value - low) / (high - low))
        parts.append(
            svg.el(
                "line", x1=LEFT, y1=y, x2=WIDTH - RIGHT, y2=y, stroke="#e2e2e2", stroke_width=0.6
            )
        )
        parts.append(
            svg.text(LEFT - 4, y + 3, format_decimal(value, "#,##0.##"), 8, text_anchor="end")
        )
    return parts


def priority_chart(
    alerts: Sequence[Alert], start: datetime, end: datetime, terms: Terminology, tz: tzinfo
) -> tuple[Markup, int]:
    """Stacked bars of alerts per time bucket, P1 at the bottom; returns the SVG and the
    bucket size in minutes (for the caption)."""
    minutes = bucket_minutes(max(60.0, (end - start).total_seconds()))
    size = timedelta(minutes=minutes)
    count = max(1, math.ceil((end - start) / size))
    counts = [dict.fromkeys(Priority, 0) for _ in range(count)]
    for alert in alerts:
        index = min(count - 1, max(0, int((alert.sent - start) / size)))
        counts[index][alert.priority] += 1
    height = 190
    plot_h = height - TOP - BOTTOM
    top = nice_top(max((sum(c.values()) for c in counts), default=0))
    ticks = [top / 2, top] if top >= 2 and (top / 2).is_integer() else [top]
    parts = _value_axis(0.0, top, [0.0, *ticks], height)
    bar_w = (WIDTH - LEFT - RIGHT) / count
    for i, bucket in enumerate(counts):
        y = TOP + plot_h
        for priority in Priority:
            h = plot_h * bucket[priority] / top
            if h > 0:
                y -= h
                x = LEFT + i * bar_w + min(1.0, bar_w * 0.1)
                w = max(0.8, bar_w - 2 * min(1.0, bar_w * 0.1))
                parts.append(
                    svg.el(
                        "rect", x=x, y=y, width=w, height=h, fill=terms.priority(priority).colour
                    )
                )
    parts += _time_axis(start, start + size * count, tz, height)
    return svg.document(WIDTH, height, parts), minutes


def sensor_chart(
    samples: Sequence[tuple[datetime, float]],
    start: datetime,
    end: datetime,
    tz: tzinfo,
    warning: float | None = None,
    alarm: float | None = None,
) -> Markup:
    """A sensor's readings as a line, its warning (orange) and alarm (red) levels dashed."""
    height = 140
    plot_h = height - TOP - BOTTOM
    span = max(1.0, (end - start).total_seconds())
    values = [v for _, v in samples] + [x for x in (warning, alarm) if x is not None]
    low, high = min(values, default=0.0), max(values, default=1.0)
    if high - low < 1e-9:
        low, high = low - 1, high + 1
    ticks = [low, high]
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad

    def y_of(value: float) -> float:
        return TOP + plot_h * (1 - (value - low) / (high - low))

    parts = _value_axis(low, high, ticks, height)
    for level, colour in ((warning, "#ef6c00"), (alarm, "#c62828")):
        if level is not None:
            y = y_of(level)
            parts.append(
                svg.el(
                    "line",
                    x1=LEFT,
                    y1=y,
                    x2=WIDTH - RIGHT,
                    y2=y,
                    stroke=colour,
                    stroke_width=1.2,
                    stroke_dasharray="6,3",
                )
            )
    coords = [(_x(t, start, span), y_of(v)) for t, v in thin(samples, MAX_SERIES_POINTS)]
    if coords:
        parts.append(
            svg.el(
                "polyline",
                points=svg.points(coords),
                fill="none",
                stroke="#1565c0",
                stroke_width=1.2,
            )
        )
    parts += _time_axis(start, end, tz, height)
    return svg.document(WIDTH, height, parts)


def thin(samples: Sequence[tuple[datetime, float]], most: int) -> list[tuple[datetime, float]]:
    """At most ``most`` samples, keeping each slice's lowest and highest reading so that a
    spike survives the thinning (the spike is usually why the sensor is in the report)."""
    if len(samples) <= most:
        return list(samples)
    size = len(samples) / (most / 2)
    kept: list[tuple[datetime, float]] = []
    for i in range(most // 2):
        chunk = samples[int(i * size) : int((i + 1) * size)]
        if chunk:
            pair = sorted({min(chunk, key=lambda s: s[1]), max(chunk, key=lambda s: s[1])})
            kept.extend(pair)
    return kept
