"""Hub messages of the sensor watch."""

from __future__ import annotations

from dataclasses import dataclass

from app.model import Observation, Sensor


@dataclass(frozen=True, slots=True)
class SensorSnapshot:
    """What the sensors panel starts from: every sensor in the store and the last hour of
    their readings (at most ``SNAPSHOT_LIMIT``, the newest kept), oldest first, loaded off the
    GUI thread once at start."""

    sensors: tuple[Sensor, ...]
    recent: tuple[Observation, ...]
