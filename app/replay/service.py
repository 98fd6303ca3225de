"""The exercise service: runs one training scenario at a time, on its own thread.

The trainer's panel (or ``--scenario``) submits ``ExerciseCommand``s and returns at once. This
thread owns the simulated clock and the replay engine: it ticks the engine about ten times a
second of wall time, keeps the ``ExerciseRun`` (clock anchors, end, score) in the store,
publishes an ``ExerciseStatus`` about twice a second and scores the run every few seconds.
The simulated tools are served over HTTP and pulled by the console's ordinary connectors, so
the console ingests an exercise exactly as it ingests live data.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import select

from app.hub import Hub
from app.model import ExerciseRun, utc_now
from app.replay.clock import SimClock
from app.replay.engine import ReplayEngine, new_run_id
from app.replay.messages import ExerciseCommand, ExerciseStatus, ScenarioChoices
from app.replay.scoring import RunScorer, score_summary
from app.replay.tools import ExerciseConnectors, ExerciseTools, connector_ids
from app.scenario.loader import available_scenarios, load_scenario
from app.scenario.model import ScenarioSpec
from app.storage import RecordStore, StorageError
from app.storage.orm import AlertActionRow

log = logging.getLogger(__name__)

TICK_S = 0.1
STATUS_EVERY_S = 0.5
SCORE_EVERY_S = 3.0


@dataclass(frozen=True, slots=True)
class _Start:
    spec: ScenarioSpec
    speed: float | None
    trainee: str | None


@dataclass
class _Exercise:
    """One running exercise: what the service thread alone touches."""

    spec: ScenarioSpec
    tools: ExerciseTools
    clock: SimClock
    engine: ReplayEngine
    run: ExerciseRun
    trainee: str | None
    score: dict[str, Any] | None = None
    next_score: float = 0.0
    # Paused by the service at the scenario's end (not by the trainer): going back plays on.
    paused_at_end: bool = False


def _load(name_or_path: str | Path) -> ScenarioSpec:
    return load_scenario(name_or_path)


def _bundled() -> list[tuple[str, str]]:
    return available_scenarios()


class ExerciseService:
    def __init__(
        self,
        store: RecordStore,
        hub: Hub,
        connectors: ExerciseConnectors,
        default_speed: float = 1.0,
        load: Callable[[str | Path], ScenarioSpec] = _load,
        monotonic: Callable[[], float] = time.monotonic,
        before_start: Callable[[], None] | None = None,
    ) -> None:
        self.store = store
        self.hub = hub
        self.connectors = connectors
        self.default_speed = default_speed
        self.load = load
        self.monotonic = monotonic
        # Called (on this service's thread) before an exercise starts: the core stops its demo.
        self.before_start = before_start
        self.scorer = RunScorer(store)
        self.status = ExerciseStatus()
        self.final_score: dict[str, Any] | None = None
        self._exercise: _Exercise | None = None
        self._jobs: queue.Queue[object] = queue.Queue()
        self._stop = threading.Event()
        self._next_status = 0.0
        self._thread = threading.Thread(target=self._run, name="exercise-service", daemon=True)

    # --- any thread ------------------------------------------------------------------------
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stops the thread, then the exercise (connectors, tools), scoring it one last time."""
        self._stop.set()
        self._jobs.put(None)
        if self._thread.ident is not None:
            self._thread.join(5)
        self._end_exercise()

    def submit(self, command: ExerciseCommand) -> None:
        self._jobs.put(command)

    def start_exercise(
        self, spec: ScenarioSpec, speed: float | None = None, trainee: str | None = None
    ) -> None:
        """Starts ``spec`` (stopping any exercise running); returns at once."""
        self._jobs.put(_Start(spec, speed, trainee))

    # --- the service thread ----------------------------------------------------------------
    def _run(self) -> None:
        self.hub.publish(ScenarioChoices(tuple(_bundled())))
        while not self._stop.is_set():
            try:
                job = self._jobs.get(timeout=TICK_S)
            except queue.Empty:
                job = None
            try:
                if isinstance(job, _Start):
                    self._start(job)
                elif isinstance(job, ExerciseCommand):
                    self._command(job)
                self._tick()
            except StorageError as exc:
                log.error("Exercise: %s", exc)
            except Exception as exc:
                # A fault in one scenario must not leave a half-running exercise behind.
                log.exception("Exercise failed; it is stopped")
                self._fail(str(exc))

    def _fail(self, message: str) -> None:
        try:
            self._end_exercise()
        except Exception:
            log.exception("Exercise could not be stopped cleanly")
            self._exercise = None
        self._publish_status(problem=message)

    def _command(self, command: ExerciseCommand) -> None:
        if command.action == "start":
            self._start_named(command)
            return
        exercise = self._exercise
        if exercise is None:
            return
        if command.action == "stop":
            self._end_exercise()
            return
        try:
            _apply(exercise, command)
        except (TypeError, ValueError) as exc:
            self._publish_status(problem=str(exc))
            return
        exercise.engine.advance()
        self._save_clock(exercise)
        self._publish_status()

    def _start_named(self, command: ExerciseCommand) -> None:
        try:
            spec = self.load(str(command.value or ""))
        except (OSError, ValueError) as exc:  # ScenarioError is a ValueError
            log.error("Exercise not started: %s", exc)
            self._publish_status(problem=str(exc))
            return
        self._start(_Start(spec, command.speed, command.trainee))

    def _start(self, job: _Start) -> None:
        self._end_exercise()
        if self.before_start is not None:
            self.before_start()
        spec = job.spec
        try:
            clock = SimClock(job.speed or self.default_speed, limit_s=spec.duration_s)
        except ValueError as exc:
            self._publish_status(problem=str(exc))
            return
        tools = ExerciseTools(spec).start()
        ids = connector_ids(list(spec.tools), self.connectors.taken())
        run_id = new_run_id()
        engine = ReplayEngine(
            spec,
            tools.tools,
            clock,
            run_id,
            self._actions_on,
            urls=tools.urls,
            connector_ids=ids,
            on_new_run=self._on_new_run,
        )
        run = self._new_run(spec, run_id, clock, job.trainee)
        self._exercise = _Exercise(spec, tools, clock, engine, run, job.trainee)
        self.connectors.start(tools.connector_configs(ids))
        log.info(
            "Exercise %s (%s) started: run %s at %gx", spec.id, spec.title, run_id, clock.speed
        )
        self._tick()
        self._publish_status()

    def _new_run(
        self, spec: ScenarioSpec, run_id: str, clock: SimClock, trainee: str | None
    ) -> ExerciseRun:
        run = ExerciseRun(
            identifier=run_id,
            scenario=spec.id,
            title=spec.title,
            started=utc_now(),
            trainee=trainee,
            origin=clock.wall_time(0.0),
            clock=clock.anchors,
        )
        self.store.save([run])
        return run

    def _on_new_run(self, old_id: str, new_id: str, old_clock: tuple) -> None:  # type: ignore[type-arg]
        """Going back started a new run: the old one ends (scored as it stood), the new one
        is stored."""
        exercise = self._exercise
        if exercise is None:
            return
        old = replace(exercise.run, clock=old_clock, ended=exercise.run.ended or utc_now())
        old = replace(old, score=self.scorer.score(exercise.spec, old))
        self.store.save([old])
        exercise.run = self._new_run(exercise.spec, new_id, exercise.clock, exercise.trainee)
        exercise.score, exercise.next_score = None, 0.0

    def _tick(self) -> None:
        exercise = self._exercise
        if exercise is None:
            return
        was_finished = exercise.run.ended is not None
        exercise.engine.advance()
        now = self.monotonic()
        if exercise.engine.finished and not was_finished:
            exercise.paused_at_end = not exercise.clock.paused
            exercise.clock.pause()
            exercise.run = replace(exercise.run, ended=utc_now())
            self._save_clock(exercise)
            self._score(exercise)
            log.info(
                "Exercise %s: run %s reached its end", exercise.spec.id, exercise.run.identifier
            )
            self._publish_status()
            return
        if not was_finished and now >= exercise.next_score:
            self._score(exercise)
        self._save_clock(exercise)
        if now >= self._next_status:
            self._publish_status()

    def _score(self, exercise: _Exercise) -> None:
        exercise.next_score = self.monotonic() + SCORE_EVERY_S
        run = replace(exercise.run, clock=exercise.clock.anchors)
        document = self.scorer.score(exercise.spec, run)
        if document is not None:
            exercise.score = document
            exercise.run = replace(run, score=document)
            self.store.save([exercise.run])

    def _save_clock(self, exercise: _Exercise) -> None:
        anchors = exercise.clock.anchors
        if anchors != exercise.run.clock:
            exercise.run = replace(exercise.run, clock=anchors)
            self.store.save([exercise.run])

    def _end_exercise(self) -> None:
        """Stops the running exercise: its connectors, its tools; the run ends and is scored."""
        exercise, self._exercise = self._exercise, None
        if exercise is None:
            return
        self.connectors.stop()
        exercise.tools.stop()
        run = replace(exercise.run, clock=exercise.clock.anchors)
        run = replace(run, ended=run.ended or utc_now())
        score = self.scorer.score(exercise.spec, run)
        self.final_score = score or exercise.score
        try:
            self.store.save([replace(run, score=self.final_score)])
        except StorageError as exc:
            log.error("Exercise %s: the run's end was not stored: %s", exercise.spec.id, exc)
        log.info(
            "Exercise %s stopped: run %s, %s",
            exercise.spec.id,
            run.identifier,
            score_summary(self.final_score),
        )
        self.status = replace(self.status, running=False, score=self.final_score)
        self.hub.publish(self.status)

    def _actions_on(self, identifier: str) -> set[str]:
        """The actions operators took on a stored alert (for conditions)."""
        query = select(AlertActionRow.action).where(AlertActionRow.alert_identifier == identifier)
        with self.store.session() as session:
            return set(session.scalars(query))

    def _publish_status(self, problem: str = "") -> None:
        self._next_status = self.monotonic() + STATUS_EVERY_S
        exercise = self._exercise
        if exercise is None:
            self.status = replace(self.status, running=False, problem=problem)
        else:
            engine = exercise.engine
            self.status = ExerciseStatus(
                run_id=engine.run_id,
                scenario_id=exercise.spec.id,
                title=exercise.spec.title,
                scenario_s=max(0.0, engine.played_s),  # what the tools have served so far
                duration_s=exercise.spec.duration_s,
                speed=exercise.clock.speed,
                paused=exercise.clock.paused,
                injects_played=engine.injects_played,
                injects_total=len(exercise.spec.injects),
                running=True,
                finished=engine.finished,
                score=exercise.score,
                problem=problem,
            )
        self.hub.publish(self.status)


def _apply(exercise: _Exercise, command: ExerciseCommand) -> None:
    """A play, pause, speed, seek or restart on the running exercise; ``ValueError`` (a speed
    out of range, a value that is no number) is reported back to the panel."""
    clock, engine = exercise.clock, exercise.engine
    if command.action == "play":
        clock.resume()
    elif command.action == "pause":
        clock.pause()
    elif command.action == "speed":
        clock.set_speed(float(command.value))  # type: ignore[arg-type]
    elif command.action == "seek":
        engine.seek(float(command.value))  # type: ignore[arg-type]
    elif command.action == "restart":
        engine.restart()
    if command.action in ("seek", "restart") and exercise.paused_at_end and not engine.finished:
        exercise.paused_at_end = False
        clock.resume()
    elif command.action in ("play", "pause"):
        exercise.paused_at_end = False
