"""Operator-supplied site layers (GeoJSON or KML) turned into one checked GeoJSON collection.

Files come from outside the control room, so everything is validated here, before the web map
sees it: geometry types and coordinate ranges are checked, KML is parsed with ``defusedxml`` (no
entity bombs, no external entities), and text stays text: the map must show ``name`` and
``description`` with ``textContent``, never as HTML.

Feature ``properties`` the map's JavaScript reads:

- ``name``: the label.
- ``kind``: ``venue``, ``zone``, ``camera``, ``sensor`` or ``place``. Missing or unknown kinds
  default to ``place`` for points and ``venue`` for polygons; lines get none.
- cameras: ``heading_deg`` (0 = north, clockwise), ``fov_deg``, ``range_m``.
- sensors: ``quantity``, ``unit``.
- ``stroke`` / ``fill``: ``#rrggbb`` colours only; anything else is dropped, so a file cannot
  inject CSS.

``site_records`` also reads ``identifier`` (required), ``uri`` (cameras), ``station``,
``warning``, ``alarm``, ``interval_s`` (sensors) and ``zone_kind`` (zones, default
``restricted``). Numeric properties are coerced to float; values that are not finite numbers are
dropped.
"""

from __future__ import annotations

import json
import logging
import math
import re
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from app.model import Camera, GeoPoint, Sensor, Zone

log = logging.getLogger(__name__)

KINDS = frozenset({"venue", "zone", "camera", "sensor", "place"})
NUMERIC = ("heading_deg", "fov_deg", "range_m", "warning", "alarm", "interval_s")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2}
_DEPTH |= {"Polygon": 2, "MultiPolygon": 3}
_POINTS, _POLYGONS = {"Point", "MultiPoint"}, {"Polygon", "MultiPolygon"}
# KML geometries we recognise; LinearRing, Model and Track are reported as unsupported.
_KML_GEOM = {"Point", "LineString", "Polygon", "MultiGeometry", "LinearRing", "Model", "Track"}

Collection = dict[str, Any]


class SiteLayerError(Exception):
    """A site layer file the console cannot draw; the message names the file and the problem."""


