"""The demo site as the simulated cameras see it: where each camera stands and looks, the zones
painted on the square, and the fence around it.

Everything comes from the bundled site layer (``resources/demo/site.geojson``) through the map's
own checked loader, so the picture a simulated camera draws and the polygons the analytics test
against are the same polygons. ``range_m`` and the zone colours are not on the records, so they
are read from the checked feature properties.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from app.map.config import demo_site_path
from app.map.site_layers import load_site_layer, site_records
from app.model import Camera, GeoPoint, Zone

DEFAULT_FOV_DEG = 60.0
DEFAULT_RANGE_M = 50.0
ZONE_COLOURS = {"crowd": "#f0a30a", "restricted": "#d62728", "vip": "#6a5acd"}
OTHER_ZONE_COLOUR = "#d62728"
CROWD_KINDS = frozenset({"crowd"})


@dataclass(frozen=True, slots=True)
class SiteCamera:
    """Where a camera stands and what it covers (0° = north, clockwise)."""

    identifier: str
    name: str
    point: GeoPoint
    heading_deg: float
    fov_deg: float
    range_m: float


@dataclass(frozen=True, slots=True)
class SiteZone:
    """A zone record and the ``#rrggbb`` colour the site file paints it with."""

    zone: Zone
    colour: str

    @property
    def restricted(self) -> bool:
        """Whether walking in is an intrusion: every zone that is not for gathering."""
        return self.zone.kind not in CROWD_KINDS


@dataclass(frozen=True, slots=True)
class DemoSite:
    cameras: tuple[SiteCamera, ...]
    zones: tuple[SiteZone, ...]
    venue: tuple[GeoPoint, ...]

    def camera(self, identifier: str) -> SiteCamera | None:
        return next((c for c in self.cameras if c.identifier == identifier), None)


@cache
def demo_site() -> DemoSite:
    """The bundled site, read once per process (every simulated camera shares it)."""
    collection = load_site_layer(demo_site_path())
    features = collection["features"]
    records = site_records(collection)
    ranges = {_ident(f): f["properties"].get("range_m") for f in features if _kind(f) == "camera"}
    colours = {_ident(f): f["properties"].get("stroke") for f in features if _kind(f) == "zone"}
    cameras = tuple(
        _site_camera(r, ranges.get(r.identifier)) for r in records if _is_placed_camera(r)
    )
    zones = tuple(
        SiteZone(r, colours.get(r.identifier) or ZONE_COLOURS.get(r.kind, OTHER_ZONE_COLOUR))
        for r in records
        if isinstance(r, Zone)
    )
    return DemoSite(cameras, zones, _venue(features))


def _kind(feature: dict[str, Any]) -> str | None:
    return feature["properties"].get("kind")


def _ident(feature: dict[str, Any]) -> str:
    return str(feature["properties"].get("identifier") or "")


def _is_placed_camera(record: object) -> bool:
    return isinstance(record, Camera) and record.point is not None


def _site_camera(record: Camera, range_m: Any) -> SiteCamera:
    assert record.point is not None
    return SiteCamera(
        identifier=record.identifier,
        name=record.name,
        point=record.point,
        heading_deg=float(record.heading_deg or 0.0) % 360.0,
        fov_deg=float(record.fov_deg or DEFAULT_FOV_DEG),
        range_m=float(range_m) if isinstance(range_m, float) and range_m > 0 else DEFAULT_RANGE_M,
    )


def _venue(features: list[dict[str, Any]]) -> tuple[GeoPoint, ...]:
    """The first venue polygon's outer ring (the fence), or nothing when the site has none."""
    for feature in features:
        geometry = feature["geometry"]
        if _kind(feature) == "venue" and geometry["type"] == "Polygon":
            return tuple(GeoPoint.from_coordinates(c) for c in geometry["coordinates"][0])
    return ()
