"""How sensitive sensor detection is: defaults plus per-sensor overrides, kept as data.

The levels themselves (warning, alarm, reporting interval) belong to the sensor record; this
file tunes how they are applied (hysteresis, minimum duration, rate limit, CUSUM constants,
staleness), in ``resources/sensors/detection.json`` so a control room can tune a noisy sensor
without a release. A bad value stops the start with a message naming the key, instead of a
detector that silently never fires.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from app.bundled import read_json

RESOURCE = "sensors/detection.json"
DETECTORS = frozenset({"threshold", "rate", "change", "stale"})
_DOCUMENT_KEYS = {"version", "biological_quantities", "defaults", "sensors"}


class DetectionParamsError(ValueError):
    """The detection parameters are unusable; the message names the offending key."""


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# Per field: (accepts the value, what the error says it must be).
_CHECKS: dict[str, tuple[Any, str]] = {
    "hysteresis": (lambda v: _is_number(v) and 0 <= v < 1, "a fraction from 0 up to 1"),
    "min_duration_s": (lambda v: _is_number(v) and v >= 0, "a number of seconds >= 0"),
    "rate_limit_per_min": (lambda v: v is None or (_is_number(v) and v > 0), "null or > 0"),
    "rate_window_s": (lambda v: _is_number(v) and v > 0, "a number of seconds > 0"),
    "cusum_k": (lambda v: _is_number(v) and v >= 0, "a number >= 0"),
    "cusum_h": (lambda v: _is_number(v) and v > 0, "a number > 0"),
    "training_window": (lambda v: isinstance(v, int) and v >= 5, "a whole number >= 5"),
    "stale_missed_intervals": (lambda v: isinstance(v, int) and v >= 1, "a whole number >= 1"),
    "detectors": (
        lambda v: isinstance(v, frozenset) and v <= DETECTORS,
        f"a subset of {sorted(DETECTORS)}",
    ),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorDetectionParams:
    """Detection settings for one sensor.

    ``hysteresis`` is a fraction of each level (0.05: the 500 warning is left below 475), so
    one default suits every unit. ``cusum_k`` and ``cusum_h`` are in robust-sigma units of the
    series' own baseline; ``rate_limit_per_min`` is in the sensor's unit, so it has no useful
    default and the rate detector stays idle until a sensor gets one.
    """

    hysteresis: float = 0.05
    min_duration_s: float = 10.0
    rate_limit_per_min: float | None = None
    rate_window_s: float = 60.0
    cusum_k: float = 0.5
    cusum_h: float = 10.0
    training_window: int = 60
    stale_missed_intervals: int = 3
    detectors: frozenset[str] = DETECTORS

    def __post_init__(self) -> None:
        for name, (accepts, wanted) in _CHECKS.items():
            value = getattr(self, name)
            if not accepts(value):
                raise DetectionParamsError(f"{name}: must be {wanted} (got {value!r})")

    def enabled(self, detector: str) -> bool:
        return detector in self.detectors


@dataclass(frozen=True, slots=True)
class DetectionConfig:
    """The defaults, the per-sensor overrides, and which quantities are biological (their
    alarms are contamination events, not plain threshold events)."""

    defaults: SensorDetectionParams = SensorDetectionParams()
    overrides: Mapping[str, SensorDetectionParams] = field(
        default_factory=lambda: MappingProxyType({})
    )
    biological_quantities: frozenset[str] = frozenset()

    def for_sensor(self, sensor_id: str) -> SensorDetectionParams:
        return self.overrides.get(sensor_id, self.defaults)

    @classmethod
    def load(cls, resource: str = RESOURCE) -> DetectionConfig:
        return cls.from_document(read_json(resource))

    @classmethod
    def from_document(cls, document: Any) -> DetectionConfig:
        if not isinstance(document, dict):
            raise DetectionParamsError(f"{RESOURCE}: must be a JSON object")
        unknown = sorted(set(document) - _DOCUMENT_KEYS)
        if unknown:
            raise DetectionParamsError(f"{RESOURCE}: unknown key {unknown[0]!r}")
        if document.get("version", 1) != 1:
            raise DetectionParamsError(f"{RESOURCE}: 'version' must be 1")
        defaults = _params("defaults", document.get("defaults", {}), SensorDetectionParams())
        sensors = _mapping("sensors", document.get("sensors", {}))
        overrides = {
            sensor_id: _params(f"sensors.{sensor_id}", values, defaults)
            for sensor_id, values in sensors.items()
        }
        return cls(defaults, MappingProxyType(overrides), _quantities(document))


def _mapping(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise DetectionParamsError(f"{RESOURCE}: {where}: must be a JSON object")
    return value


def _params(where: str, values: Any, base: SensorDetectionParams) -> SensorDetectionParams:
    """``base`` with ``values`` applied; every error names the full key (sensors.x.cusum_h)."""
    changes = dict(_mapping(where, values))
    for key in changes:
        if key not in _CHECKS:
            raise DetectionParamsError(f"{RESOURCE}: {where}.{key}: unknown key")
    if "detectors" in changes:
        changes["detectors"] = _names(f"{where}.detectors", changes["detectors"])
    try:
        return dataclasses.replace(base, **changes)
    except DetectionParamsError as exc:
        raise DetectionParamsError(f"{RESOURCE}: {where}.{exc}") from exc


def _names(where: str, value: Any) -> frozenset[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DetectionParamsError(f"{RESOURCE}: {where}: must be a list of detector names")
    return frozenset(value)


def _quantities(document: dict[str, Any]) -> frozenset[str]:
    value = document.get("biological_quantities", [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise DetectionParamsError(f"{RESOURCE}: biological_quantities: must be a list of names")
    return frozenset(value)
