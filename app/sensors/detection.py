"""Per-sensor detector state for a live feed: the detectors' state machines, one set per sensor.

Live readings arrive in hub batches that mix sensors, so the generators of ``detectors.sensor``
cannot simply be run to completion; their state machines are kept here instead and fed one
reading at a time, which is the same code the generators run. Duplicates and late readings
(a connector's retry, the start-up history overlapping the live feed) are dropped per sensor,
so every detector sees each series once and in time order.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime

from app.model import Observation, Sensor
from detectors.api import Stepper
from detectors.sensor.change import ChangeWatch, CusumParams
from detectors.sensor.findings import SensorFinding
from detectors.sensor.params import DetectionConfig, SensorDetectionParams
from detectors.sensor.rate import RateParams, RateWatch
from detectors.sensor.stale import StaleWatch
from detectors.sensor.threshold import ThresholdParams, ThresholdWatch

log = logging.getLogger(__name__)


def build_watches(
    sensor: Sensor, params: SensorDetectionParams
) -> list[Stepper[Observation, SensorFinding]]:
    """The enabled detectors that have what they need (levels, a rate limit)."""
    watches: list[Stepper[Observation, SensorFinding]] = []
    has_levels = sensor.warning is not None or sensor.alarm is not None
    if params.enabled("threshold") and has_levels:
        levels = ThresholdParams(
            warning=sensor.warning,
            alarm=sensor.alarm,
            hysteresis=params.hysteresis,
            min_duration_s=params.min_duration_s,
        )
        watches.append(ThresholdWatch(levels))
    if params.enabled("rate") and params.rate_limit_per_min is not None:
        watches.append(RateWatch(RateParams(limit_per_min=params.rate_limit_per_min)))
    if params.enabled("change"):
        cusum = CusumParams(
            k=params.cusum_k, h=params.cusum_h, training_window=params.training_window
        )
        watches.append(ChangeWatch(cusum))
    return watches


class SensorDetectors:
    """Every enabled detector of one sensor, and the time of the last reading they saw."""

    def __init__(
        self, sensor: Sensor, params: SensorDetectionParams, last: datetime | None = None
    ) -> None:
        self.sensor = sensor
        self.last = last
        self._watches = build_watches(sensor, params)

    def step(self, observation: Observation) -> list[SensorFinding]:
        if self.last is not None and observation.time <= self.last:
            return []
        self.last = observation.time
        if not math.isfinite(observation.value):
            log.warning("Skipping the non-finite reading %s", observation.identifier)
            return []
        return [finding for watch in self._watches for finding in watch.step(observation)]


class DetectorBank:
    """Detectors of every sensor, built on a sensor's first reading and rebuilt when its
    record changes (new levels), plus the staleness watch over the declared sensors."""

    def __init__(self, config: DetectionConfig, started: datetime) -> None:
        self.config = config
        self.sensors: dict[str, Sensor] = {}
        self.stale = StaleWatch(started)
        self._detectors: dict[str, SensorDetectors] = {}

    def add_sensor(self, sensor: Sensor) -> None:
        if self.sensors.get(sensor.identifier) == sensor:
            return  # the same record again (every start re-imports the site): keep the state
        self.sensors[sensor.identifier] = sensor
        previous = self._detectors.pop(sensor.identifier, None)
        if previous is not None:
            self._build(sensor, previous.last)
        params = self.config.for_sensor(sensor.identifier)
        if params.enabled("stale"):
            self.stale.expect(sensor.identifier, sensor.interval_s, params.stale_missed_intervals)
        else:
            self.stale.forget(sensor.identifier)

    def sensor(self, sensor_id: str) -> Sensor | None:
        """The record findings of ``sensor_id`` are described with (a stand-in if undeclared)."""
        detectors = self._detectors.get(sensor_id)
        return detectors.sensor if detectors is not None else self.sensors.get(sensor_id)

    def step(self, observation: Observation) -> list[SensorFinding]:
        detectors = self._detectors.get(observation.sensor_id)
        if detectors is None:
            detectors = self._build(self._describe(observation), None)
        findings = detectors.step(observation)
        self.stale.seen(observation)
        return findings

    def check_stale(self, now: datetime) -> tuple[SensorFinding, ...]:
        return self.stale.check(now)

    def _build(self, sensor: Sensor, last: datetime | None) -> SensorDetectors:
        params = self.config.for_sensor(sensor.identifier)
        detectors = self._detectors[sensor.identifier] = SensorDetectors(sensor, params, last)
        return detectors

    def _describe(self, observation: Observation) -> Sensor:
        """The sensor's record, or, for a sensor the store does not describe, a stand-in with
        no levels (its rate and change detectors still run)."""
        known = self.sensors.get(observation.sensor_id)
        if known is not None:
            return known
        return Sensor(
            identifier=observation.sensor_id,
            name=observation.sensor_id,
            station="",
            quantity=observation.quantity,
            unit=observation.unit,
        )
