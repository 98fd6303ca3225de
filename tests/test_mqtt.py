"""Sensor observations over MQTT: the pure mapping rules, then real round trips through a
Mosquitto broker of the test's own (paho publishing), into a real SQLite store."""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from pydantic import ValidationError

from app.hub import Hub
from app.ingest import Ingest
from app.messages import HealthState, SourceHealth
from app.model import Observation
from app.mqtt.config import MqttConfig, MqttSubscription
from app.mqtt.mapping import decode, filter_problem, filters_overlap, matches, read_message
from app.mqtt.source import MqttSource
from app.plugins import PluginRegistry
from app.runtime import Core
from app.settings import Settings
from app.sources import SourceRunner
from app.storage import RecordStore, StorageError, create_engine_for, upgrade_schema
from tests.mosquitto import MosquittoBroker, free_port, mosquitto_path

T0 = datetime(2026, 6, 20, 18, 0, tzinfo=UTC)
NOW = datetime(2026, 6, 21, 9, 30, tzinfo=UTC)
WAIT_S = 15.0

SUBSCRIPTIONS = [
    # Tool-API observations; the sensor id is in each payload.
    {"topic": "tools/+/observations", "format": "tool-api"},
    # Bare readings; the sensor is the fourth level: city/<district>/air/<sensor>.
    {
        "topic": "city/+/air/#",
        "format": "value",
        "sensor_id_from": "topic:3",
        "quantity": "no2",
        "unit": "ug/m3",
        "tool_id": "air",
    },
    # Tool-API observations whose sensor is named by the topic, whatever the payload says.
    {"topic": "site/+/readings", "sensor_id_from": "topic:1", "tool_id": "site"},
]


def observation(n: int, **changes: Any) -> dict[str, Any]:
    item = {
        "identifier": f"obs-{n}",
        "sensor_id": "wind-3",
        "time": (T0 + timedelta(seconds=n)).isoformat(),
        "quantity": "wind_speed",
        "value": 4.5 + n,
        "unit": "m/s",
    }
    item.update(changes)
    return item


def config(**changes: Any) -> MqttConfig:
    return MqttConfig.model_validate({"subscriptions": SUBSCRIPTIONS, **changes})


# --- topic filters -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("topic_filter", "topic", "expected"),
    [
        ("city/+/sensors/#", "city/oslo/sensors/t-17", True),
        ("city/+/sensors/#", "city/oslo/sensors/a/b/c", True),
        ("city/+/sensors/#", "city/oslo/sensors", True),  # '#' includes the parent level
        ("city/+/sensors/#", "city/oslo/cameras/c-1", False),
        ("city/+/sensors/#", "city/oslo", False),
        ("city/+", "city/oslo/sensors", False),  # '+' is exactly one level
        ("city/+", "city/", True),  # ... which may be empty
        ("+/+", "/x", True),
        ("#", "anything/at/all", True),
        ("#", "$SYS/broker/uptime", False),  # '$' topics escape leading wildcards
        ("$SYS/#", "$SYS/broker/uptime", True),
        ("a/b", "a/b", True),
        ("a/b", "a/b/", False),
        ("A/b", "a/b", False),  # case matters
    ],
)
def test_topic_matching_follows_mqtt(topic_filter: str, topic: str, expected: bool) -> None:
    assert matches(topic_filter, topic) is expected
    assert mqtt.topic_matches_sub(topic_filter, topic) is expected  # paho agrees


@pytest.mark.parametrize("bad", ["", "a/#/b", "a/b#", "a/+b", "a\0b"])
def test_invalid_filters_are_named(bad: str) -> None:
    assert filter_problem(bad)
    with pytest.raises(ValidationError):
        MqttSubscription(topic=bad)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("city/+/air/#", "city/oslo/air/s1", True),
        ("city/+/air", "city/oslo/noise", False),
        ("a/#", "a", True),
        ("a/+", "a/b/c", False),
        ("+/x", "y/+", True),
    ],
)
def test_overlapping_filters_are_detected(first: str, second: str, expected: bool) -> None:
    assert filters_overlap(first, second) is expected
    assert filters_overlap(second, first) is expected


