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

from app.map.kml import kml_features
from app.map.site_errors import SiteLayerError
from app.map.site_records import finite_number, site_records

log = logging.getLogger(__name__)

KINDS = frozenset({"venue", "zone", "camera", "sensor", "place"})
NUMERIC = ("heading_deg", "fov_deg", "range_m", "warning", "alarm", "interval_s")
_COLOUR = re.compile(r"#[0-9a-fA-F]{6}")
_DEPTH = {"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2}
_DEPTH |= {"Polygon": 2, "MultiPolygon": 3}
_POINTS, _POLYGONS = {"Point", "MultiPoint"}, {"Polygon", "MultiPolygon"}

Collection = dict[str, Any]


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
        features = kml_features(data, path) if suffix == ".kml" else _geojson_features(data, path)
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
        if key in props and (value := finite_number(props[key])) is None:
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


__all__ = ["SiteLayerError", "load_site_layer", "site_records"]
