"""Cameras, sensors and zones declared in a site layer, as records.

A city's site file says where its cameras look and where its zones are; as records they reach
the store, the map and the detectors like anything else (see ``app/map/zones.py``).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from app.model import Camera, GeoPoint, Sensor, Zone

log = logging.getLogger(__name__)

Collection = dict[str, Any]


def finite_number(value: Any) -> float | None:
    """A finite float from a property, or None (booleans and text are not numbers here)."""
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def site_records(collection: Collection) -> list[Camera | Sensor | Zone]:
    """Cameras, sensors and zones declared in a layer, as the records detectors and fusion use."""
    records: list[Camera | Sensor | Zone] = []
    for feature in collection.get("features", []):
        props = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        kind, identifier = props.get("kind"), props.get("identifier")
        if kind not in _BUILDERS:
            continue
        wanted = "Polygon" if kind == "zone" else "Point"
        if not identifier or geometry.get("type") != wanted:
            log.warning(
                "%s %r skipped: needs an identifier and a %s", kind, props.get("name"), wanted
            )
            continue
        try:
            records.append(_BUILDERS[kind](str(identifier), props, geometry))
        except (ValueError, TypeError, KeyError) as exc:
            log.warning("%s %r skipped: %s", kind, identifier, exc)
    return records


def _camera(identifier: str, props: dict[str, Any], geometry: dict[str, Any]) -> Camera:
    return Camera(
        identifier=identifier,
        name=str(props.get("name") or identifier),
        uri=str(props.get("uri") or ""),
        point=GeoPoint.from_geojson(geometry),
        heading_deg=finite_number(props.get("heading_deg")),
        fov_deg=finite_number(props.get("fov_deg")),
    )


def _sensor(identifier: str, props: dict[str, Any], geometry: dict[str, Any]) -> Sensor:
    if not props.get("quantity"):
        raise ValueError("no quantity")
    name = str(props.get("name") or identifier)
    interval = finite_number(props.get("interval_s"))
    return Sensor(
        identifier=identifier,
        name=name,
        station=str(props.get("station") or name),
        quantity=str(props["quantity"]),
        unit=str(props.get("unit") or ""),
        point=GeoPoint.from_geojson(geometry),
        warning=finite_number(props.get("warning")),
        alarm=finite_number(props.get("alarm")),
        interval_s=interval if interval and interval > 0 else 60.0,
    )


def _zone(identifier: str, props: dict[str, Any], geometry: dict[str, Any]) -> Zone:
    ring = tuple(GeoPoint.from_coordinates(c) for c in geometry["coordinates"][0])
    return Zone(
        identifier=identifier,
        name=str(props.get("name") or identifier),
        kind=str(props.get("zone_kind") or "restricted"),
        polygon=ring,
    )


_BUILDERS = {"camera": _camera, "sensor": _sensor, "zone": _zone}
