"""Sensor-detection benchmarks: the CUSUM's detection delay against its false-alarm rate for a
few parameter settings, on generated series with known change points, and how many readings a
second the sensor watch's detector step judges (no storage).

Delay is counted in readings after the change point (0: raised on the first changed reading);
false alarms are counted on in-control noise. Every series is seeded, so runs compare.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

from app.hub import Hub
from app.ingest import Ingest
from app.model import Observation, Sensor
from app.sensors.service import SensorWatch
from app.storage import RecordStore, create_engine_for
from detectors.api import CancelToken
from detectors.sensor import change
from detectors.sensor.change import CusumParams
from detectors.sensor.params import DetectionConfig, SensorDetectionParams

Row = tuple[str, str, str]
T0 = datetime(2026, 6, 20, tzinfo=UTC)
SETTINGS = (CusumParams(k=0.5, h=5.0), CusumParams(k=0.5, h=10.0), CusumParams(k=1.0, h=5.0))
SPAN = 300  # readings between change points
IN_CONTROL = 50_000


def _readings(values: np.ndarray, sensor_id: str = "bench") -> list[Observation]:
    return [
        Observation(
            identifier=f"{sensor_id}-{index}",
            sensor_id=sensor_id,
            time=T0 + timedelta(seconds=5 * index),
            quantity="level",
            value=value,
            unit="u",
        )
        for index, value in enumerate(values.tolist())
    ]


def _alarm_indices(params: CusumParams, values: np.ndarray) -> list[int]:
    findings = change.run(_readings(values), params, CancelToken())
    return [int((f.time - T0).total_seconds()) // 5 for f in findings]


def _delays(params: CusumParams, shift_sigmas: float, points: int = 60) -> str:
    """Mean (median) delay over ``points`` change points (up, back, down, back, ...) and
    misses. A false alarm just before a change point retrains the baseline on the changed
    readings, which shows as a late detection or a miss: the price of a low ``h``."""
    rng = np.random.default_rng(11)
    pattern = [0.0, shift_sigmas, 0.0, -shift_sigmas]
    means = np.repeat([pattern[i % 4] for i in range(points + 1)], SPAN)
    alarms = _alarm_indices(params, means + rng.normal(0.0, 1.0, len(means)))
    delays = []
    for point in range(SPAN, len(means), SPAN):
        after = [a - point for a in alarms if point <= a < point + SPAN]
        delays += after[:1]
    if not delays:
        return f"all {points} missed"
    missed = points - len(delays)
    return f"{np.mean(delays):.1f} ({np.median(delays):.0f}), {missed} missed"


def cusum_tradeoff() -> list[Row]:
    noise = np.random.default_rng(5).normal(0.0, 1.0, IN_CONTROL)
    rows = []
    for params in SETTINGS:
        false_alarms = len(_alarm_indices(params, noise)) * 10_000 / IN_CONTROL
        rows.append(
            (
                "sensors",
                f"CUSUM k={params.k:g} h={params.h:g}: delay in readings, mean (median), "
                "at 2σ | 3σ shifts; false alarms",
                f"{_delays(params, 2.0)} | {_delays(params, 3.0)}; "
                f"{false_alarms:.1f} per 10k readings",
            )
        )
    return rows


def detector_throughput(sensors: int = 100, per_sensor: int = 2_000) -> list[Row]:
    """Readings per second through ``SensorWatch.detect`` with threshold, rate and CUSUM on
    every sensor, interleaved as a live feed delivers them."""
    rng = np.random.default_rng(3)
    config = DetectionConfig(defaults=SensorDetectionParams(rate_limit_per_min=50.0))
    feed = [_readings(100 + rng.normal(0, 5, per_sensor), f"s-{n}") for n in range(sensors)]
    interleaved = [reading for step in zip(*feed, strict=True) for reading in step]
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine_for(f"sqlite:///{Path(folder) / 'bench.db'}")
        store, hub = RecordStore(engine), Hub()
        watch = SensorWatch(store, Ingest(store, hub), hub, config)
        for n in range(sensors):
            watch.bank.add_sensor(_sensor(f"s-{n}"))
        start = time.perf_counter()
        alerts = watch.detect(interleaved)
        rate = len(interleaved) / (time.perf_counter() - start)
        watch.stop()
        engine.dispose()
    return [
        (
            "sensors",
            f"detector step, {sensors} sensors x {per_sensor} readings "
            f"(threshold + rate + CUSUM, {len(alerts)} alerts)",
            f"{rate:,.0f} readings/s",
        )
    ]


def _sensor(identifier: str) -> Sensor:
    return Sensor(
        identifier=identifier,
        name=identifier,
        station="bench",
        quantity="level",
        unit="u",
        warning=115.0,
        alarm=125.0,
        interval_s=5.0,
    )


def detection_benchmarks() -> list[Row]:
    return cusum_tradeoff() + detector_throughput()
