"""Scoring a scripted trainee: alerts stored as the replay stores them (exercise identifiers,
wall-clock times), actions stored or taken through the real alert service, and the score read
back from the store with the run's clock anchors."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import pytest

from app.exercise.score import ExerciseScore
from app.exercise.scoring import score_run
from app.exercise.timing import scenario_seconds
from app.model import (
    AlertAction,
    ExerciseRun,
    Incident,
    IncidentTask,
    Priority,
    Status,
)
from app.scenario.model import ExpectationSpec, InjectSpec, ScenarioSpec, exercise_identifier
from tests.factories import alert

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
RUN = "r1"


def spec_with(*expectations: ExpectationSpec, injects: int = 4) -> ScenarioSpec:
    return ScenarioSpec(
        id="drill",
        title="Drill",
        description="",
        city="Oslo",
        duration_s=600.0,
        injects=tuple(
            InjectSpec(id=f"i{n}", at_s=10.0 * n, kind="alert", tool="weapon", data={})
            for n in range(1, injects + 1)
        ),
        expectations=expectations,
    )


def make_run(store, clock=None, ended: datetime | None = None) -> ExerciseRun:
    run = ExerciseRun(
        identifier=RUN,
        scenario="drill",
        title="Drill",
        started=T0,
        origin=T0,
        clock=clock or ((T0.isoformat(), 0.0, 1.0),),
        ended=ended,
    )
    store.save([run])
    return store.get(ExerciseRun, RUN)  # read back: anchors go through the store's codec


def ident(inject: str) -> str:
    return f"weapon:{exercise_identifier(RUN, inject)}"


def arrive(store, inject: str, at_s: float, **changes) -> None:
    """The alert as the console stores it when the replay serves it at wall T0 + at_s."""
    changes.setdefault("headline", f"Alert {inject}")
    store.save(
        [alert(ident(inject), sent=T0 + timedelta(seconds=at_s), status=Status.EXERCISE, **changes)]
    )


def act(store, inject: str, action: str, at_s: float, **details: str) -> None:
    store.save(
        [
            AlertAction(
                identifier=f"{inject}-{action}-{at_s}-{sorted(details.items())}",
                alert_identifier=ident(inject),
                action=action,
                by="trainee",
                time=T0 + timedelta(seconds=at_s),
                details=tuple(details.items()),
            )
        ]
    )


def item(score: ExerciseScore, inject: str):
    return next(i for i in score.items if i.inject == inject)


def test_on_time_and_late_acknowledgement_and_missed(record_store) -> None:
    spec = spec_with(
        ExpectationSpec("i1", acknowledge_within_s=60),
        ExpectationSpec("i2", acknowledge_within_s=60),
        ExpectationSpec("i3", acknowledge_within_s=60),
    )
    for n in (1, 2, 3):
        arrive(record_store, f"i{n}", 10.0 * n)
    act(record_store, "i1", "acknowledge", 10 + 45)
    act(record_store, "i2", "acknowledge", 20 + 200)
    run = make_run(record_store, ended=T0 + timedelta(seconds=600))

    score = score_run(spec, run, record_store)

    assert [item(score, i).status for i in ("i1", "i2", "i3")] == ["on_time", "late", "missed"]
    assert item(score, "i1").acknowledged_s == pytest.approx(45)
    assert item(score, "i2").acknowledged_s == pytest.approx(200)
    assert [item(score, i).points for i in ("i1", "i2", "i3")] == [10.0, 5.0, 0.0]
    assert score.points == 15.0 and score.max_points == 30.0 and score.percent == 50.0
    assert score.final and score.count("missed") == 1


def test_starting_or_escalating_means_the_alert_was_seen(record_store) -> None:
    spec = spec_with(
        ExpectationSpec("i1", acknowledge_within_s=30),
        ExpectationSpec("i2", acknowledge_within_s=30),
    )
    arrive(record_store, "i1", 10)
    arrive(record_store, "i2", 20)
    act(record_store, "i1", "start", 15)
    act(record_store, "i2", "escalate", 40)
    run = make_run(record_store, ended=T0 + timedelta(seconds=300))

    score = score_run(spec, run, record_store)

    assert item(score, "i1").status == "on_time" and item(score, "i1").acknowledged_s == 5
    assert item(score, "i2").status == "on_time" and item(score, "i2").acknowledged_s == 20


def test_escalation_expected_done_late_and_not_done(record_store) -> None:
    spec = spec_with(
        ExpectationSpec("i1", acknowledge_within_s=60, escalate=True, escalate_within_s=120),
        ExpectationSpec("i2", acknowledge_within_s=60, escalate=True, escalate_within_s=120),
        ExpectationSpec("i3", acknowledge_within_s=60, escalate=True),
        ExpectationSpec("i4", escalate=False),
    )
    for n in (1, 2, 3, 4):
        arrive(record_store, f"i{n}", 10.0 * n)
    for n in (1, 2, 3, 4):
        act(record_store, f"i{n}", "acknowledge", 10.0 * n + 5)
    act(record_store, "i1", "escalate", 10 + 100)
    act(record_store, "i2", "escalate", 20 + 300)
    act(record_store, "i4", "escalate", 40 + 30)
    run = make_run(record_store, ended=T0 + timedelta(seconds=600))

    score = score_run(spec, run, record_store)

    escalation = {i: item(score, i).criteria[1] for i in ("i1", "i2", "i3")}
    assert escalation["i1"].status == "on_time" and escalation["i1"].taken_s == 100
    assert escalation["i2"].status == "late" and escalation["i2"].taken_s == 300
    assert escalation["i3"].status == "missed" and escalation["i3"].points == 0
    assert item(score, "i1").points == 10.0
    assert item(score, "i2").points == 7.5  # ack 5 of 5, late escalation 2.5 of 5
    assert item(score, "i3").status == "missed" and item(score, "i3").points == 5.0
    assert item(score, "i4").status == "wrongly_escalated"
    assert item(score, "i1").escalated_s == 100


def test_false_alarm_dismissed_is_correct_and_real_alert_dismissed_is_wrong(record_store) -> None:
    spec = spec_with(
        ExpectationSpec("i1", false_alarm=True),
        ExpectationSpec("i2", acknowledge_within_s=60),
        ExpectationSpec("i3", false_alarm=True),
        ExpectationSpec("i4", false_alarm=True),
    )
    for n in (1, 2, 3, 4):
        arrive(record_store, f"i{n}", 10.0 * n)
    act(record_store, "i1", "dismiss", 40)
    act(record_store, "i2", "dismiss", 30)  # a real alert, dismissed in time: still wrong
    act(record_store, "i3", "escalate", 50)
    run = make_run(record_store, ended=T0 + timedelta(seconds=600))

    score = score_run(spec, run, record_store)

    assert item(score, "i1").status == "correctly_dismissed" and item(score, "i1").points == 10
    assert item(score, "i1").dismissed_s == 30
    assert item(score, "i2").status == "wrongly_dismissed" and item(score, "i2").points == 0
    assert item(score, "i3").status == "wrongly_escalated" and item(score, "i3").points == 0
    assert item(score, "i4").status == "missed"
    assert score.count("wrongly_dismissed") == 1


def test_reopening_withdraws_a_wrong_dismissal(record_store) -> None:
    spec = spec_with(ExpectationSpec("i1", acknowledge_within_s=60))
    arrive(record_store, "i1", 10)
    act(record_store, "i1", "dismiss", 20)
    act(record_store, "i1", "reopen", 50)
    run = make_run(record_store, ended=T0 + timedelta(seconds=600))

    score = score_run(spec, run, record_store)

    assert item(score, "i1").status == "on_time" and item(score, "i1").dismissed_s is None


def test_sop_steps_ticked_on_the_alert_latest_tick_wins(record_store) -> None:
    spec = spec_with(
        ExpectationSpec("i1", sop_steps=4),
        ExpectationSpec("i2", sop_steps=2),
    )
    arrive(record_store, "i1", 10)
    arrive(record_store, "i2", 20)
    act(record_store, "i1", "acknowledge", 12)
    act(record_store, "i1", "sop-step", 13, step="0", done="true")
    act(record_store, "i1", "sop-step", 14, step="1", done="true")
    act(record_store, "i1", "sop-step", 15, step="2", done="true")
    act(record_store, "i1", "sop-step", 16, step="2", done="false")  # unticked again
    act(record_store, "i2", "sop-step", 21, step="0", done="true")
    act(record_store, "i2", "sop-step", 22, step="1", done="true")
    act(record_store, "i2", "sop-step", 23, step="2", done="true")  # more than asked: capped
    run = make_run(record_store, ended=T0 + timedelta(seconds=600))

    score = score_run(spec, run, record_store)

    sop1 = item(score, "i1").criteria[-1]
    assert (sop1.name, sop1.status, sop1.done, sop1.required) == ("sop", "partial", 2, 4)
    assert sop1.points == 2.5  # half the SOP's share (5 of 10)
    assert item(score, "i1").status == "partial"
    sop2 = item(score, "i2").criteria[-1]
    assert (sop2.status, sop2.done, sop2.points) == ("done", 2, 5.0)
    assert item(score, "i2").status == "on_time"  # the SOP tick also shows it was seen


def test_sop_steps_done_as_tasks_of_an_incident_holding_the_alert(record_store) -> None:
    spec = spec_with(ExpectationSpec("i1", acknowledge_within_s=60, sop_steps=3))
    arrive(record_store, "i1", 10)
    act(record_store, "i1", "acknowledge", 20)
    act(record_store, "i1", "sop-step", 21, step="0", done="true")
    incident = Incident(
        identifier="inc-1",
        title="Knife at the stage",
        opened=T0 + timedelta(seconds=30),
        priority=Priority.P1,
        alert_ids=(ident("i1"), "other:alert"),
        exercise_id=RUN,
    )
    tasks = [
        IncidentTask(
            identifier=f"t{n}",
            incident_identifier="inc-1",
            title=f"Step {n}",
            kind="sop",
            position=n,
            done=T0 + timedelta(seconds=40 + n) if n < 3 else None,
        )
        for n in range(4)
    ]
    tasks.append(
        IncidentTask(
            identifier="free",
            incident_identifier="inc-1",
            title="Call the organiser",
            kind="task",
            position=9,
            done=T0 + timedelta(seconds=50),
        )
    )
    record_store.save([incident, *tasks])
    run = make_run(record_store, ended=T0 + timedelta(seconds=600))

    score = score_run(spec, run, record_store)

    sop = item(score, "i1").criteria[-1]
    assert (sop.status, sop.done) == ("done", 3)  # steps 0 (alert, incident), 1, 2 (incident)
    assert item(score, "i1").sop_done == 3 and item(score, "i1").points == 10.0


def test_pending_while_running_until_the_deadline_passes(record_store) -> None:
    spec = spec_with(
        ExpectationSpec("i1", acknowledge_within_s=60),
        ExpectationSpec("i2", acknowledge_within_s=60),
        ExpectationSpec("i3", acknowledge_within_s=60, sop_steps=2),
    )
    arrive(record_store, "i1", 10)
    arrive(record_store, "i3", 30)
    act(record_store, "i3", "acknowledge", 35)
    act(record_store, "i3", "sop-step", 36, step="0", done="true")
    act(record_store, "i1", "acknowledge", 150)  # after "now": must not count yet
    run = make_run(record_store)

    early = score_run(spec, run, record_store, now=T0 + timedelta(seconds=40))
    assert not early.final and early.scenario_s == 40
    assert item(early, "i1").status == "pending"
    assert item(early, "i2").status == "pending" and item(early, "i2").max_points == 10
    assert item(early, "i3").status == "pending" and item(early, "i3").points == 7.5

    later = score_run(spec, run, record_store, now=T0 + timedelta(seconds=100))
    assert item(later, "i1").status == "missed"  # 90 s since arrival, limit 60 s
    assert item(later, "i2").status == "pending"  # not arrived yet

    ended = replace_ended(run, record_store, T0 + timedelta(seconds=200))
    final = score_run(spec, ended, record_store)
    assert item(final, "i1").status == "late"
    assert item(final, "i2").status == "not_played" and item(final, "i2").max_points == 0
    assert item(final, "i3").status == "partial"
    assert final.max_points == 20.0


def replace_ended(run: ExerciseRun, store, ended: datetime) -> ExerciseRun:
    from dataclasses import replace

    store.save([replace(run, ended=ended)])
    return store.get(ExerciseRun, run.identifier)


def test_actions_after_the_end_of_the_run_do_not_count(record_store) -> None:
    spec = spec_with(ExpectationSpec("i1", acknowledge_within_s=60))
    arrive(record_store, "i1", 10)
    act(record_store, "i1", "acknowledge", 700)
    run = make_run(record_store, ended=T0 + timedelta(seconds=600))

    assert item(score_run(spec, run, record_store), "i1").status == "missed"


def test_anchors_at_double_speed_and_with_a_pause(record_store) -> None:
    # 2x from T0; paused at wall +30 s (scenario 60 s) for a minute; 2x again from wall +90 s.
    clock = (
        (T0.isoformat(), 0.0, 2.0),
        ((T0 + timedelta(seconds=30)).isoformat(), 60.0, 0.0),
        ((T0 + timedelta(seconds=90)).isoformat(), 60.0, 2.0),
    )
    run = make_run(record_store, clock=clock, ended=T0 + timedelta(seconds=200))
    wall = lambda s: T0 + timedelta(seconds=s)  # noqa: E731
    assert scenario_seconds(run.clock, wall(10)) == pytest.approx(20)
    assert scenario_seconds(run.clock, wall(60)) == pytest.approx(60)  # paused
    assert scenario_seconds(run.clock, wall(100)) == pytest.approx(80)

    spec = spec_with(
        ExpectationSpec("i1", acknowledge_within_s=60),
        ExpectationSpec("i2", acknowledge_within_s=30),
    )
    arrive(record_store, "i1", 10)  # scenario 20 s
    act(record_store, "i1", "acknowledge", 100)  # scenario 80 s: 90 wall seconds, 60 scenario
    arrive(record_store, "i2", 20)  # scenario 40 s
    act(record_store, "i2", "acknowledge", 95)  # scenario 70 s: 30 s, the pause not counted

    score = score_run(spec, run, record_store)

    assert item(score, "i1").arrived_s == pytest.approx(20)
    assert item(score, "i1").acknowledged_s == pytest.approx(60)
    assert item(score, "i1").status == "on_time"
    assert item(score, "i2").acknowledged_s == pytest.approx(30)
    assert item(score, "i2").status == "on_time"


def test_a_trainee_acting_through_the_real_alert_service(record_store) -> None:
    from app.alerts.fusion import FusionRules
    from app.alerts.lifecycle import Action
    from app.alerts.repository import AlertRepository
    from app.alerts.service import AlertCommand, AlertService
    from app.hub import Hub
    from app.terminology import default_terminology

    # The alert arrived ten minutes ago (wall = scenario time): acting now is late.
    start = datetime.now(UTC) - timedelta(minutes=10)
    run = ExerciseRun(
        identifier=RUN,
        scenario="drill",
        title="Drill",
        started=start,
        clock=((start.isoformat(), 0.0, 1.0),),
    )
    record_store.save([run])
    record_store.save([alert(ident("i1"), sent=start, status=Status.EXERCISE)])
    record_store.save([alert(ident("i2"), sent=start, status=Status.EXERCISE)])
    hub = Hub()
    done = threading.Event()
    seen: list[AlertAction] = []

    def on_action(batch) -> None:
        seen.extend(batch)
        if len(seen) >= 2:
            done.set()

    subscription = hub.subscribe(AlertAction, on_action)
    service = AlertService(
        AlertRepository(record_store),
        hub,
        default_terminology(),
        FusionRules.load(),
        100,
        lambda _tool: None,
    )
    service.start()
    try:
        service.submit(AlertCommand(Action.ACKNOWLEDGE, ident("i1"), by="trainee"))
        service.submit(AlertCommand(Action.DISMISS, ident("i2"), by="trainee", reason="noise"))
        assert done.wait(10), "the alert service did not record the actions"
    finally:
        service.stop()
        subscription.cancel()
    spec = spec_with(
        ExpectationSpec("i1", acknowledge_within_s=60),
        ExpectationSpec("i2", acknowledge_within_s=60),
    )

    score = score_run(spec, record_store.get(ExerciseRun, RUN), record_store)

    assert item(score, "i1").status == "late"
    assert item(score, "i1").acknowledged_s == pytest.approx(600, abs=60)
    assert item(score, "i2").status == "wrongly_dismissed"


def test_the_score_document_is_plain_json_and_reads_back(record_store) -> None:
    spec = spec_with(
        ExpectationSpec("i1", acknowledge_within_s=60, escalate=True, sop_steps=2, weight=2),
        ExpectationSpec("i2", false_alarm=True),
    )
    arrive(record_store, "i1", 10)
    arrive(record_store, "i2", 20)
    act(record_store, "i1", "acknowledge", 30)
    act(record_store, "i2", "dismiss", 30)
    run = make_run(record_store, ended=T0 + timedelta(seconds=600))
    score = score_run(spec, run, record_store)

    document = json.loads(json.dumps(score.to_document()))
    record_store.save([ExerciseRun(**{**_fields(run), "score": document})])
    stored = record_store.get(ExerciseRun, RUN).score

    assert ExerciseScore.from_document(stored) == score
    assert document["percent"] == score.percent
    assert document["counts"] == {"missed": 1, "correctly_dismissed": 1}
    assert item(score, "i1").max_points == 20.0
    with pytest.raises(ValueError):
        ExerciseScore.from_document({"version": 99})


def _fields(run: ExerciseRun) -> dict:
    from dataclasses import fields

    return {f.name: getattr(run, f.name) for f in fields(run)}
