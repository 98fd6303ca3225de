"""GeoJSON features whose ``properties`` carry tool-API alert fields, to alert dicts.

Mapping tools and GIS exports speak GeoJSON; the properties use the tool API's own field names,
so only the geometry needs reshaping: a Point is the alert's position, a Polygon becomes the
alert's area (with its centroid as the position, so the alert still has a marker).
"""

from __future__ import annotations

from typing import Any

from app.toolapi.adapters import AdapterError, EntryError, Extraction, ring_centroid


def geojson_document(document: object) -> Extraction:
    """A FeatureCollection (one alert per feature) or a single Feature."""
    if not isinstance(document, dict) or document.get("type") not in (
        "FeatureCollection",
        "Feature",
    ):
        raise AdapterError("expected a GeoJSON FeatureCollection or Feature object")
    features = [document] if document["type"] == "Feature" else document.get("features")
    if not isinstance(features, list):
        raise AdapterError("GeoJSON FeatureCollection has no 'features' list")
    out = Extraction()
    for position, feature in enumerate(features):
        hint = _identifier(feature)
        out.convert(position, hint, lambda feature=feature: feature_fields(feature))
    return out


def _identifier(feature: object) -> object:
    if not isinstance(feature, dict):
        return None
    properties = feature.get("properties")
    if isinstance(properties, dict) and properties.get("identifier"):
        return properties["identifier"]
    return feature.get("id")


def feature_fields(feature: object) -> dict[str, Any]:
    """One Feature as a tool-API dict; the Feature's ``id`` stands in for a missing
    ``identifier`` (GIS exports often keep the id there)."""
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        raise EntryError("feature", "expected a GeoJSON Feature object")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise EntryError("properties", "expected a JSON object")
    fields = {k: v for k, v in properties.items() if k not in ("geometry", "area_description")}
    if "identifier" not in fields and isinstance(feature.get("id"), str | int):
        fields["identifier"] = str(feature["id"])
    fields.update(_geometry_fields(feature.get("geometry"), properties))
    return fields


def _geometry_fields(geometry: object, properties: dict[str, Any]) -> dict[str, Any]:
    if geometry is None:
        return {}
    if not isinstance(geometry, dict):
        raise EntryError("geometry", "expected a GeoJSON geometry object or null")
    kind = geometry.get("type")
    if kind == "Point":
        return {"geometry": geometry}
    if kind != "Polygon":
        raise EntryError("geometry", f"type {kind!r} is not supported (Point or Polygon)")
    rings = geometry.get("coordinates")
    if not isinstance(rings, list) or not rings or not isinstance(rings[0], list):
        raise EntryError("geometry", "a Polygon needs a list of rings")
    area = properties.get("area") if isinstance(properties.get("area"), dict) else {}
    description = (
        properties.get("area_description") or area.get("description") or properties.get("headline")
    )
    area_fields: dict[str, Any] = {"polygon": geometry}
    if description is not None:
        area_fields["description"] = description
    centre = ring_centroid(rings[0], "geometry")
    return {"area": area_fields, "geometry": {"type": "Point", "coordinates": centre}}
