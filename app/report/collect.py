"""Gathers one report's records from the store: an exercise run, or an incident.

Exercise: the run, its scenario (loaded again from its file, for the title, the expected
response and the site layers), every record of the run, the incidents opened for it, and a
fresh score. Incident: the incident, its alerts and their actions, its log and tasks, between
its first alert and its closing (or now), and the sensors near its alerts.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import or_, select

from app.exercise.score import ExerciseScore
from app.exercise.scoring import score_run
from app.model import (
    Alert,
    AlertAction,
    Bookmark,
    Detection,
    ExerciseRun,
    GeoPoint,
    Incident,
    IncidentEntry,
    IncidentTask,
    Observation,
    Post,
    utc_now,
)
from app.report import queries
from app.report.data import ReportData, ReportNotFoundError, SiteLayers
from app.report.layers import alert_point, layers_from_files, layers_from_store
from app.scenario.errors import ScenarioError
from app.scenario.loader import load_scenario
from app.scenario.model import ScenarioSpec
from app.storage import RecordStore
from app.storage.codecs import from_row
from app.storage.orm import IncidentRow

log = logging.getLogger(__name__)

MAX_SENSORS_NEAR_INCIDENT = 6


def collect_exercise(
    store: RecordStore,
    run_id: str | None,
    now: datetime | None = None,
    spec: ScenarioSpec | None = None,
) -> ReportData:
    """The report data of run ``run_id`` (the latest run when ``None``). ``spec`` is the run's
    scenario when the caller already has it; otherwise it is loaded from ``run.scenario``."""
    now = now or utc_now()
    run_id = run_id or queries.latest_run_id(store)
    run = store.get(ExerciseRun, run_id) if run_id else None
    if run is None:
        if run_id is None:
            raise ReportNotFoundError("there is no exercise run in this database")
        raise ReportNotFoundError(f"there is no exercise run {run_id!r} in this database")
    start, end = run.started, run.ended or now
    spec = spec or load_spec(run.scenario)
    alerts = queries.exercise_records(store, Alert, run.identifier, start, end)
    ids = [a.identifier for a in alerts]
    incidents = _run_incidents(store, run, set(ids), end)
    incident_ids = [i.identifier for i in incidents]
    score = _score(spec, run, store, now)
    return ReportData(
        kind="exercise",
        identifier=run.identifier,
        title=spec.title if spec else run.title,
        description=spec.description if spec else "",
        where=spec.city if spec else "",
        start=start,
        end=end,
        ongoing=run.ended is None,
        alerts=tuple(alerts),
        actions=tuple(queries.by_column(store, AlertAction, "alert_identifier", ids, end)),
        detections=tuple(queries.exercise_records(store, Detection, run_id, start, end)),
        posts=tuple(queries.exercise_records(store, Post, run_id, start, end)),
        observations=tuple(queries.exercise_records(store, Observation, run_id, start, end)),
        incidents=tuple(incidents),
        entries=tuple(queries.by_column(store, IncidentEntry, "incident_identifier", incident_ids)),
        tasks=tuple(queries.by_column(store, IncidentTask, "incident_identifier", incident_ids)),
        bookmarks=tuple(queries.window_records(store, Bookmark, start, end, exercise_id=run_id)),
        layers=_exercise_layers(spec, store, alerts),
        run=run,
        spec=spec,
        score=score,
        person=run.trainee,
    )


def collect_incident(
    store: RecordStore, incident_id: str, now: datetime | None = None
) -> ReportData:
    now = now or utc_now()
    incident = store.get(Incident, incident_id)
    if incident is None:
        raise ReportNotFoundError(f"there is no incident {incident_id!r} in this database")
    alerts = sorted(
        queries.by_column(store, Alert, "identifier", incident.alert_ids), key=lambda a: a.sent
    )
    start = min([incident.opened, *(a.sent for a in alerts)])
    end = incident.closed or now
    points = [p for a in alerts if (p := alert_point(a)) is not None]
    layers = layers_from_store(store, points)
    sensors = [s.identifier for s in layers.sensors][:MAX_SENSORS_NEAR_INCIDENT]
    ids = [a.identifier for a in alerts]
    where = sorted({a.area.description for a in alerts if a.area and a.area.description})
    return ReportData(
        kind="incident",
        identifier=incident.identifier,
        title=incident.title,
        description=incident.description,
        where=", ".join(where[:3]),
        start=start,
        end=end,
        ongoing=incident.closed is None,
        alerts=tuple(alerts),
        actions=tuple(queries.by_column(store, AlertAction, "alert_identifier", ids, end)),
        observations=tuple(
            queries.window_records(store, Observation, start, end, sensor_id=sensors)
            if sensors
            else ()
        ),
        incidents=(incident,),
        entries=tuple(
            queries.by_column(store, IncidentEntry, "incident_identifier", [incident_id])
        ),
        tasks=tuple(queries.by_column(store, IncidentTask, "incident_identifier", [incident_id])),
        bookmarks=tuple(queries.window_records(store, Bookmark, start, end)),
        layers=layers,
        person=incident.commander,
    )


def load_spec(scenario: str) -> ScenarioSpec | None:
    """The run's scenario, or ``None`` when its file cannot be read any more (the report then
    shows the score stored with the run)."""
    try:
        return load_scenario(scenario)
    except (ScenarioError, OSError) as exc:  # the report goes on without the file
        log.warning("Scenario %r cannot be read for the report: %s", scenario, exc)
        return None


def _score(
    spec: ScenarioSpec | None, run: ExerciseRun, store: RecordStore, now: datetime
) -> ExerciseScore | None:
    if spec is not None:
        return score_run(spec, run, store, now=now)
    if run.score:
        try:
            return ExerciseScore.from_document(run.score)
        except ValueError as exc:
            log.warning("Stored score of run %s unreadable: %s", run.identifier, exc)
    return None


def _run_incidents(
    store: RecordStore, run: ExerciseRun, alert_ids: set[str], end: datetime
) -> list[Incident]:
    query = select(IncidentRow).where(
        or_(IncidentRow.exercise_id == run.identifier, IncidentRow.opened.between(run.started, end))
    )
    with store.session() as session:
        incidents = [
            from_row(Incident, row) for row in session.scalars(query.order_by(IncidentRow.opened))
        ]
    return [i for i in incidents if i.exercise_id == run.identifier or alert_ids & set(i.alert_ids)]


def _exercise_layers(
    spec: ScenarioSpec | None, store: RecordStore, alerts: list[Alert]
) -> SiteLayers:
    if spec is not None and spec.site_layers:
        centre = GeoPoint(*spec.map_centre) if spec.map_centre else None
        return layers_from_files(spec.site_layers, centre)
    points = [p for a in alerts if (p := alert_point(a)) is not None]
    return layers_from_store(store, points)
