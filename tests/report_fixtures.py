"""A synthetic exercise stored as the replay and a trainee would leave it, for report tests:
alerts with exercise identifiers, actions, detections, posts, sensor readings crossing their
warning and alarm levels, and an incident with its log and SOP tasks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.bundled import resource_path
from app.model import (
    AlertAction,
    Detection,
    ExerciseRun,
    GeoPoint,
    Incident,
    IncidentEntry,
    IncidentTask,
    Observation,
    Post,
    Priority,
    Status,
)
from app.scenario.model import (
    ExpectationSpec,
    InjectSpec,
    ScenarioSpec,
    SeriesSpec,
    exercise_identifier,
)
from tests.factories import alert

T0 = datetime(2026, 6, 20, 18, 0, tzinfo=UTC)
RUN = "run7"
HOSTILE = "<script>alert('pwned')</script> Knife at the barrier"
TITLE = "Harbour festival drill"


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def ident(inject: str, tool: str = "weapon") -> str:
    return f"{tool}:{exercise_identifier(RUN, inject)}"


def harbour_spec(alerts: int = 8) -> ScenarioSpec:
    return ScenarioSpec(
        id="harbour-drill",
        title=TITLE,
        description="A knife at the stage barrier, with social-media precursors.",
        city="Oslo",
        duration_s=1800.0,
        injects=tuple(
            InjectSpec(id=f"a{n}", at_s=60.0 * n, kind="alert", tool="weapon", data={})
            for n in range(1, alerts + 1)
        ),
        series=(
            SeriesSpec(
                id="bio",
                sensor_id="bio-north-bacteria",
                quantity="bacteria_air",
                unit="CFU/m³",
                every_s=10,
                values=(100.0,),
                tool="bio",
            ),
        ),
        expectations=(
            ExpectationSpec("a1", acknowledge_within_s=60, escalate=True, escalate_within_s=120),
            ExpectationSpec("a2", acknowledge_within_s=60, sop_steps=3),
            ExpectationSpec("a3", false_alarm=True),
            ExpectationSpec("a4", acknowledge_within_s=60),
        ),
        site_layers=(resource_path("demo/site.geojson"),),
        map_centre=(59.9116, 10.7335),
    )


def store_exercise(store, alerts: int = 8, readings: int = 180, ended: bool = True):
    """Stores one finished run of ``harbour_spec`` and returns ``(spec, run)``."""
    spec = harbour_spec(alerts)
    run = ExerciseRun(
        identifier=RUN,
        scenario="harbour-drill",
        title=TITLE,
        started=T0,
        origin=T0,
        trainee="trainee-1",
        clock=((T0.isoformat(), 0.0, 1.0),),
        ended=at(1800) if ended else None,
    )
    records: list = [run]
    for n in range(1, alerts + 1):
        records.append(
            alert(
                ident(f"a{n}"),
                sent=at(60 * n),
                status=Status.EXERCISE,
                headline=HOSTILE if n == 1 else f"Exercise alert {n} near the stage",
                priority=Priority(1 + n % 4),
                point=GeoPoint(59.9112 + 0.0001 * (n % 7), 10.7325 + 0.0003 * (n % 9)),
            )
        )
    records += [
        _action("a1", "acknowledge", 60 + 20),
        _action("a1", "escalate", 60 + 90),
        _action("a2", "acknowledge", 120 + 150, reason=""),
        _action("a2", "sop-step", 120 + 160, step="0", done="true"),
        _action("a3", "dismiss", 180 + 30, reason="Balloon, not a drone"),
    ]
    records += [
        Detection(
            identifier=f"video:{exercise_identifier(RUN, f'd{n}')}",
            detector_id="yolo",
            source_id="cam-3",
            time=at(30 + 45 * n),
            event_type="knife",
            label="knife",
            confidence=0.8,
            status=Status.EXERCISE,
        )
        for n in range(3)
    ]
    records.append(
        Post(
            identifier=f"social:{exercise_identifier(RUN, 'p1')}",
            platform="x",
            author="author-5f2c",
            text="Tonight at the harbour stage <b>everyone</b> will see",
            time=at(20),
            status=Status.EXERCISE,
        )
    )
    records += [
        Observation(
            identifier=f"bio:{exercise_identifier(RUN, f'bio.{n}')}",
            sensor_id="bio-north-bacteria",
            time=at(10 * n),
            quantity="bacteria_air",
            value=100.0 + (900.0 if 60 < n % 120 < 80 else 0.0) + (n % 5) * 10,
            unit="CFU/m³",
            status=Status.EXERCISE,
        )
        for n in range(readings)
    ]
    records += _incident()
    store.save(records)
    return spec, store.get(ExerciseRun, RUN)


def _action(inject: str, action: str, seconds: float, reason: str = "", **details: str):
    return AlertAction(
        identifier=f"{inject}-{action}-{seconds}",
        alert_identifier=ident(inject),
        action=action,
        by="trainee-1",
        time=at(seconds),
        reason=reason,
        details=tuple(details.items()),
    )


def _incident() -> list:
    incident = Incident(
        identifier="inc-1",
        title="Armed person at the stage barrier",
        opened=at(200),
        priority=Priority.P1,
        alert_ids=(ident("a1"), ident("a2")),
        commander="commander-1",
        exercise_id=RUN,
        description="Police informed; stage front being cleared.",
    )
    entries = [
        IncidentEntry(
            identifier="e1",
            incident_identifier="inc-1",
            time=at(210),
            by="commander-1",
            kind="note",
            text="Police patrol 12 on its way",
        )
    ]
    tasks = [
        IncidentTask(
            identifier=f"t{n}",
            incident_identifier="inc-1",
            title=f"SOP step {n}",
            kind="sop",
            position=n,
            done=at(230 + n) if n < 2 else None,
            done_by="commander-1",
        )
        for n in range(3)
    ]
    return [incident, *entries, *tasks]


def store_from_spec(store, spec: ScenarioSpec, run_id: str = RUN, acted: bool = True):
    """Stores a finished run of a real scenario as the replay would leave it (every inject's
    records at its time, the series' readings) and, with ``acted``, a trainee who answers
    each expectation: the first within time, the others late, false alarms dismissed."""
    from app.model import Alert, Category
    from app.terminology import default_terminology

    terms = default_terminology()
    run = ExerciseRun(
        identifier=run_id,
        scenario=spec.id,
        title=spec.title,
        started=T0,
        origin=T0,
        trainee="trainee-1",
        clock=((T0.isoformat(), 0.0, 1.0),),
        ended=at(spec.duration_s),
    )
    records: list = [run]
    for inject in spec.injects:
        local = exercise_identifier(run_id, inject.id)
        data = inject.data
        point = GeoPoint(*data["point"][:2]) if data.get("point") else None
        fields = data.get("alert") if isinstance(data.get("alert"), dict) else data
        if inject.kind == "post":
            records.append(
                Post(
                    identifier=f"{inject.tool}:{local}",
                    platform=str(data.get("platform", "microblog")),
                    author=str(data.get("author", "someone")),
                    text=str(data.get("text", "")),
                    time=at(inject.at_s),
                    point=point,
                    status=Status.EXERCISE,
                )
            )
        if inject.kind == "detection":
            records.append(
                Detection(
                    identifier=f"{inject.tool}:{local}",
                    detector_id="exercise",
                    source_id=str(data.get("source_id") or data.get("camera") or inject.tool),
                    time=at(inject.at_s),
                    event_type=str(data.get("event_type", "unknown")),
                    label=str(data.get("label", data.get("event_type", "object"))),
                    confidence=float(data.get("confidence", 1.0)),
                    point=point,
                    status=Status.EXERCISE,
                )
            )
        if inject.kind in ("alert", "threat_intel", "camera_failure") or fields is not data:
            event = terms.event_type(str(fields.get("event_type", "unknown")))
            records.append(
                Alert(
                    identifier=f"{inject.tool}:{local}",
                    sender=str(fields.get("sender", inject.tool)),
                    source_tool=inject.tool,
                    sent=at(inject.at_s),
                    event_type=event.id,
                    category=event.category or Category.OTHER,
                    headline=str(fields.get("headline", inject.id)),
                    status=Status.EXERCISE,
                    point=point,
                    priority=event.priority,
                )
            )
    for series in spec.series:
        steps = int(((series.end_s or spec.duration_s) - series.start_s) // series.every_s)
        records += [
            Observation(
                identifier=f"{series.tool}:{exercise_identifier(run_id, series.id)}.{n}",
                sensor_id=series.sensor_id,
                time=at(series.start_s + n * series.every_s),
                quantity=series.quantity,
                value=series.values[n % len(series.values)],
                unit=series.unit,
                status=Status.EXERCISE,
            )
            for n in range(steps)
        ]
    if acted:
        records += _trainee(spec, run_id)
    store.save(records)
    return store.get(ExerciseRun, run_id)


def _trainee(spec: ScenarioSpec, run_id: str) -> list:
    actions = []
    for n, expectation in enumerate(spec.expectations):
        inject = spec.inject(expectation.inject)
        if inject is None:
            continue
        alert_id = f"{inject.tool}:{exercise_identifier(run_id, inject.id)}"
        limit = expectation.acknowledge_within_s or 60.0
        delay = limit / 2 if n == 0 else limit * 1.5
        plan = [("dismiss" if expectation.false_alarm else "acknowledge", delay, ())]
        if expectation.escalate:
            plan.append(("escalate", delay + 30, ()))
        for step in range(expectation.sop_steps or 0):
            plan.append(("sop-step", delay + 40 + step, (("step", str(step)), ("done", "true"))))
        actions += [
            AlertAction(
                identifier=f"{alert_id}-{name}-{offset}",
                alert_identifier=alert_id,
                action=name,
                by="trainee-1",
                time=at(inject.at_s + offset),
                reason="False alarm" if name == "dismiss" else "",
                details=details,
            )
            for name, offset, details in plan
        ]
    return actions
