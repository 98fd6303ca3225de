"""Audit log and retention: how fast the record is written, checked and old data purged.

Append rate three ways: single events as services write them (``record`` + ``flush`` each, the
worst case: one transaction per event), batches of 100 through ``append``, and two writers
(two engines on one SQLite file, as two processes would) appending at once, where the head
row serialises them. Verification is entries per second over the whole chain. Retention
purges a store holding old and new records of every kind.
"""

from __future__ import annotations

import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.model import AlertState, Detection, Observation, Post
from app.security.audit import AuditLog
from app.security.audit_verify import verify
from app.security.model import AuditEvent
from app.security.retention import purge
from app.storage import RecordStore, create_engine_for, upgrade_schema
from tests.factories import alert

Row = tuple[str, str, str]
NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


def _store(path: Path) -> RecordStore:
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade_schema(engine)
    return RecordStore(engine)


def _event(n: int) -> AuditEvent:
    return AuditEvent(
        "operator",
        "alert.acknowledge",
        target=f"vid:{n:08x}",
        detail={"reason": "seen on camera 3", "version": n},
    )


def _single(store: RecordStore, count: int) -> float:
    audit = AuditLog(store, "bench")
    audit.start()
    started = time.perf_counter()
    for n in range(count):
        audit.record(_event(n))
        audit.flush()
    elapsed = time.perf_counter() - started
    audit.stop()
    return count / elapsed


def _queued(store: RecordStore, count: int) -> float:
    """A burst through ``record`` as the GUI and services send it; the writer batches."""
    audit = AuditLog(store, "bench")
    audit.start()
    started = time.perf_counter()
    for n in range(count):
        audit.record(_event(n))
    audit.flush(120)
    elapsed = time.perf_counter() - started
    audit.stop()
    return count / elapsed


def _batched(store: RecordStore, count: int, batch: int = 100) -> float:
    audit = AuditLog(store, "bench")
    started = time.perf_counter()
    for start in range(0, count, batch):
        audit.append([_event(n) for n in range(start, start + batch)])
    return count / (time.perf_counter() - started)


def _two_writers(path: Path, count: int) -> float:
    stores = [_store(path), _store(path)]
    logs = [AuditLog(store, f"desk-{i}") for i, store in enumerate(stores)]

    def write(audit: AuditLog) -> None:
        for start in range(0, count // 2, 10):
            audit.append([_event(n) for n in range(start, start + 10)])

    threads = [threading.Thread(target=write, args=(audit,)) for audit in logs]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    for store in stores:
        store.engine.dispose()
    return count / elapsed


def _verify_rate(store: RecordStore) -> tuple[int, float]:
    started = time.perf_counter()
    report = verify(store)
    elapsed = time.perf_counter() - started
    assert report.ok, report.problems[:3]
    return report.checked, report.checked / elapsed


def _fill_for_retention(store: RecordStore, count: int) -> None:
    """``count`` of each kind, half older than the cutoff; old alerts closed."""
    old, new = NOW - timedelta(days=120), NOW - timedelta(days=10)
    for start in range(0, count, 1000):
        records: list[object] = []
        for n in range(start, start + 1000):
            when = old if n % 2 else new
            at = when + timedelta(seconds=n)
            records.append(
                alert(
                    f"a-{n}",
                    sent=at,
                    state=AlertState.DISMISSED,
                    references=(f"d-{n}",),
                )
            )
            records.append(
                Detection(
                    identifier=f"d-{n}",
                    detector_id="yolo",
                    source_id="cam-1",
                    time=at,
                    event_type="knife",
                    label="knife",
                    confidence=0.7,
                )
            )
            records.append(
                Observation(
                    identifier=f"o-{n}",
                    sensor_id="s-1",
                    time=at,
                    quantity="temperature",
                    value=20.0,
                    unit="C",
                )
            )
            records.append(
                Post(identifier=f"p-{n}", platform="x", author="pseud", text="hello", time=at)
            )
        store.save(records)


def audit_benchmarks(entries: int = 100_000, purge_each: int = 20_000) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        store = _store(root / "single.db")
        single = _single(store, 1000)
        queued = _queued(store, 20_000)
        store.engine.dispose()
        store = _store(root / "batched.db")
        batched = _batched(store, entries)
        checked, verified = _verify_rate(store)
        store.engine.dispose()
        two = _two_writers(root / "two.db", 20_000)
        check = _store(root / "two.db")
        assert verify(check).ok
        check.engine.dispose()
        store = _store(root / "retention.db")
        _fill_for_retention(store, purge_each)
        started = time.perf_counter()
        result = purge(store, NOW - timedelta(days=90), AuditLog(store, "bench"))
        purged = time.perf_counter() - started
        assert result.ok, result.error
        store.engine.dispose()
    rows += [
        ("audit", "append, single events (record + flush each)", f"{single:,.0f} /s"),
        ("audit", "append, 20,000 queued events (record, writer batches)", f"{queued:,.0f} /s"),
        ("audit", f"append, batches of 100 ({entries:,} entries)", f"{batched:,.0f} /s"),
        ("audit", "append, two writers on one SQLite file (batches of 10)", f"{two:,.0f} /s"),
        ("audit", f"verify chain ({checked:,} entries)", f"{verified:,.0f} entries/s"),
        (
            "retention",
            f"purge {result.total:,} rows of {purge_each * 4:,} (4 kinds)",
            f"{purged:.2f} s ({result.total / purged:,.0f} rows/s)",
        ),
    ]
    return rows


if __name__ == "__main__":
    for row in audit_benchmarks():
        print("  ".join(row))
