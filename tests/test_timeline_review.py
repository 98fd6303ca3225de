"""Review mode's state at a past instant, on a real store: the alert queue replayed from real
alert-service commands, tracks, recent records, readings and snapshots."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import update

from app.alerts import lifecycle
from app.alerts.fusion import FusionRules
from app.alerts.lifecycle import Action
from app.alerts.repository import AlertRepository
from app.alerts.service import AlertCommand, AlertService
from app.hub import Hub
from app.model import (
    AlertAction,
    AlertState,
    Detection,
    EvidenceLink,
    GeoPoint,
    Observation,
    Post,
    Priority,
    Status,
    Track,
    utc_now,
)
from app.storage.orm import AlertRow
from app.terminology import default_terminology
from app.timeline.alert_replay import ActionFact, replay
from app.timeline.review import state_at
from app.timeline.review_readings import MAX_OBSERVATIONS
from tests.factories import alert
from tests.video_helpers import wait_until


class Collector:
    def __init__(self, hub: Hub, kind: type) -> None:
        self.items: list = []
        self._lock = threading.Lock()
        self.subscription = hub.subscribe(kind, self.on_items)

    def on_items(self, batch: Sequence[object]) -> None:
        with self._lock:
            self.items.extend(batch)


def _stored_at(store, moment: datetime) -> None:
    """Sets every alert's store time, as if each had been stored at ``moment``."""
    with store.session() as session, session.begin():
        session.execute(update(AlertRow).values(stored=moment))


def _by_id(state, identifier: str):
    return next((a for a in state.alerts if a.identifier == identifier), None)


def _state(store, moment: datetime):
    with store.session() as session:
        return state_at(session, moment)


def test_the_queue_at_t_replays_real_alert_service_commands(record_store):
    hub = Hub()
    actions = Collector(hub, AlertAction)
    service = AlertService(
        AlertRepository(record_store),
        hub,
        default_terminology(),
        FusionRules.load(),
        1000,
        lambda _tool: None,
    )
    sent = utc_now() - timedelta(hours=1)
    record_store.save([alert("wd:1", sent=sent, priority=Priority.P3)])
    _stored_at(record_store, sent)
    commands = [
        AlertCommand(Action.ACKNOWLEDGE, "wd:1", "op-7"),
        AlertCommand(Action.ESCALATE, "wd:1", "op-7"),
        AlertCommand(Action.ASSIGN, "wd:1", "op-7", to="op-9"),
        AlertCommand(Action.RESOLVE, "wd:1", "op-9"),
    ]
    service.start()
    try:
        for count, command in enumerate(commands, start=1):
            service.submit(command)
            wait_until(lambda n=count: len(actions.items) == n, what=f"action {count}")
    finally:
        service.stop()
    t1, t2, t3, t4 = (a.time for a in actions.items)
    assert t1 < t2 < t3 < t4
    second = timedelta(seconds=1)

    before = _by_id(_state(record_store, t1 - second), "wd:1")
    assert (before.state, before.priority, before.assignee) == (AlertState.NEW, Priority.P3, None)
    acknowledged = _by_id(_state(record_store, t1), "wd:1")
    assert (acknowledged.state, acknowledged.priority) == (AlertState.ACKNOWLEDGED, Priority.P3)
    escalated = _by_id(_state(record_store, t2), "wd:1")
    assert (escalated.state, escalated.priority) == (AlertState.ACKNOWLEDGED, Priority.P2)
    assert escalated.assignee is None
    assert _by_id(_state(record_store, t3), "wd:1").assignee == "op-9"
    resolved = _by_id(_state(record_store, t4 + second), "wd:1")
    assert resolved.state is AlertState.RESOLVED  # closed, but changed within the hour
    assert _by_id(_state(record_store, t4 + timedelta(hours=2)), "wd:1") is None


