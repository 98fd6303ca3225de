"""What the trainee did about each inject's alert, read back from the store.

The record is the judge: the stored alert (its ``sent`` is when the console had it), the
``alert_actions`` rows (who did what when), per-alert SOP ticks (``AlertAction`` ``sop-step``)
and the SOP tasks of incidents holding the alert. Times are turned into scenario seconds with
the run's clock anchors, and nothing after ``until`` (the run's end, or now) counts.

When was an alert *seen*? At its first operator action of any kind that needs someone to have
read it: acknowledge, and also start, resolve, dismiss, escalate, assign, shelve or an SOP tick
(an operator who escalates straight away has clearly seen the alert; scoring them as "never
acknowledged" would punish the fastest response).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from app.exercise.timing import scenario_seconds
from app.model import Alert, AlertAction, ExerciseRun, Incident, IncidentTask
from app.scenario.model import ExpectationSpec, ScenarioSpec, exercise_identifier
from app.storage import RecordStore
from app.storage.codecs import from_row
from app.storage.orm import AlertActionRow, AlertRow, IncidentRow, IncidentTaskRow

SEEN_ACTIONS = frozenset(
    {"acknowledge", "start", "resolve", "dismiss", "escalate", "assign", "shelve", "sop-step"}
)
_CHUNK = 500  # identifiers per IN (...) query: well under every backend's parameter limit


@dataclass(frozen=True, slots=True)
class AlertResponse:
    """One inject's alert and the trainee's response, times in scenario seconds. ``dismissed_s``
    is set only when the alert stands dismissed (a later reopen withdraws the dismissal)."""

    alert: Alert | None = None
    arrived_s: float | None = None
    seen_s: float | None = None
    escalated_s: float | None = None
    dismissed_s: float | None = None
    sop_done: frozenset[int] = frozenset()


def alert_identifier(spec: ScenarioSpec, run: ExerciseRun, inject_id: str) -> str | None:
    """The stored identifier of an inject's alert in this run (``None``: no such inject)."""
    inject = spec.inject(inject_id)
    if inject is None:
        return None
    return f"{inject.tool}:{exercise_identifier(run.identifier, inject.id)}"


def gather(
    spec: ScenarioSpec,
    run: ExerciseRun,
    store: RecordStore,
    expectations: Iterable[ExpectationSpec],
    until: datetime,
) -> dict[str, AlertResponse]:
    """The response to every expectation's inject, by inject id."""
    wanted = {
        e.inject: ident
        for e in expectations
        if (ident := alert_identifier(spec, run, e.inject)) is not None
    }
    ids = list(set(wanted.values()))
    alerts = _alerts(store, ids)
    actions = _actions(store, ids, until)
    incident_steps = _incident_sop_steps(store, run, ids, until)
    to_s = lambda wall: scenario_seconds(run.clock, wall)  # noqa: E731 - a local shorthand
    responses = {}
    for inject_id, ident in wanted.items():
        alert = alerts.get(ident)
        if alert is None or alert.sent > until:
            responses[inject_id] = AlertResponse()
            continue
        responses[inject_id] = _response(alert, actions.get(ident, []), to_s)
        steps = incident_steps.get(ident, frozenset())
        if steps:
            responses[inject_id] = _with_steps(responses[inject_id], steps)
    return responses


def _response(alert: Alert, actions: list[AlertAction], to_s) -> AlertResponse:
    seen = next((a for a in actions if a.action in SEEN_ACTIONS), None)
    escalated = next((a for a in actions if a.action == "escalate"), None)
    closing = [a for a in actions if a.action in ("dismiss", "reopen")]
    dismissed = closing[-1] if closing and closing[-1].action == "dismiss" else None
    return AlertResponse(
        alert=alert,
        arrived_s=to_s(alert.sent),
        seen_s=None if seen is None else to_s(seen.time),
        escalated_s=None if escalated is None else to_s(escalated.time),
        dismissed_s=None if dismissed is None else to_s(dismissed.time),
        sop_done=_alert_sop_steps(actions),
    )


def _with_steps(response: AlertResponse, steps: frozenset[int]) -> AlertResponse:
    return AlertResponse(
        alert=response.alert,
        arrived_s=response.arrived_s,
        seen_s=response.seen_s,
        escalated_s=response.escalated_s,
        dismissed_s=response.dismissed_s,
        sop_done=response.sop_done | steps,
    )


def _alert_sop_steps(actions: list[AlertAction]) -> frozenset[int]:
    """Steps ticked on the alert itself; the latest tick or untick of a step wins."""
    state: dict[int, bool] = {}
    for action in actions:  # already in time order
        if action.action != "sop-step":
            continue
        details = dict(action.details)
        try:
            step = int(details.get("step", ""))
        except ValueError:
            continue
        state[step] = details.get("done", "true").lower() == "true"
    return frozenset(step for step, done in state.items() if done)


def _alerts(store: RecordStore, ids: list[str]) -> dict[str, Alert]:
    found: dict[str, Alert] = {}
    with store.session() as session:
        for start in range(0, len(ids), _CHUNK):
            query = select(AlertRow).where(AlertRow.identifier.in_(ids[start : start + _CHUNK]))
            found.update((r.identifier, from_row(Alert, r)) for r in session.scalars(query))
    return found


def _actions(store: RecordStore, ids: list[str], until: datetime) -> dict[str, list[AlertAction]]:
    by_alert: dict[str, list[AlertAction]] = defaultdict(list)
    with store.session() as session:
        for start in range(0, len(ids), _CHUNK):
            query = (
                select(AlertActionRow)
                .where(AlertActionRow.alert_identifier.in_(ids[start : start + _CHUNK]))
                .where(AlertActionRow.time <= until)
                .order_by(AlertActionRow.time, AlertActionRow.stored)
            )
            for row in session.scalars(query):
                by_alert[row.alert_identifier].append(from_row(AlertAction, row))
    return by_alert


def _incident_sop_steps(
    store: RecordStore, run: ExerciseRun, ids: list[str], until: datetime
) -> dict[str, frozenset[int]]:
    """SOP tasks done on incidents that hold an alert count for that alert, by position (an
    incident's checklist is the same steps as its alerts', numbered the same way)."""
    wanted = set(ids)
    with store.session() as session:
        query = select(IncidentRow).where(
            or_(IncidentRow.exercise_id == run.identifier, IncidentRow.opened >= run.started)
        )
        holding: dict[str, list[str]] = {}
        for row in session.scalars(query):
            incident = from_row(Incident, row)
            held = [a for a in incident.alert_ids if a in wanted]
            if held:
                holding[incident.identifier] = held
        if not holding:
            return {}
        tasks = session.scalars(
            select(IncidentTaskRow)
            .where(IncidentTaskRow.incident_identifier.in_(list(holding)))
            .where(IncidentTaskRow.kind == "sop")
            .where(IncidentTaskRow.done.is_not(None))
            .where(IncidentTaskRow.done <= until)
        )
        steps: dict[str, set[int]] = defaultdict(set)
        for row in tasks:
            task = from_row(IncidentTask, row)
            for alert_id in holding[task.incident_identifier]:
                steps[alert_id].add(task.position)
    return {alert_id: frozenset(s) for alert_id, s in steps.items()}
