"""Geometry in WGS 84, with GeoJSON conversion (GeoJSON orders coordinates lon, lat)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class GeoPoint:
    lat: float
    lon: float
    alt_m: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0):
            raise ValueError(f"latitude {self.lat!r} is outside -90..90")
        if not (math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"longitude {self.lon!r} is outside -180..180")

    def to_geojson(self) -> dict[str, Any]:
        coords = [self.lon, self.lat] if self.alt_m is None else [self.lon, self.lat, self.alt_m]
        return {"type": "Point", "coordinates": coords}

    @classmethod
    def from_geojson(cls, geometry: dict[str, Any]) -> GeoPoint:
        if geometry.get("type") != "Point":
            raise ValueError(f"expected a GeoJSON Point, got {geometry.get('type')!r}")
        return cls.from_coordinates(geometry["coordinates"])

    @classmethod
    def from_coordinates(cls, coords: list[float]) -> GeoPoint:
        lon, lat, *rest = coords
        return cls(lat=float(lat), lon=float(lon), alt_m=float(rest[0]) if rest else None)


@dataclass(frozen=True, slots=True)
class Circle:
    centre: GeoPoint
    radius_km: float


@dataclass(frozen=True, slots=True)
class Area:
    """CAP ``area``: a described place with an optional outline (one closed ring) or circle."""

    description: str
    polygon: tuple[GeoPoint, ...] = ()
    circle: Circle | None = None

    def __post_init__(self) -> None:
        if self.polygon and (len(self.polygon) < 4 or self.polygon[0] != self.polygon[-1]):
            raise ValueError("an area polygon needs at least four points and must be closed")

    def to_geojson(self) -> dict[str, Any] | None:
        if self.polygon:
            ring = [[p.lon, p.lat] for p in self.polygon]
            return {"type": "Polygon", "coordinates": [ring]}
        if self.circle is not None:
            return self.circle.centre.to_geojson()
        return None
