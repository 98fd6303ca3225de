"""KML placemarks as GeoJSON features, parsed safely.

KML comes from outside the control room, so it is parsed with ``defusedxml`` (no entity bombs,
no external entities) and its names and descriptions stay plain text. Geometry checks (ranges,
ring closure) happen afterwards, for GeoJSON and KML alike, in ``site_layers``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

from app.map.site_errors import SiteLayerError

# KML geometries we recognise; LinearRing, Model and Track are reported as unsupported.
_KML_GEOM = {"Point", "LineString", "Polygon", "MultiGeometry", "LinearRing", "Model", "Track"}


def _local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child(element: Any, name: str) -> Any:
    return next((c for c in element if _local(c.tag) == name), None)


def _text(element: Any, name: str) -> str | None:
    found = _child(element, name)
    return None if found is None else "".join(found.itertext()).strip()


def kml_features(data: bytes, path: Path) -> list[dict[str, Any]]:
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
