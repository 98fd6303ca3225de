"""Domain records: what the console knows, independent of how it arrived or is shown.

Records are immutable so that one instance can cross threads (detector → store → hub → GUI)
without copies or locks.
"""

from app.model.assets import Camera, Sensor, Zone
from app.model.enums import (
    AlertState,
    Category,
    Certainty,
    MsgType,
    Priority,
    Severity,
    Status,
    Urgency,
)
from app.model.geo import Area, Circle, GeoPoint
from app.model.operations import Bookmark, ExerciseRun, IncidentEntry, IncidentTask
from app.model.records import (
    RECORD_TYPES,
    Alert,
    AlertAction,
    Detection,
    EvidenceLink,
    Incident,
    Observation,
    Post,
    Record,
    Track,
    new_identifier,
    utc_now,
)

__all__ = [
    "RECORD_TYPES",
    "Alert",
    "AlertAction",
    "AlertState",
    "Area",
    "Bookmark",
    "Camera",
    "Category",
    "Certainty",
    "Circle",
    "Detection",
    "EvidenceLink",
    "ExerciseRun",
    "GeoPoint",
    "Incident",
    "IncidentEntry",
    "IncidentTask",
    "MsgType",
    "Observation",
    "Post",
    "Priority",
    "Record",
    "Sensor",
    "Severity",
    "Status",
    "Track",
    "Urgency",
    "Zone",
    "new_identifier",
    "utc_now",
]
