"""Which lane each record goes to, and the short sentence its mark shows.

Alerts are split by priority so that a P1 never hides among P4s, except two families a
commander reads as their own story: sensor anomalies (raised by the console's sensor watch,
or a sensor event type from any tool) and threat intelligence (intelligence and cyber event
types, or the tools that only report those). The rules exist twice, as Python for one record
and as SQL for a window of rows; ``tests/test_timeline_core.py`` checks that they agree.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, not_, or_

from app.model import Bookmark, Detection, Post, Priority
from app.storage.orm import AlertRow
from app.terminology import Terminology
from i18n import gettext as _
from i18n import is_rtl, isolate

# The sensor watch's ``source_tool`` (app/sensors/alerting.py) and the sensor event types of
# the terminology. A biological contamination from a station is a finding about water or air,
# not about a sensor, so it stays with the alerts of its priority unless the watch raised it.
SENSOR_TOOLS = frozenset({"sensor-watch"})
SENSOR_EVENT_TYPES = frozenset({"sensor_threshold", "sensor_anomaly", "sensor_stale"})
# Intelligence and cyber: event types of the terminology and the demo's reporting tools.
THREAT_TOOLS = frozenset({"threat-intel", "cyber-monitor"})
THREAT_EVENT_TYPES = frozenset({"physical_threat_intel", "cyber_intrusion"})

ALERT_LANES = {p: f"alerts-p{p.value}" for p in Priority}
SENSOR_LANE = "sensor-anomalies"
THREAT_LANE = "threat-intel"
DETECTION_LANE = "detections"
POST_LANE = "posts"
ACTION_LANE = "operator-actions"
BOOKMARK_LANE = "bookmarks"
# Incident log lines people wrote or decided; automatic lines repeat what other lanes show.
INCIDENT_ENTRY_KINDS = frozenset({"note", "status"})
POST_PREVIEW_CHARS = 80


def is_sensor_alert(source_tool: str, event_type: str) -> bool:
    return source_tool in SENSOR_TOOLS or event_type in SENSOR_EVENT_TYPES


def is_threat_alert(source_tool: str, event_type: str) -> bool:
    return not is_sensor_alert(source_tool, event_type) and (
        source_tool in THREAT_TOOLS or event_type in THREAT_EVENT_TYPES
    )


def alert_lane(source_tool: str, event_type: str, priority: int) -> str:
    if is_sensor_alert(source_tool, event_type):
        return SENSOR_LANE
    if is_threat_alert(source_tool, event_type):
        return THREAT_LANE
    return ALERT_LANES[Priority(min(max(priority, Priority.P1), Priority.P4))]


def sensor_clause() -> ColumnElement[bool]:
    """``is_sensor_alert`` in SQL."""
    return or_(
        AlertRow.source_tool.in_(sorted(SENSOR_TOOLS)),
        AlertRow.event_type.in_(sorted(SENSOR_EVENT_TYPES)),
    )


def _threat_family() -> ColumnElement[bool]:
    return or_(
        AlertRow.source_tool.in_(sorted(THREAT_TOOLS)),
        AlertRow.event_type.in_(sorted(THREAT_EVENT_TYPES)),
    )


def threat_clause() -> ColumnElement[bool]:
    """``is_threat_alert`` in SQL."""
    return and_(not_(sensor_clause()), _threat_family())


def lane_clause(lane: str) -> ColumnElement[bool]:
    """The alerts of one alert lane, in SQL (priority lanes use the priority/sent index)."""
    if lane == SENSOR_LANE:
        return sensor_clause()
    if lane == THREAT_LANE:
        return threat_clause()
    priority = next(p for p, name in ALERT_LANES.items() if name == lane)
    return and_(AlertRow.priority == int(priority), not_(sensor_clause()), not_(_threat_family()))


def shown(text: str) -> str:
    """A value inserted into a translated sentence, kept in its own direction in Arabic."""
    return isolate(text) if is_rtl() else text


def detection_title(detection: Detection, terms: Terminology) -> str:
    return detection_title_of(detection.event_type, detection.source_id, terms)


def detection_title_of(event_type: str, source_id: str, terms: Terminology) -> str:
    event = terms.event_type(event_type).name
    return _("{event} on {camera}").format(event=event, camera=shown(source_id))


def post_title(post: Post) -> str:
    return post_title_of(post.author, post.text)


def post_title_of(author: str, text: str) -> str:
    text = " ".join(text.split())
    if len(text) > POST_PREVIEW_CHARS:
        text = text[: POST_PREVIEW_CHARS - 1] + "…"
    return _("{author}: {text}").format(author=shown(author), text=shown(text))


def bookmark_title(bookmark: Bookmark) -> str:
    if bookmark.note.strip():
        return bookmark.note.strip()
    return _("Bookmark by {operator}").format(operator=shown(bookmark.by))
