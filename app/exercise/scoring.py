"""Scores a trainee's response to a scenario, expectation by expectation.

The rule, in full (trainers read this to know what a score means):

- Each expectation is worth ``10 x weight`` points, shared equally by the criteria it judges.
- **acknowledge**: every real alert must be seen (first acknowledge, start, resolve, dismiss,
  escalate, assign, shelve or SOP tick; see ``responses``). With ``acknowledge_within_s``:
  seen within the limit (scenario seconds from the alert's arrival) earns full points
  (``on_time``), later half (``late``). Without a limit, seen at all earns full points
  (``done``). Never seen: ``missed``, zero. A false alarm is judged on this only when the
  expectation sets a limit (its dismissal shows it was seen).
- **escalate** (``escalate`` true, or ``escalate_within_s`` set): escalated within the limit
  full points (``on_time``), later half (``late``), with no limit full points (``done``),
  never ``missed``. ``escalate`` false: escalating is ``wrongly_escalated`` (zero), not
  escalating ``done``.
- **dismiss** (``false_alarm``): dismissed and never escalated is ``correctly_dismissed``,
  full points; escalated ``wrongly_escalated``; left open ``missed``.
- **sop** (``sop_steps``): the fraction of the steps done (on the alert, or as SOP tasks of an
  incident holding it), capped at 1: ``done``, ``partial`` or ``missed``.
- A real alert that stands dismissed (not reopened) is ``wrongly_dismissed``: the whole
  expectation earns zero.
- While the run goes on, a criterion not yet met whose deadline has not passed (or that has no
  deadline) is ``pending`` (no points yet, still counted in the maximum). An alert that has not
  arrived is ``pending`` too; once the run has ended it is ``not_played`` and left out of the
  maximum (a condition's inject that never fired, a run stopped early).
- An expectation's status is its worst criterion's, in the order wrongly dismissed, wrongly
  escalated, missed, late, partial, pending, correctly dismissed, on time.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from app.exercise import score as s
from app.exercise.responses import AlertResponse, alert_identifier, gather
from app.exercise.score import CriterionScore, ExerciseScore, ItemScore
from app.exercise.timing import scenario_seconds
from app.model import ExerciseRun, utc_now
from app.scenario.model import ExpectationSpec, ScenarioSpec
from app.storage import RecordStore

POINTS_PER_WEIGHT = 10.0
LATE_FRACTION = 0.5
_WORST_FIRST = (
    s.WRONGLY_DISMISSED,
    s.WRONGLY_ESCALATED,
    s.MISSED,
    s.LATE,
    s.PARTIAL,
    s.PENDING,
    s.CORRECTLY_DISMISSED,
)
_FRACTION = {s.ON_TIME: 1.0, s.DONE: 1.0, s.CORRECTLY_DISMISSED: 1.0, s.LATE: LATE_FRACTION}

__all__ = ["ExerciseScore", "score_run"]


def score_run(
    spec: ScenarioSpec, run: ExerciseRun, store: RecordStore, now: datetime | None = None
) -> ExerciseScore:
    """The run's score as the store records it now (final once the run has ended)."""
    final = run.ended is not None
    until = run.ended if run.ended is not None else (now or utc_now())
    if not run.clock:  # a run stored before its clock started: scenario time = wall time
        run = replace(run, clock=(((run.origin or run.started).isoformat(), 0.0, 1.0),))
    scenario_now = scenario_seconds(run.clock, until)
    responses = gather(spec, run, store, spec.expectations, until)
    items = tuple(
        score_item(
            expectation,
            responses.get(expectation.inject, AlertResponse()),
            scenario_now,
            final,
            alert_identifier(spec, run, expectation.inject),
        )
        for expectation in spec.expectations
    )
    return ExerciseScore(
        run_id=run.identifier,
        scenario=spec.id,
        computed=until,
        scenario_s=round(scenario_now, 3),
        final=final,
        items=items,
        points=round(sum(i.points for i in items), 2),
        max_points=round(sum(i.max_points for i in items), 2),
    )


