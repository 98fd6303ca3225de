"""The timeline's hover texts: what a mark is, when, and how many events a merged mark holds."""

from __future__ import annotations

from datetime import datetime
from html import escape

from app.timeline.messages import TimelineEvent
from i18n import format_datetime, format_decimal, gettext, isolate, ngettext
from widgets.qt_timeline_data import Mark, TimelineData
from widgets.qt_timeline_glyphs import lane_name

LISTED = 5  # titles a merged mark's tooltip lists before "and N more"


def when(value: datetime) -> str:
    return format_datetime(value.astimezone(), "medium")


def mark_tooltip(data: TimelineData, mark: Mark) -> str:
    """Rich text (escaped): the lane, the time and the title; for a merged mark the count,
    its first and last times and the first few titles."""
    members = data.members(mark)
    head = f"<b>{escape(lane_name(mark.lane))}</b>"
    if len(members) == 1:
        return "<br>".join([head, escape(when(members[0].time)), _title(data, members[0])])
    count = ngettext("{count} event", "{count} events", len(members)).format(
        count=format_decimal(len(members))
    )
    span = gettext("{first} to {last}").format(
        first=isolate(when(members[0].time)), last=isolate(when(members[-1].time))
    )
    lines = [f"{head} · {escape(count)}", escape(span)]
    lines += [_title(data, event) for event in members[:LISTED]]
    if len(members) > LISTED:
        rest = len(members) - LISTED
        more = ngettext("and {count} more", "and {count} more", rest)
        lines.append(escape(more.format(count=format_decimal(rest))))
    lines.append(escape(gettext("Double-click to zoom in")))
    return "<br>".join(lines)


def _title(data: TimelineData, event: TimelineEvent) -> str:
    bookmark = data.bookmark(event.identifier) if event.kind == "bookmark" else None
    if bookmark is not None:
        note = bookmark.note or gettext("(no note)")
        text = gettext("{note} (by {who})").format(note=isolate(note), who=isolate(bookmark.by))
        return escape(text)
    return escape(event.title)
