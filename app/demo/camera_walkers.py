"""Simulated people: where each one is at any moment, as a pure function of time.

A person follows a closed ``Route`` of keyframes (time, ground position): walking at constant
speed between them, standing still when two keyframes share a position. The route repeats with
its period, so the simulation runs forever, and because position depends only on the time (never
on a wall clock or on previous frames) frame *k* is always the same picture.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

STANDING_SPEED = 0.05


@dataclass(frozen=True, slots=True, eq=False)
class Route:
    """Keyframes ``times`` (from 0 to the period) and ``points`` (Nx2 metres), with the distance
    walked up to each keyframe and the direction faced on each segment."""

    times: np.ndarray
    points: np.ndarray
    walked: np.ndarray
    facing: np.ndarray
    offset: float = 0.0

    @property
    def period(self) -> float:
        return float(self.times[-1])

    def at(self, t: float) -> tuple[float, float, float, float, float, bool]:
        """(x, y, facing x, facing y, metres walked, walking?) at time ``t`` seconds."""
        tt = (t + self.offset) % self.period
        i = min(int(np.searchsorted(self.times, tt, side="right")) - 1, len(self.times) - 2)
        t0, t1 = self.times[i], self.times[i + 1]
        frac = 0.0 if t1 <= t0 else (tt - t0) / (t1 - t0)
        x, y = self.points[i] + (self.points[i + 1] - self.points[i]) * frac
        walked = self.walked[i] + (self.walked[i + 1] - self.walked[i]) * frac
        speed = (self.walked[i + 1] - self.walked[i]) / max(t1 - t0, 1e-9)
        fx, fy = self.facing[i]
        return float(x), float(y), float(fx), float(fy), float(walked), bool(speed > STANDING_SPEED)


class RouteBuilder:
    """Builds a closed route leg by leg: ``walk_to`` at a speed, ``wait`` or ``wait_until``."""

    def __init__(self, start: tuple[float, float]) -> None:
        self._times = [0.0]
        self._points = [np.asarray(start, dtype=np.float64)]

    @property
    def now(self) -> float:
        return self._times[-1]

    @property
    def here(self) -> np.ndarray:
        return self._points[-1]

    def walk_to(self, point: np.ndarray | tuple[float, float], speed: float) -> RouteBuilder:
        target = np.asarray(point, dtype=np.float64)
        distance = float(np.hypot(*(target - self.here)))
        self._times.append(self.now + distance / max(speed, 0.1))
        self._points.append(target)
        return self

    def wait(self, seconds: float) -> RouteBuilder:
        if seconds > 0:
            self._times.append(self.now + seconds)
            self._points.append(self.here.copy())
        return self

    def wait_until(self, when: float) -> RouteBuilder:
        return self.wait(when - self.now)

    def arrive_at(self, point: np.ndarray, when: float, speed: float) -> RouteBuilder:
        """Wait, then walk so as to reach ``point`` at ``when`` (later, hurrying, if it can't)."""
        distance = float(np.hypot(*(np.asarray(point) - self.here)))
        return self.wait_until(when - distance / speed).walk_to(point, speed)

    def pace(
        self, across: np.ndarray, amplitude: float, until: float, speed: float
    ) -> RouteBuilder:
        """Shuffle back and forth along ``across`` (a unit vector) around where one stands
        until ``until``, ending where one started. Someone waiting rarely stands stock-still,
        and a motion detector forgets a figure that does within seconds."""
        centre = self.here.copy()
        leg = amplitude / max(speed, 0.1)
        side = 1.0
        while self.now + 3.0 * leg + 1.0 < until:
            self.walk_to(centre + across * amplitude * side, speed).wait(0.6)
            side = -side
        return self.walk_to(centre, speed).wait_until(until)

    def close(self, speed: float, offset: float = 0.0, period: float | None = None) -> Route:
        """Walk back to the start (and wait there until ``period``) so the route loops."""
        self.walk_to(self._points[0], speed)
        if period is not None:
            self.wait_until(period)
        times, points = np.array(self._times), np.vstack(self._points)
        steps = np.hypot(*np.diff(points, axis=0).T)
        walked = np.concatenate([[0.0], np.cumsum(steps)])
        return Route(times, points, walked, _facing(points, steps), offset)


def _facing(points: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """Each segment's walking direction; a standing segment keeps the last one."""
    facing = np.zeros((len(steps), 2))
    last = np.array([0.0, -1.0])
    moves = [i for i, s in enumerate(steps) if s > 1e-6]
    if moves:
        first = moves[-1]  # standing at the start of the loop: facing as at the end
        last = (points[first + 1] - points[first]) / steps[first]
    for i, step in enumerate(steps):
        if step > 1e-6:
            last = (points[i + 1] - points[i]) / step
        facing[i] = last
    return facing


@dataclass(frozen=True, slots=True)
class Appearance:
    """How a person is drawn: height, build and BGR colours."""

    height_m: float
    build: float
    shirt: tuple[int, int, int]
    trousers: tuple[int, int, int]
    skin: tuple[int, int, int]
    hair: tuple[int, int, int]
    sway_phase: float


SHIRTS = (
    (60, 35, 25),
    (30, 30, 30),
    (45, 45, 185),
    (215, 215, 215),
    (110, 110, 110),
    (60, 120, 55),
    (40, 195, 225),
    (165, 100, 40),
    (30, 115, 225),
    (115, 50, 105),
    (140, 170, 195),
)
TROUSERS = ((115, 75, 45), (28, 28, 30), (60, 60, 62), (105, 145, 165), (90, 60, 40))
SKINS = ((140, 170, 220), (110, 145, 200), (80, 110, 160), (55, 75, 115), (125, 160, 215))
HAIR = ((25, 25, 30), (30, 50, 80), (70, 140, 190), (150, 150, 150), (20, 30, 45))


def random_appearance(rng: np.random.Generator) -> Appearance:
    def pick(options: tuple[tuple[int, int, int], ...]) -> tuple[int, int, int]:
        return options[int(rng.integers(len(options)))]

    return Appearance(
        height_m=float(rng.uniform(1.58, 1.93)),
        build=float(rng.uniform(0.9, 1.15)),
        shirt=pick(SHIRTS),
        trousers=pick(TROUSERS),
        skin=pick(SKINS),
        hair=pick(HAIR),
        sway_phase=float(rng.uniform(0.0, 2.0 * math.pi)),
    )


@dataclass(frozen=True, slots=True)
class Person:
    """One simulated person: what they do (``role``, for tests and the lead's notes), where
    they go and what they look like."""

    role: str
    route: Route
    look: Appearance