def test_configuration_refuses_mistakes_before_the_source_starts() -> None:
    with pytest.raises(ValidationError, match="overlap"):
        MqttConfig(subscriptions=[{"topic": "city/#"}, {"topic": "city/oslo/x"}])
    with pytest.raises(ValidationError, match="quantity"):
        MqttSubscription(topic="a/+", format="value", sensor_id_from="topic:1")
    with pytest.raises(ValidationError, match="topic:<level>"):
        MqttSubscription(topic="a/+", format="value", quantity="t")
    with pytest.raises(ValidationError, match="no level 5"):
        MqttSubscription(topic="a/+", sensor_id_from="topic:5")
    with pytest.raises(ValidationError, match="password needs a username"):
        config(password="secret")
    with pytest.raises(ValidationError):
        MqttConfig(subscriptions=[])
    assert config().port == 1883 and config().host == "127.0.0.1"
    assert "secret" not in repr(config(username="u", password="secret"))


# --- payloads --------------------------------------------------------------------------------


def read(topic: str, payload: bytes | str, retained: bool = False, **changes: Any):  # type: ignore[no-untyped-def]
    raw = payload.encode() if isinstance(payload, str) else payload
    return read_message(config(**changes), topic, raw, NOW, retained)


def reasons(decoded) -> list[str]:  # type: ignore[no-untyped-def]
    return [reason.text() for reason in decoded.rejections]


def test_tool_api_payloads_become_observations_named_by_the_source() -> None:
    single = read("tools/wx/observations", json.dumps(observation(1)))
    assert not single.rejections
    (record,) = single.observations
    assert record.identifier == "mqtt:obs-1" and record.sensor_id == "wind-3"
    assert record.value == 5.5 and record.time == T0 + timedelta(seconds=1)
    listed = read("tools/wx/observations", json.dumps([observation(n) for n in range(3)]))
    assert [o.identifier for o in listed.observations] == ["mqtt:obs-0", "mqtt:obs-1", "mqtt:obs-2"]


def test_the_topic_names_the_sensor_over_the_payload() -> None:
    decoded = read("site/mast-9/readings", json.dumps(observation(1, sensor_id="spoofed")))
    (record,) = decoded.observations
    assert record.sensor_id == "mast-9" and record.identifier == "site:obs-1"
    # ... and a payload without a sensor id is complete once the topic names it.
    item = observation(2)
    del item["sensor_id"]
    assert read("site/mast-9/readings", json.dumps(item)).observations[0].sensor_id == "mast-9"


def test_value_payloads_take_sensor_quantity_unit_from_the_mapping() -> None:
    bare = read("city/oslo/air/no2-17", "41.5")
    (record,) = bare.observations
    assert (record.sensor_id, record.quantity, record.unit) == ("no2-17", "no2", "ug/m3")
    assert record.value == 41.5 and record.time == NOW  # the arrival time
    assert record.identifier.startswith("air:")
    timed = read("city/oslo/air/no2-17", json.dumps({"value": 7, "time": T0.isoformat()}))
    assert timed.observations[0].time == T0 and timed.observations[0].value == 7.0
    again = read("city/oslo/air/no2-17", json.dumps({"value": 7, "time": T0.isoformat()}))
    # A redelivered reading keeps its identifier, so the store updates instead of doubling.
    assert again.observations[0].identifier == timed.observations[0].identifier
    assert again.observations[0].identifier != record.identifier


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("tools/wx/observations", "{not json", "payload is not JSON"),
        ("tools/wx/observations", b"\xff\xfe\x00garbage", "payload is not JSON"),
        ("tools/wx/observations", "", "payload is empty"),
        ("tools/wx/observations", "42", "neither an observation nor a list"),
        ("tools/wx/observations", json.dumps(observation(1, value="high")), "value:"),
        ("tools/wx/observations", json.dumps(observation(1, time="18:00")), "time:"),
        ("tools/wx/observations", json.dumps({"sensor_id": "x"}), "invalid observation"),
        ("tools/wx/observations", "x" * 70_000, "over the limit of 65536 bytes"),
        ("city/oslo/air/s1", "high", "value is not a number"),
        ("city/oslo/air/s1", '"41.5"', "value is not a number"),
        ("city/oslo/air/s1", "true", "value is not a number"),
        ("city/oslo/air/s1", "NaN", "value is not a finite number"),
        ("city/oslo/air/s1", "1" * 400, "value is not a finite number"),
        ("city/oslo/air/s1", '{"reading": 3}', "payload has no value"),
        ("city/oslo/air/s1", '{"value": 3', "payload is not JSON"),
        ("city/oslo/air/s1", '{"value": 3, "time": "2026-06-20T18:00"}', "time:"),
        ("city/oslo/air", "41.5", "the topic has no level 3"),
        ("city//air/", "41.5", "the topic has no level 3"),
        ("elsewhere/x", "41.5", "no subscription matches this topic"),
    ],
)
def test_bad_payloads_are_rejected_with_a_reason(topic: str, payload: str, reason: str) -> None:
    decoded = read(topic, payload)
    assert not decoded.observations
    (text,) = reasons(decoded)
    assert reason in text
    if len(payload) > 100:
        assert payload[:100] not in text  # the payload is never echoed


