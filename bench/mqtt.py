"""Sensor ingest benchmarks: observations per second over MQTT (QoS 0 and 1, a real Mosquitto
broker) and, for comparison, over REST from a simulated tool; both into a real SQLite store
through the whole console core, timed from the first message sent to the last one stored."""

from __future__ import annotations

import json
import logging
import multiprocessing
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.messages import HealthState, SourceHealth
from app.model import Observation
from app.runtime import Core
from app.settings import Settings
from app.simtools.server import SimulatedToolServer
from app.simtools.tool import SimulatedTool

log = logging.getLogger(__name__)

Row = tuple[str, str, str]
COUNT = 20_000
STALL_S = 15.0  # no progress for this long: give up and report what arrived
TOPIC = "bench/{gateway}/observations"


def _observation(n: int, start: datetime) -> dict[str, Any]:
    return {
        "identifier": f"o-{n}",
        "sensor_id": f"s-{n % 200}",
        "time": (start + timedelta(milliseconds=n)).isoformat(),
        "quantity": "temperature",
        "value": 20.0 + (n % 100) / 10,
        "unit": "Cel",
    }


class _Counter:
    """Counts observations as the hub publishes them, i.e. once they are stored."""

    def __init__(self, core: Core, source_id: str) -> None:
        self.seen = 0
        self.subscribed = threading.Event()
        self._source_id = source_id
        self._changed = threading.Condition()
        # Held weakly by the hub: the counter keeps its bound methods alive.
        self._subs = [
            core.hub.subscribe(Observation, self.on_observations),
            core.hub.subscribe(SourceHealth, self.on_health),
        ]

    def on_observations(self, batch: Sequence[Observation]) -> None:
        with self._changed:
            self.seen += len(batch)
            self._changed.notify_all()

    def on_health(self, batch: Sequence[SourceHealth]) -> None:
        if any(h.source_id == self._source_id and h.state is HealthState.OK for h in batch):
            self.subscribed.set()

    def wait_for(self, count: int) -> None:
        """Waits until ``count`` are stored, or until nothing new arrives for STALL_S."""
        with self._changed:
            while self.seen < count:
                before = self.seen
                self._changed.wait_for(lambda before=before: self.seen != before, STALL_S)
                if self.seen == before:
                    return

    def close(self) -> None:
        for sub in self._subs:
            sub.cancel()


def _rate(label: str, seen: int, count: int, elapsed: float) -> Row:
    result = f"{seen / elapsed:,.0f} /s"
    if seen < count:
        result += f" (only {seen:,} of {count:,} stored)"
    return ("sensors", label, result)


def _run_core(
    folder: Path, source: dict[str, Any], count: int, feed: Callable[[], None] | None = None
) -> tuple[int, float]:
    """Times from the moment data can flow to the last record stored. A pulled tool already
    holds its records, so the clock starts with the core (as ``bench.alerts`` does); a broker
    keeps nothing for a subscriber that is not there yet, so with ``feed`` the clock starts
    once the source reports it is subscribed."""
    core = Core(Settings(database_url=f"sqlite:///{folder / 'bench.db'}", sources=[source]))
    counter = _Counter(core, source["params"]["id"])
    try:
        started = time.perf_counter()
        core.start()
        if feed is not None:
            if not counter.subscribed.wait(30):
                raise RuntimeError("the MQTT source did not subscribe within 30 s")
            started = time.perf_counter()
            feed()
        counter.wait_for(count)
        elapsed = time.perf_counter() - started
    finally:
        core.stop()
        counter.close()
    return counter.seen, elapsed


def _publish(host: str, port: int, qos: int, count: int, ready: Any, go: Any) -> None:
    """The sensor gateway, in a process of its own: in the console's process it would compete
    for the GIL and the benchmark would measure paho's publisher, not the console."""
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    start = datetime.now(UTC)
    payloads = [
        (TOPIC.format(gateway=n % 10), json.dumps(_observation(n, start)).encode())
        for n in range(count)
    ]
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-publisher")
    client.max_inflight_messages_set(0)  # unlimited: as fast as the broker takes them
    client.max_queued_messages_set(0)
    client.connect(host, port)
    client.loop_start()
    try:
        ready.set()
        go.wait(60)
        infos = [client.publish(topic, body, qos=qos) for topic, body in payloads]
        infos[-1].wait_for_publish(120)
    finally:
        client.disconnect()
        client.loop_stop()


def mqtt_rate(qos: int, count: int = COUNT) -> Row:
    """``count`` tool-API payloads, one per message, published as fast as paho sends them."""
    from tests.mosquitto import MosquittoBroker

    label = f"MQTT QoS {qos} to stored and published, {count:,} observations"
    spawn = multiprocessing.get_context("spawn")
    ready, go = spawn.Event(), spawn.Event()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        # No broker-side caps on queued or in-flight messages: measure the console, not them.
        extra = ("max_queued_messages 0", "max_inflight_messages 0")
        with MosquittoBroker(folder, extra_config=extra) as broker:
            args = (broker.host, broker.port, qos, count, ready, go)
            gateway = spawn.Process(target=_publish, args=args, name="bench-gateway")
            gateway.start()
            try:
                if not ready.wait(60):
                    raise RuntimeError("the publishing process did not connect within 60 s")
                params = {
                    "id": "bench",
                    "port": broker.port,
                    "qos": qos,
                    "queue_size": count,
                    "subscriptions": [{"topic": TOPIC.format(gateway="+")}],
                }
                source = {"plugin": "mqtt", "params": params}
                seen, elapsed = _run_core(folder, source, count, go.set)
            finally:
                go.set()
                gateway.join(60)
                if gateway.is_alive():
                    gateway.terminate()
    return _rate(label, seen, count, elapsed)


def rest_rate(count: int = COUNT) -> Row:
    """Same observations served by a simulated tool, pulled by the REST connector."""
    tool = SimulatedTool("bench")
    start = datetime.now(UTC)
    tool.publish_records("observations", *(_observation(n, start) for n in range(count)))
    with SimulatedToolServer() as server, tempfile.TemporaryDirectory() as tmp:
        params = {
            "id": "bench",
            "base_url": server.add(tool),
            "kinds": ["observations"],
            "page_limit": 1000,
            "poll_interval_s": 0.05,
            "simulated": True,
        }
        seen, elapsed = _run_core(Path(tmp), {"plugin": "rest", "params": params}, count)
    label = f"REST (tool API) to stored and published, {count:,} observations"
    return _rate(label, seen, count, elapsed)


def mqtt_benchmarks() -> list[Row]:
    from tests.mosquitto import mosquitto_path

    rows: list[Row] = []
    if mosquitto_path() is None:
        rows.append(("sensors", "MQTT to stored and published", "skipped: no mosquitto"))
    else:
        rows += [mqtt_rate(qos=0), mqtt_rate(qos=1)]
    rows.append(rest_rate())
    return rows
