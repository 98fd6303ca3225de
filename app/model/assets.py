"""What the city has installed: cameras, sensors, and the zones drawn on the map."""

from __future__ import annotations

from dataclasses import dataclass

from app.model.geo import GeoPoint


@dataclass(frozen=True, slots=True, kw_only=True)
class Camera:
    identifier: str
    name: str
    uri: str
    point: GeoPoint | None = None
    heading_deg: float | None = None
    fov_deg: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Sensor:
    identifier: str
    name: str
    station: str
    quantity: str
    unit: str
    point: GeoPoint | None = None
    warning: float | None = None
    alarm: float | None = None
    interval_s: float = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Zone:
    """A named polygon (restricted area, venue, crowd zone) that detectors and fusion use."""

    identifier: str
    name: str
    kind: str
    polygon: tuple[GeoPoint, ...]

    def __post_init__(self) -> None:
        if len(self.polygon) < 4 or self.polygon[0] != self.polygon[-1]:
            raise ValueError(f"zone {self.identifier!r} needs a closed ring of at least 4 points")
