"""Tool API v1 records other than alerts: detections, sensor observations, tracks and posts.

Same rules as alerts: validated one by one, times with a time zone, positions in GeoJSON order,
identifiers namespaced by the tool so two tools never collide. Every model has the same
``to_record(tool_id, terms)``, so connectors treat all kinds alike (only alerts use the terms).
Posts carry raw handles up to ingest, where authors are pseudonymised before anything is stored.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AwareDatetime, Field, StringConstraints, field_validator

from app.model import Detection, GeoPoint, Observation, Post, Status, Track
from app.terminology import Terminology
from app.toolapi.schema import AlertIn, Identifier, PointGeometry, ToolModel

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(min_length=1, max_length=128)]
Handle = Annotated[str, Field(min_length=1, max_length=256)]
# Kept exactly as written (no trimming): what a stranger posted is evidence.
PostText = Annotated[str, StringConstraints(strip_whitespace=False, max_length=10_000)]


class DetectionIn(ToolModel):
    identifier: Identifier
    detector_id: Name
    source_id: Name
    time: AwareDatetime
    event_type: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
    label: Name
    confidence: Unit
    bbox: tuple[Unit, Unit, Unit, Unit] | None = None
    geometry: PointGeometry | None = None
    track_id: Name | None = None
    snapshot_uri: Annotated[str, Field(max_length=2048)] | None = None
    status: Status = Status.ACTUAL

    def to_record(self, tool_id: str, terms: Terminology | None = None) -> Detection:
        return Detection(
            identifier=f"{tool_id}:{self.identifier}",
            detector_id=self.detector_id,
            source_id=self.source_id,
            time=self.time,
            event_type=self.event_type,
            label=self.label,
            confidence=self.confidence,
            bbox=self.bbox,
            point=self.geometry.to_point() if self.geometry else None,
            track_id=self.track_id,
            snapshot_uri=self.snapshot_uri,
            status=self.status,
        )


class ObservationIn(ToolModel):
    identifier: Identifier
    sensor_id: Name
    time: AwareDatetime
    quantity: Annotated[str, Field(min_length=1, max_length=64)]
    value: float
    unit: Annotated[str, Field(max_length=32)]
    status: Status = Status.ACTUAL

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("a reading must be a finite number")
        return value

    def to_record(self, tool_id: str, terms: Terminology | None = None) -> Observation:
        return Observation(
            identifier=f"{tool_id}:{self.identifier}",
            sensor_id=self.sensor_id,
            time=self.time,
            quantity=self.quantity,
            value=self.value,
            unit=self.unit,
            status=self.status,
        )


class TrackIn(ToolModel):
    """A moving object's position; ``cot_type`` is its Cursor-on-Target type (e.g. a-h-G)."""

    identifier: Identifier
    time: AwareDatetime
    geometry: PointGeometry
    cot_type: Annotated[str, Field(pattern=r"^[a-z](-[A-Za-z0-9]+)*$", max_length=64)] = "a-u-G"
    callsign: Annotated[str, Field(max_length=128)] = ""
    course_deg: Annotated[float, Field(ge=0.0, lt=360.0)] | None = None
    speed_mps: Annotated[float, Field(ge=0.0, le=2000.0)] | None = None
    status: Status = Status.ACTUAL

    def to_record(self, tool_id: str, terms: Terminology | None = None) -> Track:
        point: GeoPoint = self.geometry.to_point()
        return Track(
            identifier=f"{tool_id}:{self.identifier}",
            source_id=tool_id,
            time=self.time,
            point=point,
            cot_type=self.cot_type,
            callsign=self.callsign,
            course_deg=self.course_deg,
            speed_mps=self.speed_mps,
            status=self.status,
        )


class PostIn(ToolModel):
    """A social-media post as a monitoring tool serves it.

    ``author`` and ``reply_to`` are the raw handles: ingest replaces them (and ``@handles`` in
    the text) by pseudonyms before anything is stored or published. There is no ``url``: a
    post's address names its author. The text is stored as sent, markup and all; it is only
    ever shown as plain text.
    """

    identifier: Identifier
    platform: Annotated[str, Field(min_length=1, max_length=64)]
    author: Handle
    text: PostText
    time: AwareDatetime
    language: Annotated[str, Field(pattern=r"^[A-Za-z]{2,3}$")] | None = None
    geometry: PointGeometry | None = None
    reply_to: Handle | None = None
    status: Status = Status.ACTUAL

    @field_validator("time", mode="before")
    @classmethod
    def _no_bare_numbers(cls, value: object) -> object:
        # A bare number would be read as a Unix time (see AlertIn.sent).
        if isinstance(value, int | float):
            raise ValueError("time must be an ISO 8601 time with a time zone")
        return value

    @field_validator("platform", "author", "text", "reply_to")
    @classmethod
    def _storable(cls, value: str | None) -> str | None:
        # Either would fail the whole batch at the database (PostgreSQL refuses NUL, no
        # database takes half a surrogate pair) and the tool would re-send it forever.
        if value is not None and "\x00" in value:
            raise ValueError("NUL characters cannot be stored")
        if value is not None and not value.isascii():
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as exc:
                raise ValueError("text holds an unpaired surrogate (not valid Unicode)") from exc
        return value

    @field_validator("language")
    @classmethod
    def _lower_case(cls, value: str | None) -> str | None:
        return value.lower() if value is not None else None

    def to_record(self, tool_id: str, terms: Terminology | None = None) -> Post:
        return Post(
            identifier=f"{tool_id}:{self.identifier}",
            platform=self.platform,
            author=self.author,
            text=self.text,
            time=self.time,
            language=self.language,
            point=self.geometry.to_point() if self.geometry else None,
            reply_to=self.reply_to,
            status=self.status,
        )


# The feeds a tool may serve, by the path segment of ``GET /api/v1/<kind>``.
KIND_MODELS: dict[str, type[ToolModel]] = {
    "alerts": AlertIn,
    "detections": DetectionIn,
    "observations": ObservationIn,
    "tracks": TrackIn,
    "posts": PostIn,
}
