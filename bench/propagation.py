"""Propagation latency between two workstations sharing one PostgreSQL database.

Two whole console cores (as two desks would run them) on one real PostgreSQL server the
benchmark starts itself (tests/postgres.py). Each latency runs from the moment workstation A
is asked to store an alert (or an operator's acknowledgement is submitted at A) to the moment
workstation B's hub publishes it: A's transaction, the notification, B's listener loading the
record and publishing it. Target: p95 at most 1 s.

``python -m bench.propagation`` runs only this; ``python -m bench`` includes it.
"""

from __future__ import annotations

import logging
import statistics
import threading
import time
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from app.alerts.lifecycle import Action
from app.alerts.service import AlertCommand
from app.model import Alert, AlertState, Category, Priority, Severity, Status, Urgency, utc_now

log = logging.getLogger(__name__)

Row = tuple[str, str, str]
TARGET_S = 1.0
STEADY_COUNT = 300
STEADY_RATE = 20.0  # alerts per second, one transaction each
BURSTS = 5
BURST_SIZE = 200  # one transaction each, back to back
BATCHES = 5
BATCH_SIZE = 500  # alerts in one transaction (a tool's page)
ACKS = 100
WAIT_S = 30.0
SENT_AGO = timedelta(hours=3)  # fusion looks back 2 h (resources/alerts/fusion_rules.json)


class _Arrivals:
    """When B's hub first published each alert identifier (in the wanted state)."""

    def __init__(self, core: Any) -> None:
        self.first: dict[str, float] = {}
        self.acknowledged: dict[str, float] = {}
        self._changed = threading.Condition()
        self._subscription = core.hub.subscribe(Alert, self._on_alerts)

    def _on_alerts(self, batch: Sequence[Alert]) -> None:
        now = time.perf_counter()
        with self._changed:
            for alert in batch:
                self.first.setdefault(alert.identifier, now)
                if alert.state is AlertState.ACKNOWLEDGED:
                    self.acknowledged.setdefault(alert.identifier, now)
            self._changed.notify_all()

    def wait(self, table: str, identifiers: Sequence[str]) -> None:
        seen = getattr(self, table)
        with self._changed:
            self._changed.wait_for(lambda: all(i in seen for i in identifiers), WAIT_S)


def _alert(n: int) -> Alert:
    return Alert(
        identifier=f"bench-{n}",
        sender="bench@watchfloor",
        source_tool=f"bench-{n}",  # never folded into another by the dedup rules
        # Sent before the fusion look-back: thousands of open alerts in it would measure the
        # fusion recompute (quadratic, on the alert service's thread), not propagation.
        sent=utc_now() - SENT_AGO,
        event_type="knife",
        category=Category.SECURITY,
        headline=f"Benchmark alert {n}",
        status=Status.EXERCISE,
        urgency=Urgency.IMMEDIATE,
        severity=Severity.SEVERE,
        priority=Priority.P2,
    )


def _summary(label: str, latencies: list[float], expected: int) -> Row:
    if not latencies:
        return ("shared", label, "nothing arrived")
    ordered = sorted(latencies)
    p50 = statistics.median(ordered) * 1000
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000
    worst = ordered[-1] * 1000
    verdict = "ok" if p95 <= TARGET_S * 1000 else "OVER TARGET"
    result = f"p50 {p50:,.1f} ms, p95 {p95:,.1f} ms, max {worst:,.1f} ms ({verdict})"
    if len(latencies) < expected:
        result += f" - only {len(latencies)} of {expected} arrived"
    return ("shared", label, result)


def _latencies(sent: dict[str, float], arrived: dict[str, float]) -> list[float]:
    return [arrived[i] - t for i, t in sent.items() if i in arrived]


