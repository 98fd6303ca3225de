"""The sensor watch with a real SQLite store, hub, ingest and alert pipeline."""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from app.alerts.dedup import DedupRules
from app.alerts.pipeline import AlertPipeline
from app.alerts.priority import PriorityRules
from app.alerts.repository import AlertRepository
from app.bundled import read_json
from app.hub import Hub
from app.ingest import Ingest
from app.model import Alert, Observation, Priority, Sensor, Status, utc_now
from app.sensors.history import recent_readings
from app.sensors.messages import SensorSnapshot
from app.sensors.service import SensorWatch
from app.storage import RecordStore, create_engine_for, upgrade_schema
from app.terminology import default_terminology
from detectors.sensor.params import DetectionConfig, SensorDetectionParams

BACTERIA = Sensor(
    identifier="bio-north-bacteria",
    name="Station North, airborne bacteria",
    station="Station North",
    quantity="bacteria_air",
    unit="CFU/m³",
    warning=500.0,
    alarm=900.0,
    interval_s=5.0,
)
THRESHOLDS_ONLY = DetectionConfig(
    defaults=SensorDetectionParams(
        hysteresis=0.1, min_duration_s=15.0, detectors=frozenset({"threshold"})
    ),
    biological_quantities=frozenset({"bacteria_air"}),
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "sensors.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[RecordStore]:
    engine = create_engine_for(f"sqlite:///{db_path}")
    upgrade_schema(engine)
    yield RecordStore(engine)
    engine.dispose()


@pytest.fixture
def hub() -> Hub:
    return Hub()


@pytest.fixture
def ingest(store: RecordStore, hub: Hub) -> Ingest:
    terms = default_terminology()
    pipeline = AlertPipeline(AlertRepository(store), terms, PriorityRules.load(), DedupRules())
    return Ingest(store, hub, pipeline)


@pytest.fixture
def make_watch(store: RecordStore, hub: Hub, ingest: Ingest) -> Iterator:
    started: list[SensorWatch] = []

    def make(config: DetectionConfig = THRESHOLDS_ONLY, **options) -> SensorWatch:
        watch = SensorWatch(store, ingest, hub, config, **options)
        watch.start()
        started.append(watch)
        return watch

    yield make
    for watch in started:
        watch.stop()


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class Collector:
    def __init__(self) -> None:
        self.seen: list[object] = []
        self.event = threading.Event()

    def __call__(self, batch) -> None:
        self.seen.extend(batch)
        self.event.set()


def contamination(
    start: datetime, status: Status = Status.EXERCISE, prefix: str = "r"
) -> list[Observation]:
    """The demo scenario's contamination episode, every 5 s from ``start``."""
    series = next(
        s for s in read_json("demo/scenario.json")["series"] if s["quantity"] == "bacteria_air"
    )
    return [
        Observation(
            identifier=f"{prefix}-{index}",
            sensor_id=BACTERIA.identifier,
            time=start + timedelta(seconds=5 * index),
            quantity="bacteria_air",
            value=value,
            unit="CFU/m³",
            status=status,
        )
        for index, value in enumerate(series["values"])
    ]


def stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%dT%H%M%S.%fZ")


def first_at_or_above(readings: list[Observation], level: float) -> Observation:
    return next(r for r in readings if r.value >= level)


def test_a_contamination_episode_raises_one_warning_and_one_alarm_even_after_a_restart(
    store, hub, ingest, make_watch
):
    store.save([BACTERIA])
    readings = contamination(utc_now().replace(microsecond=0) - timedelta(minutes=10))
    watch = make_watch()
    for start in range(0, len(readings), 7):
        ingest.accept(readings[start : start + 7])
    ingest.accept(readings[:20])  # a connector re-delivering readings it already sent
    watch.stop()
    alerts = {a.event_type: a for a in store.latest(Alert, 10)}
    assert sorted(alerts) == ["biological_contamination", "sensor_threshold"]
    warning, alarm = alerts["sensor_threshold"], alerts["biological_contamination"]
    warning_start = first_at_or_above(readings, 500).time
    alarm_start = first_at_or_above(readings, 900).time
    assert warning.identifier == (
        f"sensor-watch:bio-north-bacteria/threshold/warning/{stamp(warning_start)}"
    )
    assert (
        alarm.identifier == f"sensor-watch:bio-north-bacteria/threshold/alarm/{stamp(alarm_start)}"
    )
    assert warning.status is Status.EXERCISE and alarm.status is Status.EXERCISE
    assert alarm.priority is Priority.P1 and alarm.point == BACTERIA.point
    assert "500" in warning.description and "15 s" in warning.description
    assert "bacteria_air 632 CFU/m³" in warning.description
    assert "900" in alarm.description and "964" in alarm.description
    redelivered = Collector()
    subscription = hub.subscribe(Alert, redelivered)
    make_watch().stop()  # a restart re-judges the last hour from the store ...
    subscription.cancel()
    assert {a.identifier for a in redelivered.seen} == {warning.identifier, alarm.identifier}
    assert store.count(Alert) == 2  # ... and re-delivers the same two alerts, not new ones


def test_a_silent_sensor_becomes_a_stale_alert(store, ingest, make_watch):
    quiet = Sensor(
        identifier="quiet-1",
        name="Gate",
        station="Gate",
        quantity="co2",
        unit="ppm",
        interval_s=0.1,
    )
    config = DetectionConfig(defaults=SensorDetectionParams(stale_missed_intervals=3))
    store.save([quiet])
    make_watch(config, check_every_s=0.05)
    ingest.accept(
        [
            Observation(
                identifier="q-1",
                sensor_id="quiet-1",
                time=utc_now(),
                quantity="co2",
                value=410.0,
                unit="ppm",
                status=Status.EXERCISE,
            )
        ]
    )
    wait_until(lambda: store.count(Alert) == 1)
    stale = store.latest(Alert, 1)[0]
    assert stale.event_type == "sensor_stale" and stale.status is Status.EXERCISE
    assert stale.identifier.startswith("sensor-watch:quiet-1/stale/")
    assert "0.1 s" in stale.description and "3 missed" in stale.description


def test_the_snapshot_holds_every_sensor_and_the_last_hour_of_readings(store, hub, make_watch):
    now = utc_now()
    old = contamination(now - timedelta(hours=2), prefix="old")[:3]
    recent = contamination(now - timedelta(minutes=5))[:10]
    store.save([BACTERIA, *old, *recent])
    collected = Collector()
    subscription = hub.subscribe(SensorSnapshot, collected)
    make_watch()
    wait_until(lambda: collected.seen)
    subscription.cancel()
    snapshot = collected.seen[0]
    assert snapshot.sensors == (BACTERIA,)
    assert [r.identifier for r in snapshot.recent] == [r.identifier for r in recent]
    assert (
        recent_readings(store, [BACTERIA.identifier], now - timedelta(hours=3), limit=4)
        == (recent[-4:])
    )


def test_the_watch_survives_a_bad_reading_and_keeps_judging(store, hub, make_watch, caplog):
    store.save([BACTERIA])
    readings = contamination(utc_now() - timedelta(minutes=10))
    watch = make_watch()
    bad = Observation(
        identifier="bad",
        sensor_id=BACTERIA.identifier,
        time=readings[0].time - timedelta(seconds=1),
        quantity="bacteria_air",
        value="lots",  # type: ignore[arg-type]  # what a broken tool might send
        unit="CFU/m³",
    )
    missing = replace(readings[1], identifier="nan", value=math.nan)
    with caplog.at_level(logging.WARNING):
        hub.publish(bad)
        hub.publish(*readings[:1], missing, *readings[2:])
        watch.stop()
    assert "Sensor detection failed" in caplog.text and "non-finite" in caplog.text
    assert store.count(Alert) == 2


def test_alerts_the_store_refuses_are_kept_and_delivered_later(
    store, ingest, make_watch, db_path, caplog
):
    store.save([BACTERIA])
    readings = contamination(utc_now() - timedelta(minutes=10))
    make_watch(check_every_s=0.05)
    rename_table(db_path, "alerts", "alerts_away")  # the store now refuses alerts
    with caplog.at_level(logging.ERROR):
        ingest.accept(readings)
        wait_until(lambda: "to retry" in caplog.text)
    assert store.count(Observation) == len(readings)
    rename_table(db_path, "alerts_away", "alerts")
    wait_until(lambda: store.count(Alert) == 2)


def rename_table(db_path: Path, old: str, new: str) -> None:
    with closing(sqlite3.connect(db_path)) as outside, outside:
        outside.execute(f"ALTER TABLE {old} RENAME TO {new}")


def test_readings_delivered_twice_are_judged_once(store, hub, ingest):
    watch = SensorWatch(store, ingest, hub, THRESHOLDS_ONLY)  # not started: the bare step
    watch.bank.add_sensor(BACTERIA)
    readings = contamination(utc_now() - timedelta(minutes=10))
    try:
        assert len(watch.detect(readings)) == 2
        assert watch.detect(readings) == []
        assert watch.detect(readings[::-1]) == []
    finally:
        watch.stop()
