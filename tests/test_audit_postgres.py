"""The audit chain and retention on a real, shared PostgreSQL: two workstations append to one
chain, the trigger guards it, verification finds tampering, the purge's SQL runs there too."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from app.model import AlertState, Detection, GeoPoint, Post, Track
from app.security.audit import AuditLog
from app.security.audit_verify import ProblemKind, verify
from app.security.model import AuditEvent
from app.security.retention import purge
from app.storage import RecordStore, create_engine_for, upgrade_schema
from app.storage.orm import TrackPositionRow
from tests.factories import alert

pytestmark = pytest.mark.postgres

NOW = datetime(2026, 11, 21, 12, tzinfo=UTC)


@pytest.fixture
def stores(postgres_url: str) -> Iterator[list[RecordStore]]:
    """Two workstations' stores (own engines) on one database."""
    engines = [create_engine_for(postgres_url) for _ in range(2)]
    upgrade_schema(engines[0])
    yield [RecordStore(engine) for engine in engines]
    for engine in engines:
        engine.dispose()


def test_two_workstations_append_to_one_chain(stores: list[RecordStore]) -> None:
    logs = [AuditLog(store, f"desk-{i}") for i, store in enumerate(stores)]
    for audit in logs:
        audit.start()

    def work(audit: AuditLog, name: str) -> None:
        for n in range(30):
            if n % 3:
                audit.record(AuditEvent(name, "alert.acknowledge", target=str(n)))
            else:
                audit.append([AuditEvent(name, "bookmark.add", detail={"n": n, "ü": "ß"})])

    threads = [threading.Thread(target=work, args=(logs[i % 2], f"user-{i}")) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    for audit in logs:
        assert audit.flush(60)
        audit.stop()
    report = verify(stores[1])
    assert report.ok and report.checked == 120
    assert logs[0].head()[0] == 120


def test_the_trigger_guards_and_the_chain_catches_what_gets_past(
    stores: list[RecordStore],
) -> None:
    store = stores[0]
    audit = AuditLog(store, "desk-0")
    audit.append([AuditEvent("anna", "alert.dismiss", target=f"a-{n}") for n in range(8)])
    with store.engine.connect() as connection:
        with pytest.raises(Exception, match="append-only"):
            connection.execute(text("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2"))
        connection.rollback()
        with pytest.raises(Exception, match="append-only"):
            connection.execute(text("DELETE FROM audit_log WHERE seq = 2"))
        connection.rollback()
    with store.engine.begin() as connection:
        connection.execute(text("DROP TRIGGER audit_log_append_only ON audit_log"))
        connection.execute(
            text('UPDATE audit_log SET detail = \'{"reason": "forged"}\' WHERE seq = 3')
        )
        connection.execute(text("DELETE FROM audit_log WHERE seq = 6"))
        connection.execute(text("DELETE FROM audit_log WHERE seq = 8"))
    problems = [(p.seq, p.kind) for p in verify(store).problems]
    assert problems == [
        (3, ProblemKind.CHANGED),
        (6, ProblemKind.GAP),
        (8, ProblemKind.MISSING_TAIL),
    ]


def test_retention_runs_on_postgresql(stores: list[RecordStore]) -> None:
    store = stores[0]
    old, new = NOW - timedelta(days=100), NOW - timedelta(days=1)
    store.save(
        [
            alert("a-old", sent=old, state=AlertState.DISMISSED, references=("d-old",)),
            alert("a-kept", sent=old, state=AlertState.NEW, references=("d-kept",)),
            Detection(
                identifier="d-old",
                detector_id="y",
                source_id="c",
                time=old,
                event_type="knife",
                label="knife",
                confidence=0.5,
            ),
            Detection(
                identifier="d-kept",
                detector_id="y",
                source_id="c",
                time=old,
                event_type="knife",
                label="knife",
                confidence=0.5,
            ),
            Post(identifier="p-old", platform="x", author="a", text="t", time=old),
            Post(identifier="p-new", platform="x", author="a", text="t", time=new),
            Track(identifier="t-1", source_id="tak", time=old, point=GeoPoint(59.9, 10.7)),
        ]
    )
    store.save([Track(identifier="t-1", source_id="tak", time=new, point=GeoPoint(59.9, 10.8))])
    audit = AuditLog(store, "desk-0")
    result = purge(store, NOW - timedelta(days=90), audit, "system:desk-0", batch=1)
    assert result.ok, result.error
    assert result.counts["alerts"] == 1 and result.counts["detections"] == 1
    assert result.counts["posts"] == 1 and result.counts["track_positions"] == 1
    with store.session() as session:
        assert set(session.scalars(text("SELECT identifier FROM detections"))) == {"d-kept"}
        assert session.query(TrackPositionRow).count() == 1
    assert audit.flush(30)
    assert [e.action for e in audit.entries()] == ["retention.purge"]
    assert verify(store).ok
