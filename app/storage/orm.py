"""Tables, as SQLAlchemy 2.0 typed ORM classes. Any change here needs an Alembic revision."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, Index, Integer, MetaData, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.storage.types import UTCDateTime

ID = String(128)

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[Any]: JSON}


class LocatedMixin:
    """Point location as two plain columns, so that a bounding-box query needs no GIS extension."""

    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)


class AlertRow(LocatedMixin, Base):
    __tablename__ = "alerts"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    sender: Mapped[str] = mapped_column(String(256))
    source_tool: Mapped[str] = mapped_column(String(128), index=True)
    sent: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16))
    msg_type: Mapped[str] = mapped_column(String(16))
    category: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str] = mapped_column(String(64))
    urgency: Mapped[str] = mapped_column(String(16))
    severity: Mapped[str] = mapped_column(String(16))
    certainty: Mapped[str] = mapped_column(String(16))
    headline: Mapped[str] = mapped_column(String(512))
    description: Mapped[str] = mapped_column(Text)
    area: Mapped[dict[str, Any] | None]
    priority: Mapped[int] = mapped_column(Integer)
    confidence: Mapped[float]
    evidence: Mapped[list[Any]]
    references: Mapped[list[Any]]
    state: Mapped[str] = mapped_column(String(16))
    assignee: Mapped[str | None] = mapped_column(String(128))
    shelved_until: Mapped[datetime | None]
    state_reason: Mapped[str] = mapped_column(Text, default="")
    occurrences: Mapped[int] = mapped_column(Integer, default=1)
    last_seen: Mapped[datetime | None]
    stored: Mapped[datetime]
    # Bumped by every operator action: an action based on an older version is refused, so two
    # workstations acknowledging at once never lose one another's update.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    __table_args__ = (
        Index("ix_alerts_priority_sent", "priority", "sent"),
        # Review mode asks which alerts were still open at a past moment.
        Index("ix_alerts_state_sent", "state", "sent"),
    )

    # Columns the operator owns: a re-delivery from the tool must not reset them.
    OPERATOR_OWNED = frozenset({"state", "assignee", "shelved_until", "state_reason", "version"})


class AlertActionRow(Base):
    __tablename__ = "alert_actions"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    alert_identifier: Mapped[str] = mapped_column(ID, index=True)
    action: Mapped[str] = mapped_column(String(32))
    by: Mapped[str] = mapped_column(String(128))
    time: Mapped[datetime] = mapped_column(index=True)
    reason: Mapped[str] = mapped_column(Text)
    details: Mapped[list[Any]]
    stored: Mapped[datetime]


class DetectionRow(LocatedMixin, Base):
    __tablename__ = "detections"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    detector_id: Mapped[str] = mapped_column(String(128))
    source_id: Mapped[str] = mapped_column(String(128), index=True)
    time: Mapped[datetime] = mapped_column(index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(128))
    confidence: Mapped[float]
    bbox: Mapped[list[Any] | None]
    track_id: Mapped[str | None] = mapped_column(String(128))
    snapshot_uri: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    stored: Mapped[datetime]


class ObservationRow(Base):
    __tablename__ = "observations"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    sensor_id: Mapped[str] = mapped_column(String(128))
    time: Mapped[datetime]
    quantity: Mapped[str] = mapped_column(String(64))
    value: Mapped[float]
    unit: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16))
    stored: Mapped[datetime]

    __table_args__ = (Index("ix_observations_sensor_time", "sensor_id", "time"),)


class TrackRow(LocatedMixin, Base):
    __tablename__ = "tracks"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    source_id: Mapped[str] = mapped_column(String(128))
    time: Mapped[datetime] = mapped_column(index=True)
    alt_m: Mapped[float | None]
    cot_type: Mapped[str] = mapped_column(String(64))
    callsign: Mapped[str] = mapped_column(String(128))
    course_deg: Mapped[float | None]
    speed_mps: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(16))
    stored: Mapped[datetime]


class TrackPositionRow(Base):
    """Every reported position of every track (``tracks`` keeps only the latest), so review
    mode can put a track where it was at any past moment."""

    __tablename__ = "track_positions"
    track_identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    time: Mapped[datetime] = mapped_column(primary_key=True, index=True)
    lat: Mapped[float]
    lon: Mapped[float]
    course_deg: Mapped[float | None]
    speed_mps: Mapped[float | None]


class PostRow(LocatedMixin, Base):
    __tablename__ = "posts"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    platform: Mapped[str] = mapped_column(String(64))
    author: Mapped[str] = mapped_column(String(128), index=True)
    text: Mapped[str] = mapped_column(Text)
    time: Mapped[datetime] = mapped_column(index=True)
    language: Mapped[str | None] = mapped_column(String(16))
    url: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))
    # Indexed: the reply network asks "who replied to this author" for one author at a time.
    reply_to: Mapped[str | None] = mapped_column(String(128), index=True)
    stored: Mapped[datetime]


class IncidentRow(Base):
    __tablename__ = "incidents"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    title: Mapped[str] = mapped_column(String(512))
    opened: Mapped[datetime] = mapped_column(index=True)
    closed: Mapped[datetime | None]
    priority: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(32))
    alert_ids: Mapped[list[Any]]
    commander: Mapped[str | None] = mapped_column(String(128))
    status: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text, default="")
    fusion_key: Mapped[str | None] = mapped_column(String(256))
    exercise_id: Mapped[str | None] = mapped_column(String(128), index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    stored: Mapped[datetime]


class BookmarkRow(Base):
    __tablename__ = "bookmarks"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    time: Mapped[datetime] = mapped_column(index=True)
    note: Mapped[str] = mapped_column(Text)
    by: Mapped[str] = mapped_column(String(128))
    created: Mapped[datetime]
    exercise_id: Mapped[str | None] = mapped_column(String(128))
    stored: Mapped[datetime]


class IncidentEntryRow(Base):
    __tablename__ = "incident_log"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    incident_identifier: Mapped[str] = mapped_column(ID, index=True)
    time: Mapped[datetime] = mapped_column(index=True)
    by: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None]
    stored: Mapped[datetime]


class IncidentTaskRow(Base):
    __tablename__ = "incident_tasks"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    incident_identifier: Mapped[str] = mapped_column(ID, index=True)
    title: Mapped[str] = mapped_column(String(512))
    kind: Mapped[str] = mapped_column(String(16))
    position: Mapped[int] = mapped_column(Integer)
    assignee: Mapped[str | None] = mapped_column(String(128))
    done: Mapped[datetime | None]
    done_by: Mapped[str | None] = mapped_column(String(128))
    stored: Mapped[datetime]


class ExerciseRunRow(Base):
    __tablename__ = "exercise_runs"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    scenario: Mapped[str] = mapped_column(String(256))
    title: Mapped[str] = mapped_column(String(512))
    started: Mapped[datetime] = mapped_column(index=True)
    trainee: Mapped[str | None] = mapped_column(String(128))
    ended: Mapped[datetime | None]
    origin: Mapped[datetime | None]
    clock: Mapped[list[Any]]
    score: Mapped[dict[str, Any] | None]
    stored: Mapped[datetime]


class CameraRow(LocatedMixin, Base):
    __tablename__ = "cameras"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    uri: Mapped[str] = mapped_column(Text)
    heading_deg: Mapped[float | None]
    fov_deg: Mapped[float | None]


class SensorRow(LocatedMixin, Base):
    __tablename__ = "sensors"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    station: Mapped[str] = mapped_column(String(256))
    quantity: Mapped[str] = mapped_column(String(64))
    unit: Mapped[str] = mapped_column(String(32))
    warning: Mapped[float | None]
    alarm: Mapped[float | None]
    interval_s: Mapped[float]


class ZoneRow(Base):
    __tablename__ = "zones"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
    kind: Mapped[str] = mapped_column(String(64))
    polygon: Mapped[list[Any]]


class SyncCursorRow(Base):
    """Where each connector stands in its tool's feed; survives restarts."""

    __tablename__ = "sync_cursors"
    connector_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    cursor: Mapped[str | None] = mapped_column(String(256))
    etag: Mapped[str | None] = mapped_column(String(256))
    updated: Mapped[datetime]


