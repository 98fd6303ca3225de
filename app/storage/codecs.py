"""Turns records into row dictionaries and rows back into records.

Driven by the dataclasses' type hints, so adding a field to a record needs only a column (and a
migration), not another hand-written mapping that can drift from the first.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Callable
from datetime import datetime
from enum import Enum
from functools import cache
from typing import Any

from app.model import (
    Alert,
    AlertAction,
    Area,
    Bookmark,
    Camera,
    Circle,
    Detection,
    EvidenceLink,
    ExerciseRun,
    GeoPoint,
    Incident,
    IncidentEntry,
    IncidentTask,
    Observation,
    Post,
    Sensor,
    Track,
    Zone,
)
from app.storage import orm

TABLES: dict[type, type[orm.Base]] = {
    Alert: orm.AlertRow,
    AlertAction: orm.AlertActionRow,
    Detection: orm.DetectionRow,
    Observation: orm.ObservationRow,
    Track: orm.TrackRow,
    Post: orm.PostRow,
    Incident: orm.IncidentRow,
    IncidentEntry: orm.IncidentEntryRow,
    IncidentTask: orm.IncidentTaskRow,
    Bookmark: orm.BookmarkRow,
    ExerciseRun: orm.ExerciseRunRow,
    Camera: orm.CameraRow,
    Sensor: orm.SensorRow,
    Zone: orm.ZoneRow,
}

Encoder = Callable[[Any], Any]


def _ring_out(points: tuple[GeoPoint, ...]) -> list[list[float]]:
    return [[p.lon, p.lat] for p in points]


def _ring_in(coords: list[list[float]]) -> tuple[GeoPoint, ...]:
    return tuple(GeoPoint.from_coordinates(c) for c in coords)


def _area_out(area: Area) -> dict[str, Any]:
    circle = area.circle
    return {
        "description": area.description,
        "polygon": _ring_out(area.polygon),
        "circle": None
        if circle is None
        else {"lat": circle.centre.lat, "lon": circle.centre.lon, "radius_km": circle.radius_km},
    }


def _area_in(value: dict[str, Any]) -> Area:
    circle = value.get("circle")
    return Area(
        description=value["description"],
        polygon=_ring_in(value.get("polygon") or []),
        circle=None
        if not circle
        else Circle(GeoPoint(circle["lat"], circle["lon"]), float(circle["radius_km"])),
    )


def _unwrap_optional(hint: Any) -> Any:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def _codec_for(hint: Any) -> tuple[Encoder, Encoder]:
    hint = _unwrap_optional(hint)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return (lambda v: v.value), hint
    if hint is Area:
        return _area_out, _area_in
    if typing.get_origin(hint) is tuple:
        item = typing.get_args(hint)[0]
        if item is EvidenceLink:
            return (lambda v: [dataclasses.asdict(e) for e in v]), (
                lambda v: tuple(EvidenceLink(**e) for e in v)
            )
        if item is GeoPoint:
            return _ring_out, _ring_in
        if typing.get_origin(item) is tuple:  # key/value pairs
            return (lambda v: [list(pair) for pair in v]), (
                lambda v: tuple(tuple(pair) for pair in v)
            )
        return list, tuple
    return (lambda v: v), (lambda v: v)


def _optional(fn: Encoder) -> Encoder:
    return lambda v: None if v is None else fn(v)


@cache
def _field_codecs(record_type: type) -> dict[str, tuple[Encoder, Encoder]]:
    hints = typing.get_type_hints(record_type)
    return {
        f.name: tuple(_optional(fn) for fn in _codec_for(hints[f.name]))  # type: ignore[misc]
        for f in dataclasses.fields(record_type)
        if f.name != "point"
    }


def _has_column(record_type: type, name: str) -> bool:
    return name in TABLES[record_type].__table__.columns


def to_row(record: Any, stored: datetime | None = None) -> dict[str, Any]:
    record_type = type(record)
    row = {
        name: encode(getattr(record, name))
        for name, (encode, _) in _field_codecs(record_type).items()
    }
    if hasattr(record, "point"):
        point: GeoPoint | None = record.point
        row["lat"] = point.lat if point else None
        row["lon"] = point.lon if point else None
        if _has_column(record_type, "alt_m"):
            row["alt_m"] = point.alt_m if point else None
    if _has_column(record_type, "stored"):
        row["stored"] = stored
    return row


def from_row(record_type: type, row: Any) -> Any:
    values = {
        name: decode(getattr(row, name)) for name, (_, decode) in _field_codecs(record_type).items()
    }
    if "point" in {f.name for f in dataclasses.fields(record_type)}:
        values["point"] = (
            None if row.lat is None else GeoPoint(row.lat, row.lon, getattr(row, "alt_m", None))
        )
    return record_type(**values)
