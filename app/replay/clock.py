"""The simulated clock an exercise runs on, and its anchor log.

Scenario time is never slept through: it is computed from a monotonic clock, a speed and the
last anchor, so 60x costs nothing and a test drives it with a fake monotonic function. Every
change (start, pause, resume, speed, seek) writes an anchor ``[wall_iso, scenario_s, speed]``
(speed 0 while paused). The anchors are stored with the run (``ExerciseRun.clock``), so any
wall-clock time (an operator's action, a record's time) maps back to scenario time later,
without the clock: ``scenario_seconds`` and ``wall_time`` below.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from app.model import utc_now

MIN_SPEED = 0.5
MAX_SPEED = 60.0

Anchor = tuple[datetime, float, float]  # wall time, scenario seconds, speed (0 = paused)


def check_speed(speed: float) -> float:
    """``speed`` as a float, or ``ValueError`` saying the allowed range."""
    value = float(speed)
    if not MIN_SPEED <= value <= MAX_SPEED:
        raise ValueError(
            f"replay speed must be between {MIN_SPEED:g}x and {MAX_SPEED:g}x, not {value:g}x"
        )
    return value


def parse_anchors(anchors: Sequence[Sequence[object]]) -> list[Anchor]:
    """Stored anchors (``[wall_iso, scenario_s, speed]``) as datetimes and floats."""
    parsed = []
    for wall, scenario_s, speed in anchors:
        moment = wall if isinstance(wall, datetime) else datetime.fromisoformat(str(wall))
        parsed.append((moment, float(scenario_s), float(speed)))  # type: ignore[arg-type]
    return parsed


def scenario_at(anchors: Sequence[Anchor], moment: datetime) -> float:
    """Scenario seconds at wall time ``moment``: from the last anchor at or before it,
    ``scenario_s + speed * elapsed``. Before the first anchor the run had not started: its
    first scenario time."""
    if not anchors:
        raise ValueError("a clock with no anchors maps no time")
    chosen = anchors[0]
    for anchor in anchors:
        if anchor[0] > moment:
            break
        chosen = anchor
    wall, scenario_s, speed = chosen
    if moment <= wall:
        return scenario_s
    return scenario_s + speed * (moment - wall).total_seconds()


def wall_at(anchors: Sequence[Anchor], scenario_s: float) -> datetime:
    """The first wall time at which the run's scenario time reached ``scenario_s``. A time a
    forward seek jumped over maps to the seek's moment; a time not reached yet is extrapolated
    at the last anchor's speed (1x while paused)."""
    if not anchors:
        raise ValueError("a clock with no anchors maps no time")
    for index, (wall, start_s, speed) in enumerate(anchors):
        if start_s >= scenario_s:
            return wall
        following = anchors[index + 1] if index + 1 < len(anchors) else None
        if speed > 0:
            reached = wall + timedelta(seconds=(scenario_s - start_s) / speed)
            if following is None or reached <= following[0]:
                return reached
    wall, start_s, speed = anchors[-1]
    return wall + timedelta(seconds=(scenario_s - start_s) / (speed or 1.0))


def scenario_seconds(run_clock: Sequence[Sequence[object]], wall_time: datetime) -> float:
    """Scenario seconds of a wall-clock time, from a run's stored anchors."""
    return scenario_at(parse_anchors(run_clock), wall_time)


def wall_time(run_clock: Sequence[Sequence[object]], scenario_s: float) -> datetime:
    """The wall-clock time a run's records at ``scenario_s`` carry, from its stored anchors."""
    return wall_at(parse_anchors(run_clock), scenario_s)


class SimClock:
    """Scenario time from a monotonic clock. Not thread-safe: one owner (the exercise
    service's thread, or a test) drives it. ``limit_s`` (the scenario's end) is where time
    stops, so the anchors of a finished run never run past it."""

    def __init__(
        self,
        speed: float = 1.0,
        monotonic: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = utc_now,
        start_s: float = 0.0,
        paused: bool = False,
        limit_s: float | None = None,
    ) -> None:
        self._monotonic = monotonic
        self._limit_s = limit_s
        self._wall = wall
        self._speed = check_speed(speed)
        self._paused = paused
        self._log: list[Anchor] = []
        self._anchor(start_s)

    # --- reading ---------------------------------------------------------------------------
    @property
    def speed(self) -> float:
        """The speed the clock runs at when playing (kept while paused)."""
        return self._speed

    @property
    def paused(self) -> bool:
        return self._paused

    @property
    def anchors(self) -> tuple[tuple[str, float, float], ...]:
        """The anchor log as stored with the run: ``(wall_iso, scenario_s, speed)``."""
        return tuple((wall.isoformat(), s, v) for wall, s, v in self._log)

    def scenario_time(self) -> float:
        """Now, in scenario seconds; it stops at ``limit_s`` (the scenario's end) if given."""
        if self._paused:
            return self._start_s
        return self._clamped(self._start_s + self._speed * (self._monotonic() - self._started))

    def wall_time(self, scenario_s: float) -> datetime:
        """The wall time a record at ``scenario_s`` carries in this run (see ``wall_at``)."""
        return wall_at(self._log, scenario_s)

    # --- changing --------------------------------------------------------------------------
    def pause(self) -> None:
        if not self._paused:
            now_s = self.scenario_time()
            self._paused = True
            self._anchor(now_s)

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._anchor(self._start_s)

    def set_speed(self, speed: float) -> None:
        value = check_speed(speed)
        if value != self._speed:
            now_s = self.scenario_time()
            self._speed = value
            self._anchor(now_s)

    def seek(self, scenario_s: float) -> None:
        """Jumps to ``scenario_s`` within this run (forward: the records in between are stamped
        with this moment). Going back belongs to a new run: ``restart``."""
        self._anchor(self._clamped(max(0.0, float(scenario_s))))

    def restart(self, scenario_s: float = 0.0) -> None:
        """Starts a fresh anchor log at ``scenario_s`` (a new run: time never runs backwards
        within one)."""
        self._log.clear()
        self._anchor(self._clamped(max(0.0, float(scenario_s))))

    def _clamped(self, scenario_s: float) -> float:
        return scenario_s if self._limit_s is None else min(scenario_s, self._limit_s)

    def _anchor(self, scenario_s: float) -> None:
        self._started = self._monotonic()
        self._start_s = scenario_s
        self._log.append((self._wall(), scenario_s, 0.0 if self._paused else self._speed))