def score_item(
    expectation: ExpectationSpec,
    response: AlertResponse,
    scenario_now: float,
    final: bool,
    identifier: str | None = None,
) -> ItemScore:
    """One expectation judged against one response (see the module's rule)."""
    worth = POINTS_PER_WEIGHT * expectation.weight
    base = dict(
        inject=expectation.inject,
        weight=expectation.weight,
        false_alarm=expectation.false_alarm,
        alert_identifier=identifier,
    )
    if response.alert is None or response.arrived_s is None:
        status = s.NOT_PLAYED if final else s.PENDING
        return ItemScore(status=status, points=0.0, max_points=0.0 if final else worth, **base)
    judge = _Judge(response, scenario_now, final)
    names = _criteria(expectation)
    share = worth / len(names)
    criteria = tuple(judge.criterion(name, expectation, share) for name in names)
    wrongly_dismissed = not expectation.false_alarm and response.dismissed_s is not None
    status = s.WRONGLY_DISMISSED if wrongly_dismissed else _worst(c.status for c in criteria)
    points = 0.0 if wrongly_dismissed else round(sum(c.points for c in criteria), 2)
    return ItemScore(
        status=status,
        points=points,
        max_points=round(worth, 2),
        headline=response.alert.headline,
        arrived_s=_r(response.arrived_s),
        acknowledged_s=_since(response.seen_s, response.arrived_s),
        escalated_s=_since(response.escalated_s, response.arrived_s),
        dismissed_s=_since(response.dismissed_s, response.arrived_s),
        sop_done=len(response.sop_done),
        criteria=criteria,
        **base,
    )


def _criteria(expectation: ExpectationSpec) -> list[str]:
    names = []
    if not expectation.false_alarm or expectation.acknowledge_within_s is not None:
        names.append("acknowledge")
    if expectation.escalate is not None or expectation.escalate_within_s is not None:
        names.append("escalate")
    if expectation.false_alarm:
        names.append("dismiss")
    if expectation.sop_steps:
        names.append("sop")
    return names


class _Judge:
    """The criteria's rules for one response at one moment of the run."""

    def __init__(self, response: AlertResponse, scenario_now: float, final: bool) -> None:
        self.response = response
        self.now = scenario_now
        self.final = final

    def criterion(self, name: str, expectation: ExpectationSpec, share: float) -> CriterionScore:
        status, extra = getattr(self, f"_{name}")(expectation)
        fraction = extra.pop("fraction", _FRACTION.get(status, 0.0))
        return CriterionScore(
            name=name, status=status, points=round(share * fraction, 2), max_points=share, **extra
        )

    def _timed(self, at_s: float | None, limit_s: float | None) -> tuple[str, dict]:
        arrived = self.response.arrived_s or 0.0
        taken = _since(at_s, arrived)
        extra = {"taken_s": taken, "limit_s": limit_s}
        if taken is not None:
            return (s.DONE if limit_s is None else s.ON_TIME if taken <= limit_s else s.LATE), extra
        open_ended = limit_s is None or self.now < arrived + limit_s
        return (s.PENDING if not self.final and open_ended else s.MISSED), extra

    def _acknowledge(self, expectation: ExpectationSpec) -> tuple[str, dict]:
        return self._timed(self.response.seen_s, expectation.acknowledge_within_s)

    def _escalate(self, expectation: ExpectationSpec) -> tuple[str, dict]:
        if expectation.escalate is False:
            taken = _since(self.response.escalated_s, self.response.arrived_s)
            if taken is not None:
                return s.WRONGLY_ESCALATED, {"taken_s": taken}
            return (s.DONE if self.final else s.PENDING), {}
        return self._timed(self.response.escalated_s, expectation.escalate_within_s)

    def _dismiss(self, expectation: ExpectationSpec) -> tuple[str, dict]:
        taken = _since(self.response.dismissed_s, self.response.arrived_s)
        if self.response.escalated_s is not None:
            return s.WRONGLY_ESCALATED, {"taken_s": taken}
        if taken is not None:
            return s.CORRECTLY_DISMISSED, {"taken_s": taken}
        return (s.MISSED if self.final else s.PENDING), {}

    def _sop(self, expectation: ExpectationSpec) -> tuple[str, dict]:
        required = int(expectation.sop_steps or 0)
        done = min(len(self.response.sop_done), required)
        extra = {"done": done, "required": required, "fraction": done / required}
        if done >= required:
            return s.DONE, extra
        if not self.final:
            return s.PENDING, extra
        return (s.PARTIAL if done else s.MISSED), extra


def _worst(statuses) -> str:
    present = set(statuses)
    return next((status for status in _WORST_FIRST if status in present), s.ON_TIME)


def _since(at_s: float | None, arrived_s: float | None) -> float | None:
    if at_s is None or arrived_s is None:
        return None
    return _r(max(0.0, at_s - arrived_s))


def _r(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
