"""Insert rate: the record store (SQLAlchemy, upserts, one transaction per batch) against raw
``sqlite3`` executemany of the same rows with the same pragmas, on the same machine."""

from __future__ import annotations

import json
import sqlite3
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.model import Alert, Category, GeoPoint, Priority, Status
from app.storage import RecordStore, create_engine_for, upgrade_schema
from app.storage.codecs import to_row

BATCH = 1000


def _alerts(count: int) -> list[Alert]:
    start = datetime(2026, 6, 20, tzinfo=UTC)
    return [
        Alert(
            identifier=f"bench-{i}",
            sender="bench",
            source_tool="bench",
            sent=start + timedelta(milliseconds=i),
            event_type="knife",
            category=Category.SECURITY,
            headline=f"Alert {i}",
            status=Status.EXERCISE,
            point=GeoPoint(59.9 + i * 1e-6, 10.7),
            priority=Priority.P2,
            confidence=0.7,
        )
        for i in range(count)
    ]


def _store_rate(path: Path, alerts: list[Alert]) -> float:
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade_schema(engine)
    store = RecordStore(engine)
    started = time.perf_counter()
    for i in range(0, len(alerts), BATCH):
        store.save(alerts[i : i + BATCH])
    elapsed = time.perf_counter() - started
    engine.dispose()
    return len(alerts) / elapsed


def _raw_rate(path: Path, alerts: list[Alert]) -> float:
    # Same schema (made by the migrations), same pragmas, plain INSERTs of pre-encoded rows:
    # the fastest this machine's SQLite can go, to see what our layers cost on top.
    engine = create_engine_for(f"sqlite:///{path}")
    upgrade_schema(engine)
    engine.dispose()
    rows = [to_row(a, a.sent) for a in alerts]
    columns = list(rows[0])
    quoted = ", ".join(f'"{c}"' for c in columns)  # "references" is an SQL keyword
    sql = f"INSERT INTO alerts ({quoted}) VALUES ({', '.join('?' for _ in columns)})"
    connection = sqlite3.connect(path)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")

    def encode(value: object) -> object:
        if isinstance(value, (list, dict)):
            return json.dumps(value)
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")
        return value

    started = time.perf_counter()
    for i in range(0, len(rows), BATCH):
        with connection:
            connection.executemany(
                sql, [[encode(r[c]) for c in columns] for r in rows[i : i + BATCH]]
            )
    elapsed = time.perf_counter() - started
    connection.close()
    return len(rows) / elapsed


def insert_rates(count: int = 20_000) -> list[tuple[str, str, str]]:
    alerts = _alerts(count)
    with tempfile.TemporaryDirectory() as folder:
        ours = _store_rate(Path(folder) / "store.db", alerts)
        raw = _raw_rate(Path(folder) / "raw.db", alerts)
    return [
        ("storage", f"record store, {count:,} alerts in batches of {BATCH}", f"{ours:,.0f} /s"),
        ("storage", "raw sqlite3 executemany, same rows and pragmas", f"{raw:,.0f} /s"),
        ("storage", "record store / raw sqlite3", f"{ours / raw:.2f}"),
    ]