def test_one_bad_item_does_not_sink_its_list() -> None:
    items = [observation(1), observation(2, value="high"), observation(3)]
    decoded = read("tools/wx/observations", json.dumps(items))
    assert [o.identifier for o in decoded.observations] == ["mqtt:obs-1", "mqtt:obs-3"]
    (text,) = reasons(decoded)
    assert text.startswith("item 1: value: Input should be a valid number")


def test_a_retained_reading_without_its_own_time_is_refused() -> None:
    assert "retained" in reasons(read("city/oslo/air/s1", "41.5", retained=True))[0]
    timed = json.dumps({"value": 7, "time": T0.isoformat()})
    assert read("city/oslo/air/s1", timed, retained=True).observations


def test_the_size_limit_is_configurable() -> None:
    rule = MqttSubscription(topic="t/+", format="value", sensor_id_from="topic:1", quantity="q")
    assert decode(rule, "x", "t/s", b"1" + b" " * 300, NOW, max_bytes=256).rejections


# --- round trips through Mosquitto ----------------------------------------------------------


@pytest.fixture
def mosquitto_broker(tmp_path: Path) -> Iterator[MosquittoBroker]:
    """A broker of the test's own; ``stop()``/``start()``/``restart()`` keep its port.

    Skipped where mosquitto is not installed, except on CI, where a missing broker would
    otherwise turn the whole MQTT suite silently into skips."""
    if mosquitto_path() is None:
        reason = "mosquitto is not installed (see installer/system-packages.sh)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the MQTT tests", pytrace=False)
        pytest.skip(reason)
    folder = tmp_path / "broker"
    folder.mkdir()
    with MosquittoBroker(folder) as broker:
        yield broker


class FlakyStore(RecordStore):
    """A real SQLite store that can be told to fail (disk full) or to stall (slow disk)."""

    def __init__(self, path: Path) -> None:
        engine = create_engine_for(f"sqlite:///{path}")
        upgrade_schema(engine)
        super().__init__(engine)
        self.failing = threading.Event()
        self.stalled = threading.Event()
        self.entered = threading.Event()
        self.release = threading.Event()

    def save(self, records: Any) -> int:
        self.entered.set()
        if self.stalled.is_set():
            self.release.wait(WAIT_S)
        if self.failing.is_set():
            raise StorageError("the disk holding the database is full")
        return super().save(records)


class Watcher:
    """Collects what the hub publishes and waits for a condition on it."""

    def __init__(self, hub: Hub) -> None:
        self.health: list[SourceHealth] = []
        self.observations: list[Observation] = []
        self._changed = threading.Condition()
        self._subscription = hub.subscribe(object, self.on_batch)

    def on_batch(self, batch: list[Any]) -> None:
        with self._changed:
            self.health += [m for m in batch if isinstance(m, SourceHealth)]
            self.observations += [m for m in batch if isinstance(m, Observation)]
            self._changed.notify_all()

    def wait(self, predicate: Callable[[Watcher], bool], timeout: float = WAIT_S) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: predicate(self), timeout), (
                f"timed out; last health: {self.last()}"
            )

    def last(self, source: str = "mqtt") -> SourceHealth | None:
        states = [h for h in self.health if h.source_id == source]
        return states[-1] if states else None

    def is_(self, state: HealthState, source: str = "mqtt") -> bool:
        last = self.last(source)
        return last is not None and last.state is state

    def identifiers(self) -> set[str]:
        return {o.identifier for o in self.observations}


