"""A configurable field mapping for tools whose JSON is none of the standard formats.

The configuration is data (kept in settings), so connecting a new vendor is an edit, not a
release. It is validated when loaded: a mapping that could never produce a valid alert (a
required field unmapped, an unknown time zone) is refused before any document is read.

Example::

    {"items": "data.events",
     "fields": {"identifier": "id", "sent": "ts", "headline": "title", "event_type": "kind"},
     "geometry": {"lat": "pos.lat", "lon": "pos.lng"},
     "constants": {"sender": "acme-tool", "category": "Security"},
     "event_types": {"GUN": "firearm"},
     "time_format": "%d.%m.%Y %H:%M:%S", "timezone": "Europe/Oslo"}

``time_format`` is a ``strptime`` format, or "epoch" / "epoch_ms" for Unix time numbers.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from app.toolapi.adapters import AdapterError, EntryError, Extraction, slug
from app.toolapi.schema import AlertIn

DottedPath = Annotated[str, Field(min_length=1, max_length=256, pattern=r"^[^.]+(\.[^.]+)*$")]
EventTypeId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[a-z0-9_]+$")]
AREA_DESCRIPTION = "area_description"
TARGETS = frozenset(AlertIn.model_fields) | {AREA_DESCRIPTION}
REQUIRED = frozenset(name for name, info in AlertIn.model_fields.items() if info.is_required())
EPOCH_FORMATS = {"epoch": 1.0, "epoch_ms": 1000.0}
_MISSING = object()


class GeometryPaths(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lat: DottedPath
    lon: DottedPath


class MappingConfig(BaseModel):
    """See the module docstring; unknown keys are errors, so a typo is not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    items: Annotated[str, Field(max_length=256, pattern=r"^([^.]+(\.[^.]+)*)?$")] = ""
    fields: dict[str, DottedPath] = {}
    geometry: GeometryPaths | None = None
    constants: dict[str, Any] = {}
    event_types: dict[str, EventTypeId] = {}
    time_format: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    timezone: str | None = None

    @field_validator("fields", "constants")
    @classmethod
    def _known_targets(cls, value: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(value) - TARGETS)
        if unknown:
            raise ValueError(f"{unknown} are not tool-API alert fields")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"{value!r} is not an IANA time zone") from exc
        return value

    @model_validator(mode="after")
    def _complete(self) -> MappingConfig:
        missing = sorted(REQUIRED - set(self.fields) - set(self.constants))
        if missing:
            raise ValueError(f"fields or constants must provide {missing}")
        naive = self.time_format not in (None, *EPOCH_FORMATS) and "%z" not in self.time_format
        if naive and self.timezone is None:
            raise ValueError("time_format without %z needs a timezone (e.g. 'Europe/Oslo')")
        return self

    @property
    def zone(self) -> ZoneInfo | None:
        return ZoneInfo(self.timezone) if self.timezone else None


def load_mapping(config: object) -> MappingConfig:
    """The validated configuration, or an ``AdapterError`` naming each wrong key."""
    try:
        return MappingConfig.model_validate(config)
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(p) for p in e['loc']) or 'mapping'}: {e['msg']}"
            for e in exc.errors(include_url=False, include_input=False)
        ]
        raise AdapterError("mapping configuration is invalid: " + "; ".join(problems)) from exc


def resolve(document: object, path: str) -> object:
    """The value at a dotted path ("pos.lat", "media.0.url"), or ``_MISSING``."""
    current = document
    for part in path.split("."):
        if isinstance(current, dict) and part in current:
            current = current[part]
        elif isinstance(current, list) and part.isdigit() and int(part) < len(current):
            current = current[int(part)]
        else:
            return _MISSING
    return current


