"""The site layers a report's map shows: the scenario's own files, or what the store knows.

A scenario brings its city's layers (GeoJSON/KML with zones, cameras and sensors); an incident
report uses the zones, cameras and sensors stored by the console, near the incident's alerts.
Both are read through the same checked loaders the live map uses.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Sequence
from pathlib import Path

from app.map.site_errors import SiteLayerError
from app.map.site_layers import load_site_layer
from app.map.site_records import site_records
from app.model import Alert, Camera, GeoPoint, Sensor, Zone
from app.report.data import MapShape, SiteLayers
from app.storage import RecordStore

log = logging.getLogger(__name__)

EARTH_RADIUS_M = 6_371_000.0


def alert_point(alert: Alert) -> GeoPoint | None:
    """Where to draw an alert: its point, else its area's centre (circle or outline)."""
    if alert.point is not None:
        return alert.point
    area = alert.area
    if area is None:
        return None
    if area.circle is not None:
        return area.circle.centre
    if area.polygon:
        ring = area.polygon[:-1] or area.polygon
        return GeoPoint(sum(p.lat for p in ring) / len(ring), sum(p.lon for p in ring) / len(ring))
    return None


def distance_m(a: GeoPoint, b: GeoPoint) -> float:
    """Equirectangular distance: exact enough within a city, and cheap."""
    x = math.radians(b.lon - a.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    y = math.radians(b.lat - a.lat)
    return EARTH_RADIUS_M * math.hypot(x, y)


def layers_from_files(paths: Sequence[Path], centre: GeoPoint | None = None) -> SiteLayers:
    """Zones, venues, cameras and sensors of a scenario's site files (a broken file is logged
    and left out: a report with a thinner map beats no report)."""
    shapes: list[MapShape] = []
    cameras: list[Camera] = []
    sensors: list[Sensor] = []
    for path in paths:
        try:
            collection = load_site_layer(Path(path))
        except SiteLayerError as exc:
            log.warning("Site layer left out of the report: %s", exc)
            continue
        shapes += _shapes(collection)
        for record in site_records(collection):
            if isinstance(record, Camera):
                cameras.append(record)
            elif isinstance(record, Sensor):
                sensors.append(record)
    return SiteLayers(tuple(shapes), tuple(cameras), tuple(sensors), centre)


def _shapes(collection: dict) -> list[MapShape]:
    shapes = []
    for feature in collection.get("features", []):
        props, geometry = feature.get("properties") or {}, feature.get("geometry") or {}
        if geometry.get("type") == "Polygon":
            rings = [geometry["coordinates"][0]]
        elif geometry.get("type") == "MultiPolygon":
            rings = [polygon[0] for polygon in geometry["coordinates"]]
        else:
            continue
        for ring in rings:
            shapes.append(
                MapShape(
                    name=str(props.get("name") or ""),
                    kind=str(props.get("kind") or "venue"),
                    ring=tuple(GeoPoint.from_coordinates(c) for c in ring),
                    colour=props.get("fill") or props.get("stroke"),
                )
            )
    return shapes


def layers_from_store(
    store: RecordStore, around: Iterable[GeoPoint], margin_m: float = 1500.0
) -> SiteLayers:
    """The stored zones, cameras and sensors within ``margin_m`` of any of ``around`` (all of
    them when ``around`` is empty)."""
    points = list(around)

    def near(point: GeoPoint | None) -> bool:
        if not points:
            return True
        return point is not None and any(distance_m(point, p) <= margin_m for p in points)

    zones = [z for z in store.all(Zone) if any(near(p) for p in z.polygon)]
    shapes = tuple(MapShape(z.name, "zone", z.polygon) for z in zones)
    cameras = tuple(c for c in store.all(Camera) if near(c.point))
    sensors = tuple(s for s in store.all(Sensor) if near(s.point))
    return SiteLayers(shapes, cameras, sensors)
