"""Alert-centre benchmarks: HTTP ingest rate, tool-to-screen latency and GUI stalls under
load, and the queue's sort and filter time with a million alerts."""

from __future__ import annotations

import os
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.alerts.queue_table import AlertTable, QueueFilter
from app.gc_tuning import tune_for_long_runs
from app.model import Alert, AlertState, Category, GeoPoint, Priority
from app.runtime import Core
from app.settings import Settings
from app.simtools.server import SimulatedToolServer
from app.simtools.tool import SimulatedTool

Row = tuple[str, str, str]


def _tool_alert(n: int, sent: datetime) -> dict:
    # Spread over a grid so that dedup keeps them apart: every alert is its own row.
    return {
        "identifier": f"b-{n}",
        "sender": "bench",
        "sent": sent.isoformat(),
        "event_type": "knife",
        "headline": f"Bench alert {n}",
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Likely",
        "confidence": 0.8,
        "geometry": {
            "type": "Point",
            "coordinates": [10.0 + (n % 1000) * 0.01, 59.0 + (n // 1000) * 0.01],
        },
    }


def _core(folder: Path, url: str, poll_s: float) -> Core:
    settings = Settings(
        database_url=f"sqlite:///{folder / 'bench.db'}",
        sources=[
            {
                "plugin": "rest",
                "params": {
                    "id": "bench",
                    "base_url": url,
                    "page_limit": 1000,
                    "poll_interval_s": poll_s,
                    "simulated": True,
                },
            }
        ],
    )
    return Core(settings)


def ingest_rate(count: int = 20_000) -> list[Row]:
    """From the tool's HTTP answer to stored and published, through the whole pipeline."""
    tool = SimulatedTool("bench")
    now = datetime.now(UTC)
    tool.publish(*(_tool_alert(n, now) for n in range(count)))
    done = threading.Event()
    seen = [0]

    def on_alerts(batch: list) -> None:
        seen[0] += len(batch)
        if seen[0] >= count:
            done.set()

    with SimulatedToolServer() as server, tempfile.TemporaryDirectory() as folder:
        core = _core(Path(folder), server.add(tool), poll_s=0.05)
        core.hub.subscribe(Alert, on_alerts)
        started = time.perf_counter()
        core.start()
        done.wait(600)
        elapsed = time.perf_counter() - started
        core.stop()
    return [
        (
            "alerts",
            f"HTTP to stored and published, {count:,} alerts (target 5,000/s)",
            f"{seen[0] / elapsed:,.0f} /s",
        )
    ]


def latency_and_stalls(rates: tuple[int, ...] = (100, 1000), seconds: float = 8.0) -> list[Row]:
    """Tool to row visible in the queue model, with the GUI thread's longest stall."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from widgets.qt_alert_model import AlertQueueModel
    from widgets.workers import QtHubBridge

    app = QApplication.instance() or QApplication([])
    tune_for_long_runs()  # as the console does once its window is open
    rows: list[Row] = []
    for rate in rates:
        tool = SimulatedTool("bench")
        published: dict[str, float] = {}
        visible: dict[str, float] = {}
        with SimulatedToolServer() as server, tempfile.TemporaryDirectory() as folder:
            core = _core(Path(folder), server.add(tool), poll_s=0.1)
            bridge = QtHubBridge(core.hub)
            model = AlertQueueModel(core.terms)
            model.set_filter(QueueFilter(states=None))
            model.modelReset.connect(lambda m=model, v=visible: _mark_visible(m, v))
            subscription = bridge.gui_hub.subscribe(Alert, model.apply)
            stalls = _StallMeter()
            core.start()
            feeder = threading.Thread(target=_feed, args=(tool, rate, seconds, published))
            feeder.start()
            deadline = time.monotonic() + seconds + 5
            while time.monotonic() < deadline and (
                feeder.is_alive() or len(visible) < len(published)
            ):
                app.processEvents()
                stalls.tick()
                time.sleep(0.001)
            feeder.join()
            core.stop()
            bridge.close()
            subscription.cancel()
            model.stop()
        latencies = sorted(visible[k] - published[k] for k in visible if k in published)
        p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else float("nan")
        rows.append(
            (
                "alerts",
                f"tool to visible row at {rate:,}/s, p95 (target 1 s)",
                f"{p95:.2f} s ({len(latencies):,} alerts)",
            )
        )
        rows.append(
            (
                "alerts",
                f"longest GUI-thread stall at {rate:,}/s (target 50 ms)",
                f"{stalls.longest * 1000:.0f} ms",
            )
        )
    del QTimer
    return rows


class _StallMeter:
    def __init__(self) -> None:
        self.last = time.perf_counter()
        self.longest = 0.0

    def tick(self) -> None:
        now = time.perf_counter()
        self.longest = max(self.longest, now - self.last)
        self.last = now


def _feed(tool: SimulatedTool, rate: int, seconds: float, published: dict[str, float]) -> None:
    started, sent = time.perf_counter(), 0
    while (elapsed := time.perf_counter() - started) < seconds:
        due = int(elapsed * rate)
        batch = []
        for n in range(sent, due):
            published[f"bench:b-{n}"] = time.perf_counter()
            batch.append(_tool_alert(n, datetime.now(UTC)))
        if batch:
            tool.publish(*batch)
        sent = due
        time.sleep(0.005)


def _mark_visible(model, visible: dict[str, float]) -> None:  # type: ignore[no-untyped-def]
    """Every alert in the table is in view (the filter shows all states): mark only the
    ones added since the last refresh, so the measurement costs the GUI thread little."""
    now = time.perf_counter()
    for alert in model.table.alerts[len(visible) :]:
        visible.setdefault(alert.identifier, now)


def queue_at_scale(count: int = 1_000_000) -> list[Row]:
    start = datetime(2026, 6, 20, tzinfo=UTC)
    alerts = [
        Alert(
            identifier=f"q-{i}",
            sender="bench",
            source_tool=f"tool-{i % 7}",
            sent=start + timedelta(seconds=i),
            event_type="knife",
            category=Category.SECURITY,
            headline=f"Alert {i} at gate {i % 50}",
            point=GeoPoint(59.9, 10.7),
            priority=Priority(1 + i % 4),
            state=AlertState.NEW if i % 3 else AlertState.RESOLVED,
        )
        for i in range(count)
    ]
    table = AlertTable()
    table.upsert(alerts)
    now = start + timedelta(days=30)
    rows: list[Row] = []
    first = _timed(lambda: table.view(QueueFilter(), now))
    rows.append(
        (
            "queue",
            f"{count:,} alerts: first view after a batch (array rebuild)",
            f"{first * 1000:.0f} ms",
        )
    )
    for label, wanted in (
        ("open alerts, priority then time", QueueFilter()),
        ("all states", QueueFilter(states=None)),
        ("P1 only", QueueFilter(priorities=frozenset({Priority.P1}))),
        ("free text 'gate 7'", QueueFilter(text="gate 7")),
    ):
        times = [_timed(lambda w=wanted: table.view(w, now)) for _ in range(3)]
        rows.append(
            (
                "queue",
                f"{count:,} alerts: sort and filter, {label} (target 200 ms)",
                f"{statistics.median(times) * 1000:.0f} ms",
            )
        )
    return rows


def _timed(action) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    action()
    return time.perf_counter() - started