def load_site_layer(path: Path) -> Collection:
    """Read a ``.geojson``/``.json`` or ``.kml`` file into a checked FeatureCollection."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".geojson", ".json", ".kml"}:
        raise SiteLayerError(
            f"{path}: unsupported file type {suffix or '(none)'!r}; use .geojson, .json or .kml"
        )
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise SiteLayerError(f"{path}: file not found") from None
    except OSError as exc:
        raise SiteLayerError(f"{path}: cannot read the file ({exc.strerror})") from exc
    try:
        features = _kml_features(data, path) if suffix == ".kml" else _geojson_features(data, path)
        return {"type": "FeatureCollection", "features": _check_features(features, path)}
    except RecursionError:
        raise SiteLayerError(f"{path}: geometries are nested too deeply") from None


def _check_features(features: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    checked = []
    for index, feature in enumerate(features):
        where = f"{path}: feature {index + 1}"
        if feature.get("geometry") is None:
            log.warning("%s has no geometry; skipped", where)
            continue
        checked.append(_check_feature(feature, where))
    return checked


# --- GeoJSON -------------------------------------------------------------------------------


def _geojson_features(data: bytes, path: Path) -> list[dict[str, Any]]:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise SiteLayerError(f"{path}: not a JSON file ({exc})") from None
    kind = doc.get("type") if isinstance(doc, dict) else None
    if kind == "FeatureCollection" and isinstance(doc.get("features"), list):
        features = doc["features"]
    elif kind == "Feature":
        features = [doc]
    elif kind in _DEPTH or kind == "GeometryCollection":
        features = [{"type": "Feature", "properties": {}, "geometry": doc}]
    else:
        raise SiteLayerError(f"{path}: not GeoJSON (no FeatureCollection, Feature or geometry)")
    for index, feature in enumerate(features):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise SiteLayerError(f"{path}: feature {index + 1} is not a GeoJSON Feature")
    return features


def _check_feature(feature: dict[str, Any], where: str) -> dict[str, Any]:
    geometry = _check_geometry(feature["geometry"], where)
    properties = feature.get("properties")
    if not isinstance(properties, dict):
        properties = {}
    out = {
        "type": "Feature",
        "properties": _normalise(properties, geometry["type"]),
        "geometry": geometry,
    }
    if isinstance(feature.get("id"), str | int) and not isinstance(feature.get("id"), bool):
        out["id"] = feature["id"]
    return out


def _check_geometry(geometry: Any, where: str) -> dict[str, Any]:
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind == "GeometryCollection":
        parts = geometry.get("geometries")
        if not isinstance(parts, list):
            raise SiteLayerError(f"{where}: GeometryCollection without a geometries list")
        return {"type": kind, "geometries": [_check_geometry(g, where) for g in parts]}
    if kind not in _DEPTH:
        raise SiteLayerError(f"{where}: unsupported geometry type {kind!r}")
    coords = _check_coords(geometry.get("coordinates"), _DEPTH[kind], kind, where)
    return {"type": kind, "coordinates": coords}


def _check_coords(coords: Any, depth: int, kind: str, where: str) -> list[Any]:
    if depth == 0:
        return _check_position(coords, where)
    if not isinstance(coords, list):
        raise SiteLayerError(f"{where}: {kind} coordinates are not nested as GeoJSON requires")
    out = [_check_coords(c, depth - 1, kind, where) for c in coords]
    if depth == 1 and kind in {"LineString", "MultiLineString"} and len(out) < 2:
        raise SiteLayerError(f"{where}: a line needs at least 2 positions")
    if depth == 2 and kind in _POLYGONS and not out:
        raise SiteLayerError(f"{where}: a polygon needs an outer ring")
    if depth == 1 and kind in _POLYGONS:
        if out and out[0] != out[-1]:
            out.append(list(out[0]))
        if len(out) < 4:
            raise SiteLayerError(f"{where}: a polygon ring needs at least 3 distinct positions")
    return out


def _check_position(position: Any, where: str) -> list[float]:
    if not isinstance(position, list | tuple) or len(position) < 2:
        raise SiteLayerError(f"{where}: a position must be [longitude, latitude]")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in position):
        raise SiteLayerError(f"{where}: position {position!r} is not numeric")
    lon, lat, *rest = (float(v) for v in position)
    if not all(math.isfinite(v) for v in (lon, lat, *rest)):
        raise SiteLayerError(f"{where}: position {position!r} is not finite")
    if not -180.0 <= lon <= 180.0:
        raise SiteLayerError(f"{where}: longitude {lon} is outside -180..180")
    if not -90.0 <= lat <= 90.0:
        raise SiteLayerError(f"{where}: latitude {lat} is outside -90..90 (lon, lat swapped?)")
    return [lon, lat, *rest[:1]]


def _normalise(properties: dict[str, Any], geometry_type: str) -> dict[str, Any]:
    props = {str(k): v for k, v in properties.items()}
    for key in ("name", "description"):
        if key in props and props[key] is not None and not isinstance(props[key], str):
            props[key] = str(props[key])
    for key in NUMERIC:
        if key in props and (value := _number(props[key])) is None:
            del props[key]
        elif key in props:
            props[key] = value
    for key in ("stroke", "fill"):
        if key in props and not (isinstance(props[key], str) and _COLOUR.fullmatch(props[key])):
            log.warning("colour %s=%r dropped: only #rrggbb is allowed", key, props[key])
            del props[key]
    if props.get("kind") not in KINDS:
        props.pop("kind", None)
        default = "place" if geometry_type in _POINTS else "venue"
        if geometry_type in _POINTS | _POLYGONS:
            props["kind"] = default
    return props


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


# --- KML -----------------------------------------------------------------------------------


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: Any, name: str) -> Any:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: Any, name: str) -> str | None:
    found = _child(element, name)
    return None if found is None else "".join(found.itertext()).strip()


def _kml_features(data: bytes, path: Path) -> list[dict[str, Any]]:
    try:
        root = SafeET.fromstring(data)
    except DefusedXmlException as exc:
        raise SiteLayerError(f"{path}: KML refused for safety ({exc})") from None
    except SafeET.ParseError as exc:
        raise SiteLayerError(f"{path}: KML is not well-formed XML ({exc})") from None
    if _local(root.tag) != "kml":
        raise SiteLayerError(f"{path}: not a KML document (root element {_local(root.tag)!r})")
    placemarks = [e for e in root.iter() if _local(e.tag) == "Placemark"]
    return [_placemark(p, f"{path}: placemark {i + 1}") for i, p in enumerate(placemarks)]


def _placemark(element: Any, where: str) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    for key in ("name", "description"):
        if (value := _text(element, key)) is not None:
            properties[key] = value
    extended = _child(element, "ExtendedData")
    for data in [] if extended is None else extended.iter():
        if _local(data.tag) == "Data" and data.get("name"):
            properties[data.get("name")] = _text(data, "value") or ""
        elif _local(data.tag) == "SimpleData" and data.get("name"):
            properties[data.get("name")] = "".join(data.itertext()).strip()
    geometry = next((_kml_geometry(c, where) for c in element if _local(c.tag) in _KML_GEOM), None)
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def _kml_geometry(element: Any, where: str) -> dict[str, Any]:
    kind = _local(element.tag)
    if kind == "Point":
        return {"type": "Point", "coordinates": _kml_coords(element, where)[0]}
    if kind == "LineString":
        return {"type": "LineString", "coordinates": _kml_coords(element, where)}
    if kind == "Polygon":
        outer = _kml_rings(element, "outerBoundaryIs", where)
        if len(outer) != 1:
            raise SiteLayerError(f"{where}: a KML Polygon needs exactly one outerBoundaryIs ring")
        return {
            "type": "Polygon",
            "coordinates": outer + _kml_rings(element, "innerBoundaryIs", where),
        }
    if kind == "MultiGeometry":
        parts = [_kml_geometry(c, where) for c in element if _local(c.tag) in _KML_GEOM]
        return {"type": "GeometryCollection", "geometries": parts}
    raise SiteLayerError(f"{where}: unsupported KML geometry {kind!r}")


def _kml_rings(polygon: Any, boundary: str, where: str) -> list[list[list[float]]]:
    return [
        _kml_coords(ring, where)
        for part in polygon
        if _local(part.tag) == boundary
        for ring in part
        if _local(ring.tag) == "LinearRing"
    ]


def _kml_coords(element: Any, where: str) -> list[list[float]]:
    text = _text(element, "coordinates")
    try:
        tuples = [[float(v) for v in t.split(",")] for t in (text or "").split()]
    except ValueError:
        raise SiteLayerError(f"{where}: KML coordinates are not 'lon,lat[,alt]' numbers") from None
    if not tuples or any(len(t) not in (2, 3) for t in tuples):
        raise SiteLayerError(f"{where}: KML coordinates are missing or not 'lon,lat[,alt]'")
    return tuples


# --- records -------------------------------------------------------------------------------


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
        heading_deg=_number(props.get("heading_deg")),
        fov_deg=_number(props.get("fov_deg")),
    )


def _sensor(identifier: str, props: dict[str, Any], geometry: dict[str, Any]) -> Sensor:
    if not props.get("quantity"):
        raise ValueError("no quantity")
    name = str(props.get("name") or identifier)
    interval = _number(props.get("interval_s"))
    return Sensor(
        identifier=identifier,
        name=name,
        station=str(props.get("station") or name),
        quantity=str(props["quantity"]),
        unit=str(props.get("unit") or ""),
        point=GeoPoint.from_geojson(geometry),
        warning=_number(props.get("warning")),
        alarm=_number(props.get("alarm")),
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