class Bench:
    """Store, hub, ingest and a runner: the console's own path for one MQTT source."""

    def __init__(self, folder: Path) -> None:
        self.store = FlakyStore(folder / "mqtt.db")
        self.hub = Hub()
        self.ingest = Ingest(self.store, self.hub)
        self.watcher = Watcher(self.hub)
        self.runner = SourceRunner(self.ingest, self.hub)
        self.source: MqttSource | None = None

    def start(self, port: int, **changes: Any) -> MqttSource:
        params = {
            "port": port,
            "subscriptions": SUBSCRIPTIONS,
            "retry_base_s": 0.05,
            "retry_cap_s": 0.3,
            "drain_interval_s": 0.05,
            **changes,
        }
        self.source = MqttSource(**params)
        self.runner.start(self.source)
        return self.source

    def stop(self) -> float:
        started = time.monotonic()
        self.runner.stop()
        self.store.engine.dispose()
        return time.monotonic() - started

    def stored(self) -> dict[str, Observation]:
        return {o.identifier: o for o in self.store.latest(Observation, limit=100_000)}


@pytest.fixture
def bench(tmp_path: Path) -> Iterator[Bench]:
    running = Bench(tmp_path)
    yield running
    running.store.release.set()
    running.stop()


class Publisher:
    """A paho client of the test's own, as a sensor gateway would publish."""

    def __init__(self, broker: MosquittoBroker) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-publisher")
        self.client.connect(broker.host, broker.port)
        self.client.loop_start()

    def send(self, topic: str, payload: bytes | str, qos: int = 1, retain: bool = False) -> None:
        self.client.publish(topic, payload, qos=qos, retain=retain).wait_for_publish(WAIT_S)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def publisher(mosquitto_broker: MosquittoBroker) -> Iterator[Publisher]:
    client = Publisher(mosquitto_broker)
    yield client
    client.close()


