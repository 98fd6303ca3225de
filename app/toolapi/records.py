"""Tool API v1 records other than alerts: detections, sensor observations and tracks.

Same rules as alerts: validated one by one, times with a time zone, positions in GeoJSON order,
identifiers namespaced by the tool so two tools never collide. Every model has the same
``to_record(tool_id, terms)``, so connectors treat all kinds alike (only alerts use the terms).
Posts come with the social-media work, where authors are pseudonymised on ingest.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AwareDatetime, Field, field_validator

from app.model import Detection, GeoPoint, Observation, Status, Track
from app.terminology import Terminology
from app.toolapi.schema import AlertIn, Identifier, PointGeometry, ToolModel

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(min_length=1, max_length=128)]


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


# The feeds a tool may serve, by the path segment of ``GET /api/v1/<kind>``.
KIND_MODELS: dict[str, type[ToolModel]] = {
    "alerts": AlertIn,
    "detections": DetectionIn,
    "observations": ObservationIn,
    "tracks": TrackIn,
}
