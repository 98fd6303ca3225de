"""A 24-hour control-room recording in a real SQLite file, for the timeline benchmarks.

Rows go in through SQLAlchemy Core bulk inserts (the same tables, types and indexes as the
console's store, without building a record object per row), seeded so every run measures the
same day. The day: 50,000 alerts with their operators' actions (most acknowledged within
minutes, most of those closed within the hour, some escalated or assigned, a few never
touched), 200,000 detections from 12 cameras (a fifth with snapshots), 1,000,000 readings
from 40 sensors, 100,000 track rows, 20,000 posts, incident notes and bookmarks.

Tracks: 70 patrols report 100,000 positions in all, kept in ``track_positions`` (every report)
with each patrol's latest in ``tracks``, as the store keeps them.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert

from app.storage.orm import (
    AlertActionRow,
    AlertRow,
    BookmarkRow,
    DetectionRow,
    IncidentEntryRow,
    ObservationRow,
    PostRow,
    TrackPositionRow,
    TrackRow,
)

DAY_S = 86_400
SIZES = {
    "alerts": 50_000,
    "detections": 200_000,
    "observations": 1_000_000,
    "tracks": 100_000,
    "posts": 20_000,
}
SENSORS = 40
CAMERAS = 12
TRACKS = 70
CHUNK = 20_000
# (source tool, event type, category, priority weight) of the day's alerts.
KINDS = [
    ("video-analytics", "crowd_density", "Safety", 30),
    ("weapon-detection", "knife", "Security", 8),
    ("video-management", "camera_offline", "Infra", 10),
    ("social-monitor", "call_to_gather", "Security", 15),
    ("sensor-watch", "sensor_threshold", "Safety", 15),
    ("bio-sensors", "biological_contamination", "CBRNE", 2),
    ("threat-intel", "physical_threat_intel", "Security", 5),
    ("cyber-monitor", "cyber_intrusion", "Security", 5),
    ("video-analytics", "loitering", "Security", 10),
]


def build_day(engine: Engine, day: datetime, seed: int = 8) -> dict[str, int]:
    """Fills the (migrated, empty) store behind ``engine``; returns rows per table."""
    rng = random.Random(seed)
    alerts, actions = _alerts_and_actions(rng, day)
    tables: list[tuple[Any, Iterator[dict[str, Any]] | list[dict[str, Any]]]] = [
        (AlertRow, alerts),
        (AlertActionRow, actions),
        (DetectionRow, _detections(rng, day)),
        (ObservationRow, _observations(day)),
        (TrackPositionRow, _positions(rng, day)),
        (TrackRow, _latest_tracks(day)),
        (PostRow, _posts(rng, day)),
        (IncidentEntryRow, _notes(rng, day)),
        (BookmarkRow, _bookmarks(rng, day)),
    ]
    counts: dict[str, int] = {}
    with engine.begin() as connection:
        for table, rows in tables:
            batch: list[dict[str, Any]] = []
            count = 0
            for row in rows:
                batch.append(row)
                if len(batch) == CHUNK:
                    connection.execute(insert(table), batch)
                    count, batch = count + len(batch), []
            if batch:
                connection.execute(insert(table), batch)
            counts[table.__tablename__] = count + len(batch)
    return counts


def _at(day: datetime, rng: random.Random) -> datetime:
    return day + timedelta(seconds=rng.uniform(0, DAY_S))


def _alerts_and_actions(
    rng: random.Random, day: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    weights = [k[3] for k in KINDS]
    alerts, actions = [], []
    for n in range(SIZES["alerts"]):
        tool, event_type, category, _ = rng.choices(KINDS, weights)[0]
        sent = _at(day, rng)
        priority = rng.choices([1, 2, 3, 4], [5, 20, 50, 25])[0]
        row = _alert_row(n, tool, event_type, category, sent, priority, rng)
        actions += _actions_of(row, rng)
        alerts.append(row)
    return alerts, actions


def _alert_row(
    n: int,
    tool: str,
    event_type: str,
    category: str,
    sent: datetime,
    priority: int,
    rng: random.Random,
) -> dict[str, Any]:
    camera = f"cam-{rng.randrange(CAMERAS)}"
    video = tool.startswith("video")
    evidence = (
        [
            {"kind": "snapshot", "uri": f"snapshot:{camera}/{n}.jpg", "caption": camera},
            {"kind": "camera", "uri": f"camera:{camera}", "caption": camera},
        ]
        if video
        else []
    )
    return {
        "identifier": f"{tool}:bench-{n}",
        "sender": f"{tool}@bench",
        "source_tool": tool,
        "sent": sent,
        "status": "Actual",
        "msg_type": "Alert",
        "category": category,
        "event_type": event_type,
        "urgency": "Expected",
        "severity": "Moderate",
        "certainty": "Likely",
        "headline": f"{event_type.replace('_', ' ').capitalize()} {n}",
        "description": "Generated for the timeline benchmark.",
        "area": None,
        "priority": priority,
        "confidence": 0.8,
        "evidence": evidence,
        "references": [],
        "state": "new",
        "assignee": None,
        "shelved_until": None,
        "state_reason": "",
        "occurrences": 1,
        "last_seen": None,
        "stored": sent + timedelta(seconds=1),
        "lat": 59.91 + rng.uniform(-0.01, 0.01),
        "lon": 10.73 + rng.uniform(-0.01, 0.01),
    }


def _actions_of(alert: dict[str, Any], rng: random.Random) -> list[dict[str, Any]]:
    """Acknowledged (95 %), then maybe escalated or assigned, then mostly closed; the alert
    row ends with the triage its actions leave."""
    if rng.random() > 0.95:
        return []
    identifier = alert["identifier"]
    time = alert["sent"] + timedelta(seconds=rng.uniform(10, 300))
    made = [
        _action(identifier, "acknowledge", time, {"from_state": "new", "to_state": "acknowledged"})
    ]
    alert["state"] = "acknowledged"
    if rng.random() < 0.1 and alert["priority"] > 1:
        time += timedelta(seconds=rng.uniform(5, 120))
        raised = alert["priority"] - 1
        details = {"from_priority": f"P{alert['priority']}", "to_priority": f"P{raised}"}
        made.append(_action(identifier, "escalate", time, details))
        alert["priority"] = raised
    if rng.random() < 0.2:
        time += timedelta(seconds=rng.uniform(5, 120))
        made.append(
            _action(identifier, "assign", time, {"previous_assignee": "", "assignee": "op-2"})
        )
        alert["assignee"] = "op-2"
    if rng.random() < 0.95:
        time += timedelta(seconds=rng.uniform(60, 3600))
        verb, state = ("resolve", "resolved") if rng.random() < 0.6 else ("dismiss", "dismissed")
        made.append(
            _action(identifier, verb, time, {"from_state": alert["state"], "to_state": state})
        )
        alert["state"] = state
    return made


def _action(alert_id: str, verb: str, time: datetime, details: dict[str, str]) -> dict[str, Any]:
    return {
        "identifier": f"{alert_id}/{verb}",  # each verb at most once per generated alert
        "alert_identifier": alert_id,
        "action": verb,
        "by": "op-1",
        "time": time,
        "reason": "bench" if verb == "dismiss" else "",
        "details": [list(pair) for pair in details.items()],
        "stored": time,
    }


def _detections(rng: random.Random, day: datetime) -> Iterator[dict[str, Any]]:
    for n in range(SIZES["detections"]):
        time = _at(day, rng)
        camera = f"cam-{rng.randrange(CAMERAS)}"
        snapshot = f"snapshot:{camera}/d{n}.jpg" if rng.random() < 0.2 else None
        yield {
            "identifier": f"det-{n}",
            "detector_id": "yolo",
            "source_id": camera,
            "time": time,
            "event_type": rng.choice(["knife", "crowd_density", "loitering"]),
            "label": "person",
            "confidence": 0.7,
            "bbox": [0.1, 0.1, 0.2, 0.3],
            "track_id": None,
            "snapshot_uri": snapshot,
            "status": "Actual",
            "stored": time,
            "lat": None,
            "lon": None,
        }


def _observations(day: datetime) -> Iterator[dict[str, Any]]:
    per_sensor = SIZES["observations"] // SENSORS
    every = timedelta(seconds=DAY_S / per_sensor)
    for step in range(per_sensor):
        time = day + every * step
        for sensor in range(SENSORS):
            yield {
                "identifier": f"obs-{sensor}-{step}",
                "sensor_id": f"sensor-{sensor:02d}",
                "time": time,
                "quantity": "turbidity",
                "value": 1.0 + (step % 100) / 10,
                "unit": "NTU",
                "status": "Actual",
                "stored": time,
            }


_TRACK_EVERY = timedelta(seconds=DAY_S * TRACKS / SIZES["tracks"])
_TRACK_STEPS = SIZES["tracks"] // TRACKS


def _positions(rng: random.Random, day: datetime) -> Iterator[dict[str, Any]]:
    for step in range(_TRACK_STEPS):
        for track in range(TRACKS):
            yield {
                "track_identifier": f"trk-{track}",
                "time": day + _TRACK_EVERY * step + timedelta(seconds=track),
                "course_deg": rng.uniform(0, 359),
                "speed_mps": 1.4,
                "lat": 59.91 + rng.uniform(-0.01, 0.01),
                "lon": 10.73 + rng.uniform(-0.01, 0.01),
            }


def _latest_tracks(day: datetime) -> Iterator[dict[str, Any]]:
    last = day + _TRACK_EVERY * (_TRACK_STEPS - 1)
    for track in range(TRACKS):
        time = last + timedelta(seconds=track)
        yield {
            "identifier": f"trk-{track}",
            "source_id": "patrols",
            "time": time,
            "alt_m": None,
            "cot_type": "a-f-G",
            "callsign": f"Patrol {track}",
            "course_deg": 0.0,
            "speed_mps": 1.4,
            "status": "Actual",
            "stored": time,
            "lat": 59.91,
            "lon": 10.73,
        }


def _posts(rng: random.Random, day: datetime) -> Iterator[dict[str, Any]]:
    for n in range(SIZES["posts"]):
        time = _at(day, rng)
        yield {
            "identifier": f"post-{n}",
            "platform": "microblog",
            "author": f"author-{rng.randrange(2000)}",
            "text": "Generated post for the timeline benchmark " * 2,
            "time": time,
            "language": "en",
            "url": None,
            "status": "Actual",
            "reply_to": None,
            "stored": time,
            "lat": None,
            "lon": None,
        }


def _notes(rng: random.Random, day: datetime) -> Iterator[dict[str, Any]]:
    for n in range(300):
        time = _at(day, rng)
        yield {
            "identifier": f"note-{n}",
            "incident_identifier": f"inc-{n % 20}",
            "time": time,
            "by": "cmd-1",
            "kind": "note" if n % 3 else "action",
            "text": f"Note {n}",
            "details": None,
            "stored": time,
        }


def _bookmarks(rng: random.Random, day: datetime) -> Iterator[dict[str, Any]]:
    for n in range(50):
        time = _at(day, rng)
        yield {
            "identifier": f"bm-{n}",
            "time": time,
            "note": f"Bookmark {n}",
            "by": "cmd-1",
            "created": time,
            "exercise_id": None,
            "stored": time,
        }