def wait_until(condition: Callable[[], bool], timeout: float = WAIT_S) -> None:
    """For conditions no message announces (counters on the network thread): polls a deadline."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_observations_arrive_stored_with_sensor_ids_from_payload_and_topic(
    mosquitto_broker: MosquittoBroker, publisher: Publisher, bench: Bench
) -> None:
    bench.start(mosquitto_broker.port)
    bench.watcher.wait(lambda w: w.is_(HealthState.OK))  # subscribed
    publisher.send("tools/wx/observations", json.dumps(observation(1)))
    publisher.send("tools/wx/observations", json.dumps([observation(2), observation(3)]), qos=0)
    publisher.send("site/mast-9/readings", json.dumps(observation(4, sensor_id="spoofed")), qos=2)
    publisher.send("city/oslo/air/no2-17", "41.5")
    publisher.send("city/bergen/air/no2-3", json.dumps({"value": 12, "time": T0.isoformat()}))
    bench.watcher.wait(lambda w: len(w.observations) == 6)
    stored = bench.stored()
    assert set(stored) == bench.watcher.identifiers()  # everything shown was stored first
    assert {"mqtt:obs-1", "mqtt:obs-2", "mqtt:obs-3", "site:obs-4"} <= set(stored)
    assert stored["site:obs-4"].sensor_id == "mast-9"
    by_sensor = {o.sensor_id: o for o in stored.values()}
    assert by_sensor["no2-17"].value == 41.5 and by_sensor["no2-17"].quantity == "no2"
    assert abs(by_sensor["no2-17"].time - datetime.now(UTC)) < timedelta(seconds=30)
    assert by_sensor["no2-3"].time == T0 and by_sensor["no2-3"].unit == "ug/m3"
    bench.watcher.wait(lambda w: w.last().records_in == 6)


def test_bad_payloads_are_counted_reported_and_survived(
    mosquitto_broker: MosquittoBroker, publisher: Publisher, bench: Bench
) -> None:
    source = bench.start(mosquitto_broker.port)
    bench.watcher.wait(lambda w: w.is_(HealthState.OK))
    bad = [
        ("tools/wx/observations", "{not json"),
        ("tools/wx/observations", json.dumps(observation(1, value="high"))),
        ("tools/wx/observations", "x" * 70_000),
        ("city/oslo/air/s1", "NaN"),
        ("city/oslo/air", "41.5"),  # no level 3 to name the sensor
        ("city/oslo/air/s1", "high"),
    ]
    for topic, payload in bad:
        publisher.send(topic, payload)
    publisher.send("city/oslo/air/s2", "3.25")  # after the bad ones (one publisher: in order)
    bench.watcher.wait(lambda w: len(w.observations) == 1)
    bench.watcher.wait(lambda w: w.last().records_rejected == len(bad))
    health = bench.watcher.last()
    assert health.state is HealthState.OK and health.records_in == 1
    assert "city/oslo/air/s1" in health.last_error and "value is not a number" in health.last_error
    assert source.records_rejected == len(bad) and bench.runner.running == ["mqtt"]


def test_a_rejection_fades_from_the_health_after_a_while(
    mosquitto_broker: MosquittoBroker,
    publisher: Publisher,
    bench: Bench,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("app.mqtt.source.REJECTION_SHOWN_S", 1.5)  # > 1 s between reports
    bench.start(mosquitto_broker.port)
    bench.watcher.wait(lambda w: w.is_(HealthState.OK))
    publisher.send("city/oslo/air/s1", "high")
    bench.watcher.wait(lambda w: "value is not a number" in w.last().last_error)
    bench.watcher.wait(lambda w: w.last().last_error == "")  # not a warning a second forever
    assert bench.watcher.last().records_rejected == 1 and bench.watcher.is_(HealthState.OK)


def test_retained_messages_are_read_on_subscribe_only_when_they_carry_a_time(
    mosquitto_broker: MosquittoBroker, publisher: Publisher, bench: Bench
) -> None:
    publisher.send("city/oslo/air/old", "99", retain=True)
    publisher.send(
        "city/oslo/air/dated", json.dumps({"value": 5, "time": T0.isoformat()}), retain=True
    )
    bench.start(mosquitto_broker.port)
    bench.watcher.wait(lambda w: len(w.observations) == 1)
    assert bench.watcher.observations[0].sensor_id == "dated"
    bench.watcher.wait(lambda w: w.last().records_rejected == 1)
    assert "retained" in bench.watcher.last().last_error


def test_a_broker_restart_is_reported_down_then_the_source_resumes(
    mosquitto_broker: MosquittoBroker, bench: Bench
) -> None:
    bench.start(mosquitto_broker.port)
    bench.watcher.wait(lambda w: w.is_(HealthState.OK))
    mosquitto_broker.stop()
    bench.watcher.wait(lambda w: w.is_(HealthState.DOWN))
    down = bench.watcher.last()
    assert f"broker at 127.0.0.1:{mosquitto_broker.port}" in down.last_error
    bench.watcher.wait(lambda w: "Cannot reach" in w.last().last_error)  # retrying meanwhile
    mosquitto_broker.start()
    bench.watcher.wait(lambda w: w.is_(HealthState.OK))
    after = Publisher(mosquitto_broker)
    try:
        after.send("city/oslo/air/s1", "17")
        bench.watcher.wait(lambda w: len(w.observations) == 1)
    finally:
        after.close()
    assert bench.runner.running == ["mqtt"]


def test_an_unreachable_broker_is_down_with_the_reason(bench: Bench) -> None:
    bench.start(free_port())  # nothing listens there
    bench.watcher.wait(lambda w: w.is_(HealthState.DOWN))
    assert "Cannot reach the broker" in bench.watcher.last().last_error
    assert "refused" in bench.watcher.last().last_error.lower()
    assert bench.stop() < 2.0  # stops promptly while backing off


def test_the_token_stops_the_source_promptly_and_cleanly(
    mosquitto_broker: MosquittoBroker, publisher: Publisher, bench: Bench
) -> None:
    bench.start(mosquitto_broker.port)
    bench.watcher.wait(lambda w: w.is_(HealthState.OK))
    publisher.send("city/oslo/air/s1", "1")
    bench.watcher.wait(lambda w: len(w.observations) == 1)
    assert bench.stop() < 2.0
    assert not bench.runner.running
    assert not [t for t in threading.enumerate() if t.name.startswith(("mqtt-", "source-"))]
    # It disconnected cleanly (the publisher is still connected: the goodbye is ours).
    log = mosquitto_broker.log_tail(50)
    assert re.search(r"Client auto-\S+ disconnected\.", log)
    assert not re.search(r"Client auto-\S+ closed its connection", log)


def test_a_failing_store_keeps_the_readings_and_retries(
    mosquitto_broker: MosquittoBroker, publisher: Publisher, bench: Bench
) -> None:
    bench.start(mosquitto_broker.port)
    bench.watcher.wait(lambda w: w.is_(HealthState.OK))
    bench.store.failing.set()
    for n in range(5):
        reading = {"value": n, "time": (T0 + timedelta(seconds=n)).isoformat()}
        publisher.send(f"city/oslo/air/s{n}", json.dumps(reading))
    bench.watcher.wait(lambda w: w.is_(HealthState.DEGRADED) and "disk" in w.last().last_error)
    assert "holding 5" in bench.watcher.last().last_error
    bench.store.failing.clear()
    bench.watcher.wait(lambda w: len(w.observations) == 5)
    bench.watcher.wait(lambda w: w.is_(HealthState.OK))
    assert len(bench.stored()) == 5 and bench.watcher.last().records_in == 5


def test_a_full_queue_drops_at_the_door_counts_and_degrades(
    mosquitto_broker: MosquittoBroker, publisher: Publisher, bench: Bench
) -> None:
    source = bench.start(mosquitto_broker.port, queue_size=100, batch_size=10)
    bench.watcher.wait(lambda w: w.is_(HealthState.OK))
    bench.store.stalled.set()
    publisher.send("city/oslo/air/first", json.dumps({"value": 0, "time": T0.isoformat()}))
    assert bench.store.entered.wait(WAIT_S)  # the source thread is now stuck in the store
    for n in range(1, 201):
        reading = {"value": n, "time": (T0 + timedelta(seconds=n)).isoformat()}
        publisher.send("city/oslo/air/s", json.dumps(reading), qos=0)
    publisher.send("city/oslo/air/s", "1", qos=1)  # the broker delivers in order: a marker
    wait_until(lambda: source.dropped + source._inbox.qsize() == 201)  # the network thread kept up
    assert source.dropped == 101
    bench.store.stalled.clear()
    bench.store.release.set()
    bench.watcher.wait(lambda w: len(w.observations) == 101)  # nothing queued was lost
    bench.watcher.wait(lambda w: w.is_(HealthState.DEGRADED))
    assert "101 readings dropped" in bench.watcher.last().last_error
    bench.watcher.wait(lambda w: w.is_(HealthState.OK))  # recovers once no more are dropped


def test_settings_json_sources_start_an_mqtt_source_in_the_console(
    mosquitto_broker: MosquittoBroker, publisher: Publisher, tmp_path: Path
) -> None:
    registry = PluginRegistry.discover()
    manifest = registry.get("mqtt")
    assert manifest is not None and manifest.kind == "source" and not registry.problems
    assert str(manifest.title) == "Sensor broker (MQTT)"
    assert registry.load("mqtt") is MqttSource
    params = {
        "id": "city-sensors",
        "title": "City sensors",
        "port": mosquitto_broker.port,
        "subscriptions": [
            {
                "topic": "city/+/air/#",
                "format": "value",
                "sensor_id_from": "topic:3",
                "quantity": "no2",
                "unit": "ug/m3",
            }
        ],
    }
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'core.db'}",
        sources=[{"plugin": "mqtt", "params": json.loads(json.dumps(params))}],
    )
    core = Core(settings)
    seen: list[Observation] = []
    done = threading.Event()

    def on_observations(batch: list[Observation]) -> None:
        seen.extend(batch)
        done.set()

    subscribed = threading.Event()

    def on_health(batch: list[SourceHealth]) -> None:
        if any(h.source_id == "city-sensors" and h.state is HealthState.OK for h in batch):
            subscribed.set()

    subscription = core.hub.subscribe(Observation, on_observations)
    health = core.hub.subscribe(SourceHealth, on_health)  # held weakly: the names keep them
    core.start()
    try:
        assert subscribed.wait(WAIT_S)
        publisher.send("city/oslo/air/no2-17", "41.5")
        assert done.wait(WAIT_S)
        assert seen[0].sensor_id == "no2-17" and seen[0].identifier.startswith("city-sensors:")
    finally:
        core.stop()
        subscription.cancel()
        health.cancel()
