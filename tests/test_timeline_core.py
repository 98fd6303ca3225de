"""The timeline core on a real SQLite store: which lane each record goes to, the window query
and its thinning, and the query plans behind them."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import pytest
from sqlalchemy import event, text

from app.model import (
    AlertAction,
    Bookmark,
    Detection,
    IncidentEntry,
    Post,
    Priority,
    utc_now,
)
from app.terminology import default_terminology
from app.timeline import lanes
from app.timeline.messages import LANES
from app.timeline.queries import events_between
from app.timeline.review import state_at
from tests.factories import alert

NOW = utc_now().replace(microsecond=0)
HOUR_AGO = NOW - timedelta(hours=1)


def _lane_events(window, lane: str) -> list:
    return [e for e in window.events if e.lane == lane]


def _alert_matrix() -> list:
    """Alerts covering every lane rule, each headline naming the lane it must land in."""
    cases = [
        ("weapon-detection", "knife", Priority.P1, "alerts-p1"),
        ("weapon-detection", "knife", Priority.P2, "alerts-p2"),
        ("video-analytics", "loitering", Priority.P3, "alerts-p3"),
        ("video-management", "camera_offline", Priority.P4, "alerts-p4"),
        ("sensor-watch", "biological_contamination", Priority.P1, "sensor-anomalies"),
        ("sensor-watch", "sensor_stale", Priority.P4, "sensor-anomalies"),
        ("bio-sensors", "sensor_threshold", Priority.P2, "sensor-anomalies"),
        ("bio-sensors", "biological_contamination", Priority.P1, "alerts-p1"),
        ("threat-intel", "physical_threat_intel", Priority.P2, "threat-intel"),
        ("threat-intel", "suspicious_activity", Priority.P3, "threat-intel"),
        ("cyber-monitor", "cyber_intrusion", Priority.P2, "threat-intel"),
        ("soc", "cyber_intrusion", Priority.P1, "threat-intel"),
        ("threat-intel", "sensor_anomaly", Priority.P3, "sensor-anomalies"),
    ]
    return [
        alert(
            f"a-{n}",
            source_tool=tool,
            event_type=event_type,
            priority=priority,
            headline=lane,
            sent=HOUR_AGO + timedelta(minutes=n),
        )
        for n, (tool, event_type, priority, lane) in enumerate(cases)
    ]


def _others() -> list[Any]:
    at = HOUR_AGO + timedelta(minutes=30)
    return [
        Detection(
            identifier="d-1",
            detector_id="yolo",
            source_id="cam-3",
            time=at,
            event_type="knife",
            label="knife",
            confidence=0.8,
        ),
        Post(identifier="p-1", platform="microblog", author="u-1", text="Come  at 8", time=at),
        AlertAction(
            identifier="act-1",
            alert_identifier="a-0",
            action="acknowledge",
            by="op-7",
            time=at,
            details=(("from_state", "new"), ("to_state", "acknowledged")),
        ),
        AlertAction(
            identifier="act-2",
            alert_identifier="a-1",
            action="sop-step",
            by="op-7",
            time=at,
            details=(("step", "0"), ("done", "true")),
        ),
        IncidentEntry(
            identifier="e-1", incident_identifier="i-1", time=at, by="cmd", kind="note", text="Hi"
        ),
        IncidentEntry(
            identifier="e-2", incident_identifier="i-1", time=at, by="cmd", kind="fusion", text="x"
        ),
        Bookmark(identifier="b-1", time=at, note="Gate closed", by="cmd", created=NOW),
    ]


def test_every_record_kind_lands_in_its_lane(record_store):
    record_store.save(_alert_matrix() + _others())
    with record_store.session() as session:
        window = events_between(session, HOUR_AGO, NOW, 100)
    alerts = [e for e in window.events if e.kind == "alert"]
    assert sorted(e.identifier for e in alerts) == sorted(a.identifier for a in _alert_matrix())
    assert all(e.lane == e.title for e in alerts)  # the headline names the expected lane
    by_kind = {e.kind: e for e in window.events if e.kind != "alert"}
    assert by_kind["detection"].lane == "detections"
    assert by_kind["detection"].title == "Knife detected on cam-3"
    assert by_kind["post"].lane == "posts" and by_kind["post"].title == "u-1: Come at 8"
    assert by_kind["bookmark"].lane == "bookmarks" and by_kind["bookmark"].title == "Gate closed"
    actions = {e.identifier: e for e in window.events if e.lane == "operator-actions"}
    assert set(actions) == {"act-1", "act-2", "e-1"}  # the automatic fusion line is not shown
    assert actions["act-1"].title == "Acknowledged by op-7: alerts-p1"
    assert actions["act-1"].subject == "a-0"
    assert actions["act-2"].title == "Checklist step 1 done by op-7: alerts-p2"
    assert actions["e-1"].title == "Note by cmd: Hi" and actions["e-1"].subject == "i-1"
    assert not window.truncated
    assert dict(window.counts)["sensor-anomalies"] == 4
    assert [e.time for e in window.events] == sorted(e.time for e in window.events)


def test_python_and_sql_lane_rules_agree():
    for record in _alert_matrix():
        assert lanes.alert_lane(record.source_tool, record.event_type, record.priority) == (
            record.headline
        )
    assert set(lanes.ALERT_LANES.values()) | {lanes.SENSOR_LANE, lanes.THREAT_LANE} <= set(LANES)


def test_an_action_on_an_alert_no_longer_stored_still_reads_as_a_sentence(record_store):
    record_store.save(
        [
            AlertAction(
                identifier="x",
                alert_identifier="gone",
                action="escalate",
                by="op-1",
                time=NOW,
                details=(("from_priority", "P3"), ("to_priority", "P2")),
            )
        ]
    )
    with record_store.session() as session:
        (only,) = events_between(session, HOUR_AGO, NOW, 10, default_terminology()).events
    assert only.title == "Escalated to High by op-1: an alert no longer stored"


def test_the_window_keeps_its_bounds(record_store):
    record_store.save(_alert_matrix())
    with record_store.session() as session:
        window = events_between(session, HOUR_AGO + timedelta(minutes=2), NOW)
    assert {e.identifier for e in window.events} == {f"a-{n}" for n in range(2, 13)}


def test_a_full_lane_keeps_its_most_urgent_events_and_spreads_the_rest(record_store):
    threat = [
        alert(
            f"t-{n}",
            source_tool="threat-intel",
            event_type="physical_threat_intel",
            priority=Priority.P1 if n % 20 == 0 else Priority.P3,
            sent=HOUR_AGO + timedelta(seconds=30 * n),
        )
        for n in range(100)
    ]
    crowd = [
        alert(f"c-{n}", priority=Priority.P3, sent=HOUR_AGO + timedelta(seconds=30 * n))
        for n in range(120)
    ]
    record_store.save(threat + crowd)
    with record_store.session() as session:
        window = events_between(session, HOUR_AGO, NOW, 10)
    assert window.truncated
    assert dict(window.counts) == {"alerts-p3": 120, "threat-intel": 100}
    kept_threat = _lane_events(window, "threat-intel")
    assert len(kept_threat) == 10
    assert {e.identifier for e in kept_threat if e.priority == 1} == {
        f"t-{n}" for n in range(0, 100, 20)
    }
    kept_crowd = _lane_events(window, "alerts-p3")
    assert len(kept_crowd) == 10
    times = [e.time for e in kept_crowd]
    assert times[0] == HOUR_AGO  # evenly spread over the lane, from its first event
    assert {b - a for a, b in pairwise(times)} == {timedelta(minutes=6)}


def test_bursts_in_a_quiet_day_get_the_marks(record_store):
    day_start = NOW - timedelta(hours=24)
    bursts = [day_start + timedelta(hours=2), day_start + timedelta(hours=22)]
    record_store.save(
        [
            alert(f"b-{n}-{k}", priority=Priority.P2, sent=burst + timedelta(seconds=k))
            for n, burst in enumerate(bursts)
            for k in range(120)
        ]
    )
    with record_store.session() as session:
        window = events_between(session, day_start, NOW, 20)
    kept = _lane_events(window, "alerts-p2")
    assert window.truncated and dict(window.counts) == {"alerts-p2": 240}
    assert 10 <= len(kept) <= 20
    assert {e.identifier.split("-")[1] for e in kept} == {"0", "1"}


def _statements(record_store, work) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def remember(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            seen.append((statement, parameters))

    event.listen(record_store.engine, "before_cursor_execute", remember)
    try:
        with record_store.session() as session:
            work(session)
    finally:
        event.remove(record_store.engine, "before_cursor_execute", remember)
    return seen


BIG_TABLES = ("alerts", "alert_actions", "detections", "observations", "tracks", "posts")


@pytest.mark.parametrize("work", ["window", "review"])
def test_timeline_queries_never_scan_a_whole_event_table(record_store, work):
    record_store.save(_alert_matrix() + _others())
    if work == "window":
        statements = _statements(record_store, lambda s: events_between(s, HOUR_AGO, NOW, 2))
    else:
        statements = _statements(record_store, lambda s: state_at(s, NOW))
    assert statements
    with record_store.engine.connect() as connection:
        for statement, parameters in statements:
            plan = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
            details = [row[-1] for row in plan]
            scans = [d for d in details for t in BIG_TABLES if d == f"SCAN {t}"]
            assert not scans, f"{statement}\n{details}"
        assert connection.execute(text("SELECT 1")).scalar() == 1
