"""Retention on a real store: old records go, what open incidents and kept alerts hold stays,
snapshot files of removed detections are deleted, and every purge is on the audit record."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from app.model import (
    AlertAction,
    AlertState,
    Detection,
    EvidenceLink,
    GeoPoint,
    Incident,
    IncidentEntry,
    IncidentTask,
    Observation,
    Post,
    Track,
)
from app.security.audit import AuditLog
from app.security.audit_verify import verify
from app.security.model import Outcome
from app.security.retention import PurgeResult, RetentionService, purge
from app.storage import RecordStore
from app.storage.orm import OutboxRow, TrackPositionRow
from app.video.snapshots import SnapshotStore
from tests.factories import alert

NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
CUTOFF = NOW - timedelta(days=90)
OLD = NOW - timedelta(days=100)
NEW = NOW - timedelta(days=1)


def detection(identifier: str, at: datetime, snapshot: str | None) -> Detection:
    return Detection(
        identifier=identifier,
        detector_id="yolo",
        source_id="cam-1",
        time=at,
        event_type="knife",
        label="knife",
        confidence=0.8,
        snapshot_uri=snapshot,
    )


def post(identifier: str, at: datetime) -> Post:
    return Post(identifier=identifier, platform="microblog", author="pseud-1", text="x", time=at)


def video_alert(identifier: str, at: datetime, found: str, snapshot: str, **changes) -> object:
    return alert(
        identifier,
        sent=at,
        references=(found,),
        evidence=(
            EvidenceLink("snapshot", snapshot, "cam-1"),
            EvidenceLink("camera", "camera:cam-1", "cam-1"),
        ),
        **changes,
    )


def action(identifier: str, alert_identifier: str, at: datetime) -> AlertAction:
    return AlertAction(
        identifier=identifier,
        alert_identifier=alert_identifier,
        action="dismiss",
        by="anna",
        time=at,
        reason="false alarm",
    )


def entry(identifier: str, incident: str) -> IncidentEntry:
    return IncidentEntry(
        identifier=identifier,
        incident_identifier=incident,
        time=OLD,
        by="anna",
        kind="note",
        text="noted",
    )


def picture(snapshots: SnapshotStore, uri: str) -> Path:
    path = snapshots.path(uri)
    assert path is not None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8 jpeg")
    return path


@pytest.fixture
def snapshots(tmp_path: Path) -> SnapshotStore:
    return SnapshotStore(tmp_path / "snapshots")


@pytest.fixture
def audit(record_store: RecordStore):
    log = AuditLog(record_store, "desk-1")
    log.start()
    yield log
    log.stop()


@pytest.fixture
def filled(record_store: RecordStore, snapshots: SnapshotStore) -> dict[str, Path]:
    """Old and new records of every kind, with the relations retention must respect."""
    store = record_store
    dismissed = AlertState.DISMISSED
    store.save(
        [
            # old, dismissed: goes, with its action, detection and picture
            video_alert("a-gone", OLD, "d-gone", "snapshot:cam-1/gone.jpg", state=dismissed),
            action("act-gone", "a-gone", OLD),
            detection("d-gone", OLD, "snapshot:cam-1/gone.jpg"),
            # old, resolved, but an open incident holds it: stays with all it refers to
            video_alert(
                "a-held",
                OLD,
                "d-held",
                "snapshot:cam-1/held.jpg",
                state=AlertState.RESOLVED,
            ),
            action("act-held", "a-held", OLD),
            detection("d-held", OLD, "snapshot:cam-1/held.jpg"),
            # a social alert that stays (still open) keeps its old post
            alert(
                "a-open",
                sent=OLD,
                state=AlertState.NEW,
                evidence=(EvidenceLink("post", "post:p-evidence", "x"),),
                references=(),
            ),
            post("p-evidence", OLD),
            # old but seen again recently: stays
            alert("a-seen", sent=OLD, last_seen=NEW, state=dismissed, references=()),
            alert("a-new", sent=NEW, state=dismissed, references=()),
            # held only by a closed incident: goes, and the incident with it
            alert("a-closed", sent=OLD, state=dismissed, references=()),
            Incident(
                identifier="i-open",
                title="Still going",
                opened=OLD,
                state="active",
                alert_ids=("a-held",),
            ),
            entry("log-open", "i-open"),
            IncidentTask(identifier="task-open", incident_identifier="i-open", title="Keep"),
            Incident(
                identifier="i-closed",
                title="Over long ago",
                opened=OLD,
                state="closed",
                closed=OLD + timedelta(hours=2),
                alert_ids=("a-closed",),
            ),
            entry("log-closed", "i-closed"),
            IncidentTask(identifier="task-closed", incident_identifier="i-closed", title="Done"),
            Incident(
                identifier="i-closed-recently",
                title="Closed yesterday",
                opened=OLD,
                state="closed",
                closed=NEW,
            ),
            detection("d-old", OLD, "snapshot:cam-1/old.jpg"),
            detection("d-new", NEW, "snapshot:cam-1/new.jpg"),
            post("p-old", OLD),
            post("p-new", NEW),
            Observation(
                identifier="o-old",
                sensor_id="s",
                time=OLD,
                quantity="t",
                value=1.0,
                unit="C",
            ),
            Observation(
                identifier="o-new",
                sensor_id="s",
                time=NEW,
                quantity="t",
                value=1.0,
                unit="C",
            ),
            Track(identifier="t-old", source_id="tak", time=OLD, point=GeoPoint(59.9, 10.7)),
        ]
    )
    # A track seen long ago and yesterday: its old position goes, the track stays.
    store.save([Track(identifier="t-live", source_id="tak", time=OLD, point=GeoPoint(59.9, 10.7))])
    store.save([Track(identifier="t-live", source_id="tak", time=NEW, point=GeoPoint(59.9, 10.8))])
    with store.session() as session, session.begin():
        for action_id, created, delivered in [
            ("out-delivered-old", OLD, OLD),
            ("out-delivered-new", OLD, NEW),
            ("out-waiting", OLD, None),
        ]:
            session.add(
                OutboxRow(
                    action_id=action_id,
                    connector_id="tool",
                    payload={},
                    created=created,
                    attempts=0,
                    delivered=delivered,
                )
            )
    names = ["gone", "held", "old", "new"]
    return {name: picture(snapshots, f"snapshot:cam-1/{name}.jpg") for name in names}


def identifiers(store: RecordStore, table: str) -> set[str]:
    column = "action_id" if table == "outbox" else "identifier"
    with store.session() as session:
        return set(session.scalars(text(f"SELECT {column} FROM {table}")))


def test_purge_removes_old_records_and_keeps_what_is_held(
    record_store: RecordStore,
    audit: AuditLog,
    snapshots: SnapshotStore,
    filled: dict[str, Path],
) -> None:
    result = purge(record_store, CUTOFF, audit, "system:desk-1", snapshots, batch=2)
    assert result.ok, result.error
    store = record_store
    assert identifiers(store, "alerts") == {"a-held", "a-open", "a-seen", "a-new"}
    assert identifiers(store, "alert_actions") == {"act-held"}
    assert identifiers(store, "detections") == {"d-held", "d-new"}
    assert identifiers(store, "posts") == {"p-evidence", "p-new"}
    assert identifiers(store, "observations") == {"o-new"}
    assert identifiers(store, "tracks") == {"t-live"}
    assert identifiers(store, "incidents") == {"i-open", "i-closed-recently"}
    assert identifiers(store, "incident_log") == {"log-open"}
    assert identifiers(store, "incident_tasks") == {"task-open"}
    assert identifiers(store, "outbox") == {"out-delivered-new", "out-waiting"}
    with store.session() as session:
        positions = session.execute(
            select(TrackPositionRow.track_identifier, TrackPositionRow.time)
        )
        assert [(t, at) for t, at in positions] == [("t-live", NEW)]
    files = filled
    assert not files["gone"].exists() and not files["old"].exists()
    assert files["held"].exists() and files["new"].exists()
    assert result.counts == {
        "alerts": 2,
        "alert_actions": 1,
        "incidents": 1,
        "incident_log": 1,
        "incident_tasks": 1,
        "detections": 2,
        "posts": 1,
        "observations": 1,
        "tracks": 1,
        "outbox": 1,
        "track_positions": 2,
    }
    assert result.snapshots == 2

    assert audit.flush(30)
    (entry,) = [e for e in audit.entries() if e.action == "retention.purge"]
    assert entry.actor == "system:desk-1" and entry.outcome is Outcome.OK
    assert entry.detail["cutoff"] == CUTOFF.isoformat()
    assert entry.detail["counts"] == result.counts and entry.detail["snapshots"] == 2
    assert verify(record_store).ok  # the audit log itself is never touched


def test_a_second_purge_finds_nothing_more(
    record_store: RecordStore, audit: AuditLog, snapshots: SnapshotStore, filled
) -> None:
    purge(record_store, CUTOFF, audit, snapshots=snapshots)
    again = purge(record_store, CUTOFF, audit, snapshots=snapshots)
    assert again.ok and again.total == 0 and again.snapshots == 0


def test_a_picture_shared_with_a_kept_detection_stays(
    record_store: RecordStore, snapshots: SnapshotStore
) -> None:
    """One picture serves every detection of its frame; it goes only with the last of them."""
    shared = "snapshot:cam-1/frame.jpg"
    path = picture(snapshots, shared)
    record_store.save(
        [
            detection("d-a", OLD, shared),
            detection("d-b", OLD, shared),
            video_alert("a-keep", OLD, "d-b", "snapshot:cam-1/other.jpg"),  # open: stays
        ]
    )
    result = purge(record_store, CUTOFF, None, snapshots=snapshots)
    assert identifiers(record_store, "detections") == {"d-b"}
    assert result.snapshots == 0 and path.exists()


def test_a_failed_purge_is_audited_as_failed(
    record_store: RecordStore, audit: AuditLog, tmp_path: Path, filled
) -> None:
    connection = sqlite3.connect(tmp_path / "records.db")
    connection.execute("DROP TABLE posts")
    connection.commit()
    connection.close()
    result = purge(record_store, CUTOFF, audit)
    assert not result.ok and "posts" in (result.error or "")
    assert audit.flush(30)
    (entry,) = [e for e in audit.entries() if e.action == "retention.purge"]
    assert entry.outcome is Outcome.FAILED
    assert entry.detail["counts"]["alerts"] == 2  # what was done before the failure
    assert "posts" in entry.detail["error"]


def purge_entries(audit: AuditLog) -> list:
    return [e for e in audit.entries(limit=10_000) if e.action == "retention.purge"]


def wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_the_service_purges_on_schedule(
    record_store: RecordStore, audit: AuditLog, snapshots: SnapshotStore, filled
) -> None:
    service = RetentionService(
        record_store,
        audit,
        days=90,
        interval_h=0.2 / 3600,
        workstation="desk-1",
        snapshots=snapshots,
        first_run_s=0.05,
        clock=lambda: NOW,
    )
    service.start()
    try:
        # The first run removes the old records; later runs keep coming, finding nothing.
        wait_for(lambda: audit.flush(5) and len(purge_entries(audit)) >= 3)
    finally:
        service.stop()
    first, second, *_ = purge_entries(audit)
    assert first.actor == "system:desk-1" and first.detail["counts"]["alerts"] == 2
    assert sum(second.detail["counts"].values()) == 0
    assert identifiers(record_store, "alerts") == {"a-held", "a-open", "a-seen", "a-new"}


def test_the_service_keeps_running_after_a_failure(
    record_store: RecordStore, audit: AuditLog, tmp_path: Path
) -> None:
    connection = sqlite3.connect(tmp_path / "records.db")
    connection.execute("DROP TABLE detections")
    connection.commit()
    connection.close()
    service = RetentionService(
        record_store, audit, 90, 0.1 / 3600, "desk-1", first_run_s=0.05, clock=lambda: NOW
    )
    service.start()
    try:
        wait_for(lambda: audit.flush(5) and len(purge_entries(audit)) >= 2)
    finally:
        service.stop()
    assert all(e.outcome is Outcome.FAILED for e in purge_entries(audit))
    assert isinstance(service.last, PurgeResult)


def test_zero_days_keeps_everything_and_starts_no_thread(
    record_store: RecordStore, audit: AuditLog, filled
) -> None:
    service = RetentionService(record_store, audit, 0, 1.0, first_run_s=0.0)
    service.start()
    assert not service.enabled and service._thread is None
    service.stop()
    assert "a-gone" in identifiers(record_store, "alerts")
