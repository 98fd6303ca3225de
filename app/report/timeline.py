"""The report's timeline and operator log: every event of the report in time order.

Text from outside (headlines, posts, notes) is wrapped in Unicode isolates so that an English
headline in an Arabic report, or the reverse, keeps its own direction.

Lanes are those of the console's timeline (alerts by priority, detections, posts, operator
actions, incident log, bookmarks); sensor readings are left to the charts, where thousands of
them say more as a line than as rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.report.data import ReportData
from app.report.texts import action
from app.terminology import Terminology
from i18n import gettext, isolate

MAX_TIMELINE_ROWS = 1500
TEXT_LENGTH = 160


@dataclass(frozen=True, slots=True)
class Event:
    """One row: ``kind`` is the lane (``alert``, ``detection``, ``post``, ``action``, ``log``,
    ``task``, ``bookmark``); ``priority`` only for alerts."""

    time: datetime
    kind: str
    what: str
    who: str = ""
    priority: int | None = None
    reason: str = ""


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= TEXT_LENGTH else text[: TEXT_LENGTH - 1] + "…"


def timeline_events(data: ReportData, terms: Terminology) -> list[Event]:
    headlines = {a.identifier: a.headline for a in data.alerts}
    events = [
        Event(
            a.sent,
            "alert",
            f"{terms.event_type(a.event_type).name}: {isolate(_clip(a.headline))}",
            a.source_tool,
            int(a.priority),
        )
        for a in data.alerts
    ]
    events += [
        Event(d.time, "detection", isolate(_clip(f"{d.label} ({d.source_id})")), d.detector_id)
        for d in data.detections
    ]
    events += [Event(p.time, "post", isolate(_clip(p.text)), p.author) for p in data.posts]
    events += operator_log(data, headlines)
    events += [Event(b.time, "bookmark", isolate(_clip(b.note)), b.by) for b in data.bookmarks]
    events.sort(key=lambda e: e.time)
    return events


def operator_log(data: ReportData, headlines: dict[str, str] | None = None) -> list[Event]:
    """What people did: alert actions, incident log entries and tasks done, in time order."""
    if headlines is None:
        headlines = {a.identifier: a.headline for a in data.alerts}
    events = [
        Event(
            a.time,
            "action",
            f"{action(a.action, a.details)}: "
            f"{isolate(_clip(headlines.get(a.alert_identifier, a.alert_identifier)))}",
            a.by,
            reason=_clip(a.reason),
        )
        for a in data.actions
    ]
    events += [Event(e.time, "log", isolate(_clip(e.text)), e.by) for e in data.entries]
    events += [
        Event(t.done, "task", isolate(_clip(gettext(t.title))), t.done_by or t.assignee or "")
        for t in data.tasks
        if t.done is not None
    ]
    events.sort(key=lambda e: e.time)
    return events