def test_replaying_the_lifecycle_gives_back_every_step(record_store):
    start = utc_now() - timedelta(hours=3)
    steps = [
        lambda a, t: lifecycle.acknowledge(a, "op-1", t),
        lambda a, t: lifecycle.assign(a, "op-1", t, "op-2"),
        lambda a, t: lifecycle.shelve(a, "op-2", t, t + timedelta(hours=1), "noisy"),
        lambda a, t: lifecycle.start(a, "op-2", t),
        lambda a, t: lifecycle.escalate(a, "op-2", t),
        lambda a, t: lifecycle.resolve(a, "op-2", t, reason="done"),
        lambda a, t: lifecycle.reopen(a, "op-3", t, "seen again"),
        lambda a, t: lifecycle.escalate(a, "op-3", t),
        lambda a, t: lifecycle.dismiss(a, "op-3", t, "false alarm"),
    ]
    current = alert("r-1", sent=start, priority=Priority.P4)
    history = [(start, current)]
    facts = []
    for n, step in enumerate(steps, start=1):
        moment = start + timedelta(minutes=n)
        change = step(current, moment)
        current = change.alert
        history.append((moment, current))
        action = change.action
        facts.append(
            ActionFact(action.action, action.by, action.time, action.reason, dict(action.details))
        )
    for moment, expected in history:
        replayed = replay(current, facts, moment)
        assert replayed == expected, moment


def test_an_alert_stored_after_t_is_not_in_the_past_queue(record_store):
    sent = utc_now() - timedelta(minutes=10)
    record_store.save([alert("late-1", sent=sent)])
    after = utc_now()
    assert _by_id(_state(record_store, sent + timedelta(minutes=5)), "late-1") is None
    assert _by_id(_state(record_store, after), "late-1") is not None


def test_old_alerts_count_while_open_and_leave_once_closed(record_store):
    now = utc_now()
    sent = now - timedelta(hours=5)
    still_open = alert("old-open", sent=sent)
    closed = alert("old-closed", sent=sent, state=AlertState.RESOLVED)
    record_store.save([still_open, closed])
    record_store.save(
        [
            AlertAction(
                identifier="close-1",
                alert_identifier="old-closed",
                action="resolve",
                by="op-1",
                time=now - timedelta(hours=4),
                details=(("from_state", "new"), ("to_state", "resolved")),
            )
        ]
    )
    _stored_at(record_store, sent)
    at_now = _state(record_store, now)
    assert _by_id(at_now, "old-open") is not None and _by_id(at_now, "old-closed") is None
    earlier = _by_id(_state(record_store, now - timedelta(hours=4, minutes=30)), "old-closed")
    assert earlier is not None and earlier.state is AlertState.NEW


def test_repeats_after_t_are_not_known_at_t(record_store):
    sent = utc_now() - timedelta(hours=2)
    record_store.save(
        [alert("rep-1", sent=sent, occurrences=7, last_seen=sent + timedelta(minutes=50))]
    )
    early = _by_id(_state(record_store, sent + timedelta(minutes=10)), "rep-1")
    assert (early.occurrences, early.last_seen) == (1, None)
    late = _by_id(_state(record_store, sent + timedelta(minutes=55)), "rep-1")
    assert late.occurrences == 7


def _track(identifier: str, time: datetime) -> Track:
    return Track(identifier=identifier, source_id="patrols", time=time, point=GeoPoint(59.9, 10.7))


def test_tracks_detections_and_posts_around_t(record_store):
    t = utc_now() - timedelta(hours=1)
    record_store.save(
        [
            _track("gone", t - timedelta(minutes=20)),
            _track("here", t - timedelta(minutes=2)),
            _track("later", t + timedelta(minutes=1)),
            *(
                Detection(
                    identifier=f"d-{minutes}",
                    detector_id="yolo",
                    source_id="cam-1",
                    time=t - timedelta(minutes=minutes),
                    event_type="knife",
                    label="knife",
                    confidence=0.9,
                )
                for minutes in (-1, 1, 4, 6)
            ),
            *(
                Post(
                    identifier=f"p-{minutes}",
                    platform="microblog",
                    author="u",
                    text="hello",
                    time=t - timedelta(minutes=minutes),
                )
                for minutes in (-1, 3, 9)
            ),
        ]
    )
    state = _state(record_store, t)
    assert [track.identifier for track in state.tracks] == ["here"]
    assert {d.identifier for d in state.detections} == {"d-1", "d-4"}
    assert {p.identifier for p in state.posts} == {"p-3"}