class OutboxRow(Base):
    """An update for a tool, kept until the tool confirms it (store-and-forward)."""

    __tablename__ = "outbox"
    action_id: Mapped[str] = mapped_column(ID, primary_key=True)
    connector_id: Mapped[str] = mapped_column(String(128), index=True)
    payload: Mapped[dict[str, Any]]
    created: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered: Mapped[datetime | None]


# --- security (app/security) ---------------------------------------------------------------


class UserRow(Base):
    """Accounts. Local ones carry an Argon2 hash; directory (LDAP) ones none."""

    __tablename__ = "users"
    username: Mapped[str] = mapped_column(String(128), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(256))
    organisation: Mapped[str] = mapped_column(String(128))
    roles: Mapped[list[Any]]
    source: Mapped[str] = mapped_column(String(16), default="local")
    password_hash: Mapped[str | None] = mapped_column(String(256))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    created: Mapped[datetime]
    updated: Mapped[datetime]


class AuditEntryRow(Base):
    """The append-only audit log: each entry's hash covers its content and the previous hash,
    so an edit or a deletion anywhere breaks the chain from there on."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    time: Mapped[datetime] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(String(128), index=True)
    workstation: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target: Mapped[str] = mapped_column(String(512))
    outcome: Mapped[str] = mapped_column(String(16))
    detail: Mapped[dict[str, Any]]
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """One row: the last entry's number and hash. Appenders update it first, which serialises
    them on every backend (a row lock in PostgreSQL, the write lock in SQLite); a deleted tail
    of the log shows as a head that points past the last entry."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))


class UnmaskRequestRow(Base):
    __tablename__ = "unmask_requests"
    identifier: Mapped[str] = mapped_column(ID, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    target: Mapped[str] = mapped_column(String(256), index=True)
    purpose: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(128))
    requested: Mapped[datetime] = mapped_column(index=True)
    minutes: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(16), index=True)
    decided_by: Mapped[str | None] = mapped_column(String(128))
    decided: Mapped[datetime | None]
    note: Mapped[str] = mapped_column(Text, default="")
    expires: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)


class AuthorIdentityRow(Base):
    """The handle behind a pseudonym, encrypted (``handle_sealed``; the key is outside the
    database): only an approved unmask opens it."""

    __tablename__ = "author_identities"
    pseudonym: Mapped[str] = mapped_column(String(64), primary_key=True)
    platform: Mapped[str] = mapped_column(String(64))
    handle_sealed: Mapped[str] = mapped_column(Text)
    first_seen: Mapped[datetime]