def _steady(a: Any, b: _Arrivals, start: int) -> Row:
    sent: dict[str, float] = {}
    period = 1.0 / STEADY_RATE
    next_at = time.perf_counter()
    for n in range(start, start + STEADY_COUNT):
        next_at += period
        pause = next_at - time.perf_counter()
        if pause > 0:
            time.sleep(pause)  # pacing the load, not waiting for a result
        alert = _alert(n)
        sent[alert.identifier] = time.perf_counter()
        a.ingest.accept([alert])
    b.wait("first", list(sent))
    label = f"alert A→B, steady {STEADY_RATE:g}/s x {STEADY_COUNT}"
    return _summary(label, _latencies(sent, b.first), STEADY_COUNT)


def _bursts(a: Any, b: _Arrivals, start: int) -> Row:
    sent: dict[str, float] = {}
    n = start
    for _ in range(BURSTS):
        burst = []
        for _ in range(BURST_SIZE):
            alert = _alert(n)
            n += 1
            sent[alert.identifier] = time.perf_counter()
            a.ingest.accept([alert])
            burst.append(alert.identifier)
        b.wait("first", burst)
    label = f"alert A→B, bursts {BURSTS} x {BURST_SIZE} transactions"
    return _summary(label, _latencies(sent, b.first), BURSTS * BURST_SIZE)


def _batches(a: Any, b: _Arrivals, start: int) -> Row:
    sent: dict[str, float] = {}
    n = start
    for _ in range(BATCHES):
        alerts = [_alert(n + k) for k in range(BATCH_SIZE)]
        n += BATCH_SIZE
        began = time.perf_counter()
        sent.update((x.identifier, began) for x in alerts)
        a.ingest.accept(alerts)
        b.wait("first", [x.identifier for x in alerts])
    label = f"alert A→B, {BATCHES} batches of {BATCH_SIZE} in one transaction"
    return _summary(label, _latencies(sent, b.first), BATCHES * BATCH_SIZE)


def _acknowledgements(a: Any, b: _Arrivals, start: int) -> Row:
    alerts = [_alert(start + k) for k in range(ACKS)]
    a.ingest.accept(alerts)
    b.wait("first", [x.identifier for x in alerts])
    sent: dict[str, float] = {}
    period = 1.0 / STEADY_RATE
    for alert in alerts:
        sent[alert.identifier] = time.perf_counter()
        a.submit(AlertCommand(Action.ACKNOWLEDGE, alert.identifier, by="bench-operator"))
        time.sleep(period)  # pacing the load, not waiting for a result
    b.wait("acknowledged", list(sent))
    label = f"acknowledgement A→B, {STEADY_RATE:g}/s x {ACKS}"
    return _summary(label, _latencies(sent, b.acknowledged), ACKS)


def propagation_benchmarks() -> list[Row]:
    try:
        from tests.postgres import PostgresServer, unavailable_reason
    except ImportError:
        return [("shared", "propagation A→B", "skipped: tests/postgres.py is not available")]
    reason = unavailable_reason()
    if reason is not None:
        return [("shared", "propagation A→B", f"skipped: {reason}")]
    from app.runtime import Core
    from app.settings import Settings
    from tests.factories import signed_in

    with PostgresServer() as server:
        url = server.url(server.create_database("bench"))
        a = Core(Settings(database_url=url, demo=False))
        b = Core(Settings(database_url=url, demo=False))
        arrivals = _Arrivals(b)
        rows: list[Row] = []
        try:
            for core in (a, b):
                core.start()
                assert core.listener is not None and core.listener.wait_connected(WAIT_S)
            signed_in(a, "bench-operator")
            rows.append(_steady(a, arrivals, 0))
            rows.append(_bursts(a, arrivals, 10_000))
            rows.append(_batches(a, arrivals, 20_000))
            rows.append(_acknowledgements(a, arrivals, 30_000))
        finally:
            b.stop()
            a.stop()
    return rows


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    rows = propagation_benchmarks()
    width = max(len(row[1]) for row in rows)
    for area, measure, result in rows:
        print(f"{area:<8} {measure:<{width}}  {result}")
    took = timedelta(seconds=round(time.perf_counter() - started))
    print(f"(target: p95 at most {TARGET_S * 1000:.0f} ms; the benchmark took {took})")


if __name__ == "__main__":
    main()