def mapped_document(document: object, config: MappingConfig) -> Extraction:
    """One alert per item of the list at ``config.items``."""
    items = resolve(document, config.items) if config.items else document
    if not isinstance(items, list):
        where = f"'{config.items}'" if config.items else "the document"
        raise AdapterError(f"mapping: {where} is not a list of items")
    out = Extraction()
    id_path = config.fields.get("identifier")
    for position, item in enumerate(items):
        hint = resolve(item, id_path) if id_path else None
        out.convert(position, hint, lambda item=item: mapped_fields(item, config))
    return out


def mapped_fields(item: object, config: MappingConfig) -> dict[str, Any]:
    """One vendor item as a tool-API dict: constants first, mapped values over them."""
    if not isinstance(item, dict):
        raise EntryError("item", "expected a JSON object")
    fields = dict(config.constants)
    for target, path in config.fields.items():
        value = resolve(item, path)
        if value is not _MISSING and value is not None:
            fields[target] = value
    if AREA_DESCRIPTION in fields:
        area = fields["area"] if isinstance(fields.get("area"), dict) else {}
        fields["area"] = {**area, "description": fields.pop(AREA_DESCRIPTION)}
    if isinstance(fields.get("identifier"), int) and not isinstance(fields["identifier"], bool):
        fields["identifier"] = str(fields["identifier"])  # vendors often number their events
    if "event_type" in fields:
        fields["event_type"] = _event_type(fields["event_type"], config)
    if "sent" in fields:
        fields["sent"] = _timestamp(fields["sent"], config)
    if config.geometry is not None:
        fields.update(_geometry(item, config.geometry))
    return fields


def _event_type(value: object, config: MappingConfig) -> str:
    """The configured id for a vendor's value; unmapped values get the CAP adapter's slug."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise EntryError("event_type", "expected text or a number")
    text = str(value)
    if text in config.event_types:
        return config.event_types[text]
    event_type = slug(text)
    if not event_type:
        raise EntryError("event_type", "value has no letters or digits to name a type by")
    return event_type


def _timestamp(value: object, config: MappingConfig) -> object:
    """An aware datetime where the configuration says how to read the value; otherwise the
    value as it came, for validation to accept (ISO 8601 with offset) or name."""
    if config.time_format in EPOCH_FORMATS:
        return _epoch(value, EPOCH_FORMATS[config.time_format])
    if config.time_format is not None:
        if not isinstance(value, str):
            raise EntryError("sent", f"expected text in time format {config.time_format!r}")
        try:
            parsed = datetime.strptime(value.strip(), config.time_format)
        except ValueError as exc:
            raise EntryError("sent", f"does not match time format {config.time_format!r}") from exc
        return _attach_zone(parsed, config)
    if isinstance(value, str) and config.zone is not None:
        try:
            return _attach_zone(datetime.fromisoformat(value.strip()), config)
        except ValueError:
            return value
    return value


def _attach_zone(value: datetime, config: MappingConfig) -> datetime:
    """Naive local times are read in the configured zone (DST included, via zoneinfo)."""
    if value.tzinfo is None and config.zone is not None:
        return value.replace(tzinfo=config.zone)
    return value


def _epoch(value: object, per_second: float) -> datetime:
    try:
        seconds = float(value) / per_second  # type: ignore[arg-type]
        return datetime.fromtimestamp(seconds, UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise EntryError("sent", "expected a Unix time number") from exc


def _geometry(item: dict[str, Any], paths: GeometryPaths) -> dict[str, Any]:
    lat, lon = resolve(item, paths.lat), resolve(item, paths.lon)
    present = [v for v in (lat, lon) if v is not _MISSING and v is not None]
    if not present:
        return {}
    if len(present) == 1:
        raise EntryError("geometry", "latitude and longitude must both be present")
    try:
        if isinstance(lat, bool) or isinstance(lon, bool):
            raise TypeError
        coordinates = [float(lon), float(lat)]  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise EntryError("geometry", "latitude and longitude must be numbers") from exc
    return {"geometry": {"type": "Point", "coordinates": coordinates}}