def test_a_track_that_moved_on_is_shown_where_it_was_at_t(record_store):
    t = utc_now() - timedelta(hours=1)
    positions = [(t - timedelta(minutes=3), 59.91), (t - timedelta(minutes=1), 59.92)]
    positions.append((t + timedelta(minutes=5), 59.95))
    record_store.save(
        Track(identifier="p1", source_id="patrols", time=when, point=GeoPoint(lat, 10.7))
        for when, lat in positions
    )
    (track,) = _state(record_store, t).tracks
    assert (track.time, track.point.lat) == (t - timedelta(minutes=1), 59.92)
    assert _state(record_store, t + timedelta(minutes=6)).tracks[0].point.lat == 59.95
    assert _state(record_store, t - timedelta(minutes=4)).tracks == ()


def test_each_camera_shows_its_latest_snapshot_before_t(record_store):
    t = utc_now() - timedelta(hours=1)

    def detection(n: int, camera: str, minutes: int, uri: str | None) -> Detection:
        return Detection(
            identifier=f"s-{n}",
            detector_id="yolo",
            source_id=camera,
            time=t - timedelta(minutes=minutes),
            event_type="knife",
            label="knife",
            confidence=0.9,
            snapshot_uri=uri,
        )

    video_alert = alert(
        "vw:1",
        sent=t - timedelta(minutes=1),
        evidence=(
            EvidenceLink("snapshot", "snapshot:cam-2/a.jpg", "Gate"),
            EvidenceLink("camera", "camera:cam-2", "Gate"),
        ),
    )
    record_store.save(
        [
            detection(1, "cam-1", 3, "snapshot:cam-1/old.jpg"),
            detection(2, "cam-1", 1, "snapshot:cam-1/new.jpg"),
            detection(3, "cam-1", -1, "snapshot:cam-1/future.jpg"),
            detection(4, "cam-1", 0, None),
            detection(5, "cam-2", 5, "snapshot:cam-2/older.jpg"),
            video_alert,
        ]
    )
    _stored_at(record_store, t - timedelta(minutes=1))
    state = _state(record_store, t)
    assert dict(state.snapshots) == {
        "cam-1": "snapshot:cam-1/new.jpg",
        "cam-2": "snapshot:cam-2/a.jpg",
    }
    assert dict(state.snapshot_times)["cam-1"] == t - timedelta(minutes=1)


def test_readings_of_the_hour_are_thinned_per_sensor_keeping_the_latest(record_store):
    t = utc_now() - timedelta(hours=1)
    readings = [
        Observation(
            identifier=f"{sensor}-{n}",
            sensor_id=sensor,
            time=t - timedelta(seconds=n),
            quantity="turbidity",
            value=float(n),
            unit="NTU",
            status=Status.ACTUAL,
        )
        for sensor in ("s-a", "s-b", "s-c")
        for n in range(-60, 4000)
    ]
    record_store.save(readings)
    observations = _state(record_store, t).observations
    assert 0 < len(observations) <= MAX_OBSERVATIONS
    assert all(t - timedelta(hours=1) < o.time <= t for o in observations)
    for sensor in ("s-a", "s-b", "s-c"):
        own = [o for o in observations if o.sensor_id == sensor]
        assert own[-1].time == t  # the reading at t itself is kept
        assert len(own) >= MAX_OBSERVATIONS // 3 // 2  # thinned by a whole step, not emptied


def test_the_fast_alert_reader_gives_the_stored_record(record_store):
    from app.timeline.alert_rows import alert_from_row, stored_triage
    from app.timeline.review_alerts import _COLUMNS

    full = alert("full-1", assignee="op-2", occurrences=3, last_seen=utc_now())
    plain = alert(
        "plain-1",
        area=None,
        point=None,
        evidence=(),
        references=(),
        status=Status.ACTUAL,
        state=AlertState.IN_PROGRESS,
    )
    record_store.save([full, plain])
    with record_store.session() as session:
        rows = {row.identifier: row for row in session.connection().execute(_COLUMNS)}
    for record in (full, plain):
        row = rows[record.identifier]
        assert alert_from_row(row, stored_triage(row)) == record
