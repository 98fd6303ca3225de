"""Tool API v1 records, validated with pydantic at the edge: nothing a tool sends reaches the
store before it has passed these models, and a rejection names the field and the reason."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from app.model import (
    Alert,
    AlertState,
    Area,
    Category,
    Certainty,
    EvidenceLink,
    GeoPoint,
    MsgType,
    Priority,
    Severity,
    Status,
    Urgency,
)
from app.terminology import Terminology

# CAP 1.2: identifiers contain no spaces, commas or restricted characters (< and &).
Identifier = Annotated[str, Field(min_length=1, max_length=120, pattern=r"^[!-%'-+\--;=?-~]+$")]
ShortText = Annotated[str, Field(min_length=1, max_length=512)]


def _check_lon_lat(lon: float, lat: float) -> None:
    if not -180.0 <= lon <= 180.0 or not -90.0 <= lat <= 90.0:
        raise ValueError(
            f"position [{lon}, {lat}] is outside WGS 84; GeoJSON is [longitude, latitude]"
        )


class ToolModel(BaseModel):
    # Tools may add fields of their own; they are ignored, never an error.
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True, frozen=True)


class PointGeometry(ToolModel):
    """A GeoJSON Point: coordinates are [longitude, latitude] or with altitude in metres."""

    type: Literal["Point"]
    coordinates: tuple[float, float] | tuple[float, float, float]

    @field_validator("coordinates")
    @classmethod
    def _in_range(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        _check_lon_lat(value[0], value[1])
        return value

    def to_point(self) -> GeoPoint:
        return GeoPoint.from_coordinates(list(self.coordinates))


class PolygonGeometry(ToolModel):
    type: Literal["Polygon"]
    coordinates: list[list[tuple[float, float]]] = Field(min_length=1)

    @field_validator("coordinates")
    @classmethod
    def _closed_rings_in_range(cls, rings: list[list[tuple[float, float]]]) -> list:
        for ring in rings:
            if len(ring) < 4 or ring[0] != ring[-1]:
                raise ValueError("each ring needs at least four positions and must be closed")
            for lon, lat in ring:
                _check_lon_lat(lon, lat)
        return rings


class AreaIn(ToolModel):
    description: ShortText
    polygon: PolygonGeometry | None = None

    def to_area(self) -> Area:
        ring = (
            ()
            if self.polygon is None
            else tuple(GeoPoint(lat, lon) for lon, lat in self.polygon.coordinates[0])
        )
        return Area(self.description, polygon=ring)


class EvidenceIn(ToolModel):
    kind: Annotated[str, Field(min_length=1, max_length=32)]
    uri: Annotated[str, Field(min_length=1, max_length=2048)]
    caption: Annotated[str, Field(max_length=512)] = ""


class AlertIn(ToolModel):
    """An alert as a tool sends it; CAP 1.2 field meanings, JSON spelling."""

    identifier: Identifier
    sender: ShortText
    sent: AwareDatetime
    event_type: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
    headline: ShortText
    status: Status = Status.ACTUAL
    msg_type: MsgType = MsgType.ALERT
    category: Category | None = None
    urgency: Urgency = Urgency.UNKNOWN
    severity: Severity = Severity.UNKNOWN
    certainty: Certainty = Certainty.UNKNOWN
    description: Annotated[str, Field(max_length=20_000)] = ""
    geometry: PointGeometry | None = None
    area: AreaIn | None = None
    priority: Annotated[int, Field(ge=1, le=4)] | None = None
    confidence: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    evidence: Annotated[list[EvidenceIn], Field(max_length=50)] = []
    references: Annotated[list[Identifier], Field(max_length=50)] = []

    @field_validator("sent", mode="before")
    @classmethod
    def _no_bare_numbers(cls, value: object) -> object:
        # A bare number would be read as a Unix time; tools that mean 1970 do not exist.
        if isinstance(value, int | float):
            raise ValueError("sent must be an ISO 8601 time with a time zone")
        return value

    def to_record(self, tool_id: str, terms: Terminology) -> Alert:
        """The domain alert; identifiers are namespaced by tool so two tools cannot collide."""
        kind = terms.event_type(self.event_type)
        return Alert(
            identifier=f"{tool_id}:{self.identifier}",
            sender=self.sender,
            source_tool=tool_id,
            sent=self.sent,
            status=self.status,
            msg_type=self.msg_type,
            category=self.category or kind.category,
            event_type=self.event_type,
            urgency=self.urgency,
            severity=self.severity,
            certainty=self.certainty,
            headline=self.headline,
            description=self.description,
            point=self.geometry.to_point() if self.geometry else None,
            area=self.area.to_area() if self.area else None,
            priority=Priority(self.priority) if self.priority else kind.priority,
            confidence=self.confidence,
            evidence=tuple(EvidenceLink(e.kind, e.uri, e.caption) for e in self.evidence),
            references=tuple(f"{tool_id}:{r}" for r in self.references),
            state=AlertState.NEW,
        )


class RecordPage(ToolModel):
    """One page of ``GET /api/v1/<kind>``. Items are validated one by one (see ``parse_page``)
    so that one bad record is rejected without losing the good ones next to it."""

    api_version: Literal["1"]
    # Any JSON value: a malformed item must be rejected alone, never poison its whole page.
    items: Annotated[list[Any], Field(max_length=10_000)]
    next_cursor: Annotated[str, Field(max_length=256)] | None = None
    has_more: bool = False


class ActionOut(ToolModel):
    """An operator's action pushed back to the tool that raised the alert."""

    action_id: Identifier
    alert_identifier: Identifier
    action: Literal["acknowledged", "dismissed", "escalated", "resolved"]
    by: ShortText
    at: AwareDatetime
    reason: Annotated[str, Field(max_length=2000)] = ""


def describe_error(error: ValidationError) -> str:
    """One line an operator can act on: which field, what is wrong (no echo of the payload)."""
    parts = []
    for item in error.errors(include_url=False, include_input=False)[:5]:
        where = ".".join(str(p) for p in item["loc"]) or "record"
        parts.append(f"{where}: {item['msg']}")
    more = len(error.errors()) - len(parts)
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


AlertPage = RecordPage  # the name adapters and older code use for the alerts feed
