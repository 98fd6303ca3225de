"""Turns report data into what the template prints: translated, formatted, escaped later.

Called with the report's language already set (``render``), so every ``gettext`` and every
Babel format here speaks that language. The template only loops and prints.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import Any

from babel.dates import format_timedelta
from markupsafe import Markup

from app.exercise.timing import scenario_seconds
from app.model import Priority
from app.report import figures, sections
from app.report.data import ReportData
from app.report.texts import labels, lane
from app.report.timeline import MAX_TIMELINE_ROWS, Event, operator_log, timeline_events
from app.terminology import Terminology
from i18n import format_datetime, format_time, gettext, is_rtl, isolate
from i18n.formatting import babel_locale


def duration_text(seconds: float) -> str:
    """A duration: ``h:mm:ss`` under a day, Babel's words beyond ("3 days", "5 months")."""
    if seconds < 86400:
        return clock_text(seconds)
    return format_timedelta(
        timedelta(seconds=seconds), threshold=1.0, format="long", locale=babel_locale()
    )


def clock_text(seconds: float) -> str:
    """``m:ss`` or ``h:mm:ss``: durations and scenario times read the same in every language."""
    total = int(max(0.0, seconds) + 1e-6)  # floored, like the clock times beside it
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def zone_name(tz: tzinfo, at: datetime) -> str:
    offset = at.astimezone(tz).utcoffset()
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def page_footer_css(template: str) -> str:
    """A CSS ``content`` value for the translated "Page {page} of {count}"."""
    tokens = []
    for piece in re.split(r"(\{page\}|\{count\})", template):
        if piece == "{page}":
            tokens.append("counter(page)")
        elif piece == "{count}":
            tokens.append("counter(pages)")
        elif piece:
            tokens.append(_css_string(piece))
    return " ".join(tokens) or '""'


def _css_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("<", "\\3C ")
    return f'"{escaped}"'


def build_context(
    data: ReportData, terms: Terminology, tz: tzinfo, language: str, now: datetime
) -> dict[str, Any]:
    words = labels()
    long_span = data.duration_s > 20 * 3600

    def when(t: datetime) -> str:
        return format_datetime(t, "short", tz) if long_span else format_time(t, "medium", tz)

    def scenario_time(t: datetime) -> str:
        if data.run is None or not data.run.clock:
            return ""
        return clock_text(scenario_seconds(data.run.clock, t))

    events = timeline_events(data, terms)
    shown = events[:MAX_TIMELINE_ROWS]
    return {
        "lang": language,
        "dir": "rtl" if is_rtl(language) else "ltr",
        # Bars grow from the start of the line: the left, or the right in Arabic.
        "bar_side": "right" if is_rtl(language) else "left",
        "l": words,
        "exercise": data.kind == "exercise",
        "exercise_mark": gettext("EXERCISE") if data.kind == "exercise" else "",
        "heading": words["exercise_report" if data.kind == "exercise" else "incident_report"],
        "title": isolate(data.title),
        "description": isolate(data.description) if data.description else "",
        "generated": words["generated"].format(time=format_datetime(now, "medium", tz)),
        "times_in": words["times_in"].format(zone=zone_name(tz, data.start)),
        # CSS inside <style> is not HTML: these are CSS-escaped here and printed as they are.
        "footer": Markup(page_footer_css(gettext("Page {page} of {count}"))),
        "exercise_css": Markup(_css_string(gettext("EXERCISE"))),
        "summary": _summary(data, words, tz),
        "priorities": _priority_counts(data, terms),
        "outcome": sections.outcome(data, words, tz),
        "score_line": sections.score_line(data.score, words),
        "timeline": [_row(e, terms, when, scenario_time) for e in shown],
        "timeline_more": len(events) - len(shown),
        "charts": figures.chart_section(data, terms, tz),
        "map": figures.map_section(data, terms, when),
        "scores": sections.score_rows(data, words),
        "log": [_row(e, terms, when, scenario_time) for e in operator_log(data)],
    }


def _summary(data: ReportData, words: dict[str, str], tz: tzinfo) -> list[tuple[str, str]]:
    start = format_datetime(data.start, "medium", tz)
    end = format_datetime(data.end, "medium", tz)
    rows = [(words["what"], isolate(data.title))]
    if data.where:
        rows.append((words["where"], isolate(data.where)))
    rows.append((words["when"], f"{start} – {end}"))
    rows.append((words["duration"], duration_text(data.duration_s)))
    if data.person:
        role = words["trainee" if data.kind == "exercise" else "commander"]
        rows.append((role, isolate(data.person)))
    return rows


def _priority_counts(data: ReportData, terms: Terminology) -> list[dict[str, Any]]:
    counts = dict.fromkeys(Priority, 0)
    for alert in data.alerts:
        counts[alert.priority] += 1
    return [
        {"name": terms.priority(p).name, "colour": terms.priority(p).colour, "count": n}
        for p, n in counts.items()
    ]


def _row(event: Event, terms: Terminology, when, scenario_time) -> dict[str, Any]:
    priority = Priority(event.priority) if event.priority else None
    return {
        "time": when(event.time),
        "t": scenario_time(event.time),
        "kind": lane(event.kind),
        "priority": terms.priority(priority).name if priority else "",
        "colour": terms.priority(priority).colour if priority else "",
        "what": event.what,
        "who": isolate(event.who) if event.who else "",
        "reason": isolate(event.reason) if event.reason else "",
    }
