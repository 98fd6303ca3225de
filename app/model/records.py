"""The records that flow through ingest, storage, the hub and every panel."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

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
from app.model.geo import Area, GeoPoint


def utc_now() -> datetime:
    return datetime.now(UTC)


def new_identifier() -> str:
    return uuid.uuid4().hex


def _require_aware(name: str, value: datetime) -> None:
    # Mixed naive/aware times are the classic source of timelines that are off by an hour.
    if value.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone (got naive {value.isoformat()})")


def _require_unit_interval(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1 (got {value!r})")


@dataclass(frozen=True, slots=True)
class EvidenceLink:
    """A pointer to what backs an alert: a snapshot, a post, a clip, a sensor series."""

    kind: str
    uri: str
    caption: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """An alert as CAP 1.2 models it (one ``info`` block), plus the console's triage fields."""

    identifier: str
    sender: str
    source_tool: str
    sent: datetime
    event_type: str
    category: Category
    headline: str
    status: Status = Status.ACTUAL
    msg_type: MsgType = MsgType.ALERT
    urgency: Urgency = Urgency.UNKNOWN
    severity: Severity = Severity.UNKNOWN
    certainty: Certainty = Certainty.UNKNOWN
    description: str = ""
    point: GeoPoint | None = None
    area: Area | None = None
    priority: Priority = Priority.P3
    confidence: float = 1.0
    evidence: tuple[EvidenceLink, ...] = ()
    references: tuple[str, ...] = ()
    # Operator-owned triage state: a tool re-sending the alert never overwrites these.
    state: AlertState = AlertState.NEW
    assignee: str | None = None
    shelved_until: datetime | None = None
    state_reason: str = ""
    # Repeats from one source folded into this alert (first seen is ``sent``).
    occurrences: int = 1
    last_seen: datetime | None = None
    # Bumped by each operator action as stored: an action based on an older version is refused
    # (optimistic locking), so two workstations acting at once never lose an update.
    version: int = 0

    def __post_init__(self) -> None:
        if not self.identifier:
            raise ValueError("an alert needs an identifier")
        _require_aware("sent", self.sent)
        _require_unit_interval("confidence", self.confidence)
        if self.occurrences < 1:
            raise ValueError("an alert occurs at least once")

    @property
    def time(self) -> datetime:
        return self.sent


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertAction:
    """One operator action on an alert, kept for the record and pushed back to the tool."""

    identifier: str
    alert_identifier: str
    action: str
    by: str
    time: datetime
    reason: str = ""
    details: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        _require_aware("time", self.time)


@dataclass(frozen=True, slots=True, kw_only=True)
class Detection:
    """One detector output on one frame or text; ``bbox`` is normalised (x, y, w, h) in 0..1."""

    identifier: str
    detector_id: str
    source_id: str
    time: datetime
    event_type: str
    label: str
    confidence: float
    bbox: tuple[float, float, float, float] | None = None
    point: GeoPoint | None = None
    track_id: str | None = None
    snapshot_uri: str | None = None
    status: Status = Status.ACTUAL

    def __post_init__(self) -> None:
        _require_aware("time", self.time)
        _require_unit_interval("confidence", self.confidence)


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    """A sensor reading."""

    identifier: str
    sensor_id: str
    time: datetime
    quantity: str
    value: float
    unit: str
    status: Status = Status.ACTUAL

    def __post_init__(self) -> None:
        _require_aware("time", self.time)


@dataclass(frozen=True, slots=True, kw_only=True)
class Track:
    """A moving object's latest position; ``cot_type`` is its Cursor-on-Target type string."""

    identifier: str
    source_id: str
    time: datetime
    point: GeoPoint
    cot_type: str = "a-u-G"
    callsign: str = ""
    course_deg: float | None = None
    speed_mps: float | None = None
    status: Status = Status.ACTUAL

    def __post_init__(self) -> None:
        _require_aware("time", self.time)


@dataclass(frozen=True, slots=True, kw_only=True)
class Post:
    """A social-media post. ``author`` is always a pseudonym: raw handles are never stored."""

    identifier: str
    platform: str
    author: str
    text: str
    time: datetime
    language: str | None = None
    point: GeoPoint | None = None
    url: str | None = None
    status: Status = Status.ACTUAL
    # The author replied to, as a pseudonym like ``author``: the edges of the reply network.
    reply_to: str | None = None

    def __post_init__(self) -> None:
        _require_aware("time", self.time)


@dataclass(frozen=True, slots=True, kw_only=True)
class Incident:
    identifier: str
    title: str
    opened: datetime
    priority: Priority = Priority.P3
    state: str = "open"
    alert_ids: tuple[str, ...] = ()
    commander: str | None = None
    status: Status = Status.ACTUAL
    closed: datetime | None = field(default=None)
    description: str = ""
    # The fusion candidate it was opened from, if any, and the exercise run it belongs to.
    fusion_key: str | None = None
    exercise_id: str | None = None
    # Optimistic locking: each change writes version + 1 where version is what it read.
    version: int = 1

    def __post_init__(self) -> None:
        _require_aware("opened", self.opened)

    @property
    def time(self) -> datetime:
        return self.opened


Record = Alert | AlertAction | Detection | Observation | Track | Post | Incident
RECORD_TYPES = (Alert, AlertAction, Detection, Observation, Track, Post, Incident)
