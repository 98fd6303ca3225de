"""Who is on the simulated square and what they do, so the demo's real analytics have something
to find: passers-by crossing each camera's view, groups that gather in the crowd zones for a
while (crowd density), people who walk into zones they must not enter (intrusion), and a few who
stand about for minutes (loitering).

Everything is drawn from one seeded random generator, so the same seed is the same afternoon.
Times are seconds since the simulation started; each group's plan repeats with its period.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from app.demo.camera_places import DETECTABLE_PX, Places, demo_places, in_view, person_px
from app.demo.camera_pose import CameraPose
from app.demo.camera_walkers import Person, RouteBuilder, random_appearance

DEFAULT_SEED = 5
CROWD_SIZE = 12
CROWD_PERIOD_S = 150.0
CROWD_ARRIVE_S = 15.0
CROWD_STAY_S = 70.0
INTRUDE_PERIOD_S = 120.0
CROSSERS_PER_CAMERA = 2
SITE_CROSSERS = 4
PACE_M = 0.15
LOITER_PACE_M = 0.5


def _speed(rng: np.random.Generator) -> float:
    return float(rng.uniform(1.05, 1.5))


def _near(rng: np.random.Generator, point: np.ndarray, low: float, high: float) -> np.ndarray:
    angle, radius = rng.uniform(0.0, 2.0 * np.pi), rng.uniform(low, high)
    return point + radius * np.array([np.cos(angle), np.sin(angle)])


def _in_camera(
    rng: np.random.Generator, pose: CameraPose, places: Places, tall: bool = False
) -> np.ndarray:
    """A random allowed ground point well inside a camera's picture, at least a pace away
    from any restricted zone; with ``tall``, preferably one where a person is drawn big enough
    for the detectors (else the biggest found)."""
    best, best_size = None, -1.0
    for _ in range(100):
        point = in_view(pose, rng.uniform(0.12, 0.88), rng.uniform(0.5, 0.97 if tall else 0.92))
        if not _clear(places, point):
            continue
        size = float(person_px(pose, point[None, :])[0])
        if not tall or size >= DETECTABLE_PX:
            return point
        if size > best_size:
            best, best_size = point, size
    return best if best is not None else in_view(pose, 0.5, 0.9)


def _clear(places: Places, point: np.ndarray, margin: float = 1.0) -> bool:
    """Whether ``point`` and everything within ``margin`` of it is outside restricted zones."""
    around = point + margin * np.array([(0, 0), (1, 0), (-1, 0), (0, 1), (0, -1)])
    return not places.forbidden(around).any()


def _allowed_near(
    rng: np.random.Generator,
    places: Places,
    centre: np.ndarray,
    low: float,
    high: float,
    start: np.ndarray | None = None,
) -> np.ndarray:
    """A point ``low``..``high`` metres from ``centre``, clear of restricted zones, and
    reachable in a straight line from ``start`` without crossing one."""
    origin = centre if start is None else start
    for _ in range(50):
        point = _near(rng, centre, low, high)
        if _clear(places, point) and places.path_allowed([origin, point]):
            return point
    return origin


def _stroll(
    b: RouteBuilder,
    rng: np.random.Generator,
    places: Places,
    until: float,
    target: np.ndarray,
    speed: float,
) -> None:
    """Mill about near where one is, then set off to reach ``target`` at ``until``."""
    anchor = b.here.copy()
    while until - b.now - np.hypot(*(target - b.here)) / speed > 25.0:
        b.walk_to(_allowed_near(rng, places, anchor, 2.0, 7.0, start=b.here), speed * 0.8)
        b.wait(rng.uniform(1.0, 4.0))
    b.arrive_at(target, until, speed)


def crowd(rng: np.random.Generator, places: Places, ring: np.ndarray, shift: float) -> list[Person]:
    """A group that meets in a crowd zone for ``CROWD_STAY_S`` every ``CROWD_PERIOD_S``,
    spread so that the camera sees each of them (see ``Places.crowd_places``)."""
    camera, spots = places.crowd_places(ring, CROWD_SIZE, PACE_M)
    across = camera.axes[0][:2]
    people = []
    for place in spots:
        home, speed = _in_camera(rng, camera, places), _speed(rng)
        b = RouteBuilder(home)
        _stroll(b, rng, places, shift + CROWD_ARRIVE_S + rng.uniform(0, 12), place, speed)
        leave = shift + CROWD_ARRIVE_S + CROWD_STAY_S + rng.uniform(0, 12)
        back = np.hypot(*(home - place)) / speed  # home again before the period ends
        b.pace(across, PACE_M, min(leave, CROWD_PERIOD_S - back - 3.0), 0.35)
        _stroll(b, rng, places, CROWD_PERIOD_S - 1.0, home, speed)
        route = b.close(speed, period=CROWD_PERIOD_S)
        people.append(Person("crowd", route, random_appearance(rng)))
    return people


def intruder(rng: np.random.Generator, places: Places, ring: np.ndarray, when: float) -> Person:
    """Someone who, every ``INTRUDE_PERIOD_S``, walks into a restricted zone and stays a while."""
    spot = places.best_spot(ring, margin=2.0)
    camera = places.best_camera(spot)
    outside = _nearest_allowed(places, camera, spot)
    speed = _speed(rng)
    b = RouteBuilder(outside)
    _stroll(b, rng, places, when, spot, speed)
    back = np.hypot(*(outside - spot)) / speed
    b.pace(camera.axes[0][:2], PACE_M, min(b.now + 20.0, INTRUDE_PERIOD_S - back - 3.0), 0.4)
    b.walk_to(outside, speed)
    _stroll(b, rng, places, INTRUDE_PERIOD_S - 1.0, outside, speed)
    route = b.close(speed, period=INTRUDE_PERIOD_S)
    return Person("intruder", route, random_appearance(rng))


def _nearest_allowed(places: Places, pose: CameraPose, spot: np.ndarray) -> np.ndarray:
    """The point in a camera's picture, clear of restricted zones by a few metres, that is
    closest to ``spot``: where an intruder waits before stepping in."""
    grid = [
        in_view(pose, x, y) for x in np.linspace(0.1, 0.9, 9) for y in np.linspace(0.4, 0.95, 8)
    ]
    points = np.array([p for p in grid if not np.isnan(p).any()])
    clear = ~places.forbidden(points)
    for offset in ((4, 0), (-4, 0), (0, 4), (0, -4)):
        clear &= ~places.forbidden(points + np.array(offset))
    points = points[clear] if clear.any() else points
    return points[int(np.argmin(np.hypot(*(points - spot).T)))]


def loiterer(rng: np.random.Generator, places: Places, pose: CameraPose) -> Person:
    """Someone who hangs about one spot for over a minute (shuffling, as people waiting do),
    moves a few metres, and hangs about again."""
    first = _in_camera(rng, pose, places, tall=True)
    second = _allowed_near(rng, places, first, 5.0, 8.0)
    across = pose.axes[0][:2]
    b = RouteBuilder(first).pace(across, LOITER_PACE_M, rng.uniform(75.0, 95.0), 0.4)
    b.walk_to(second, 0.9)
    b.pace(across, LOITER_PACE_M, b.now + rng.uniform(45.0, 60.0), 0.4)
    route = b.close(0.9, offset=float(rng.uniform(0.0, 60.0)))
    return Person("loiterer", route, random_appearance(rng))


def crosser(rng: np.random.Generator, places: Places, stops: list[np.ndarray]) -> Person | None:
    """A passer-by walking a loop through ``stops``; None if the loop enters a restricted zone."""
    if not places.path_allowed([*stops, stops[0]]):
        return None
    speed = _speed(rng)
    b = RouteBuilder(stops[0])
    for stop in stops[1:]:
        b.walk_to(stop, speed).wait(rng.uniform(0.0, 3.0))
    route = b.close(speed, offset=float(rng.uniform(0.0, 200.0)))
    return Person("crosser", route, random_appearance(rng))


def _camera_loop(rng: np.random.Generator, pose: CameraPose) -> list[np.ndarray]:
    """Off the picture on the left, across, off on the right, and back by another way."""
    return [
        in_view(pose, -0.2, rng.uniform(0.45, 0.95)),
        in_view(pose, 1.2, rng.uniform(0.45, 0.95)),
        in_view(pose, rng.uniform(0.2, 0.8), 1.15),
    ]


def _site_loop(rng: np.random.Generator, places: Places) -> list[np.ndarray]:
    """From one camera's view to another's: the long walks across the square."""
    a, b = rng.choice(len(places.poses), size=2, replace=False)
    return [_in_camera(rng, places.poses[a], places), _in_camera(rng, places.poses[b], places)]


@cache
def demo_people(seed: int = DEFAULT_SEED) -> tuple[Person, ...]:
    """Everyone on the simulated square (a few tens of people) for a seed."""
    rng = np.random.default_rng(seed)
    places = demo_places()
    people: list[Person] = []
    gathering = [r for z, r in zip(places.zones, places.rings, strict=True) if not z.restricted]
    for k, ring in enumerate(gathering[:2]):
        people += crowd(rng, places, ring, shift=k * 45.0)
    restricted = [r for z, r in zip(places.zones, places.rings, strict=True) if z.restricted]
    for k, ring in enumerate(restricted[:2]):
        people += [intruder(rng, places, ring, 25.0 + 15 * k), intruder(rng, places, ring, 80.0)]
    people += [loiterer(rng, places, pose) for pose in places.poses]
    loops = [_camera_loop(rng, p) for p in places.poses for _ in range(CROSSERS_PER_CAMERA)]
    loops += [_site_loop(rng, places) for _ in range(SITE_CROSSERS)]
    for stops in loops:
        for _ in range(20):
            person = crosser(rng, places, stops)
            if person is not None:
                people.append(person)
                break
            stops = [_allowed_near(rng, places, s, 0.0, 15.0) for s in stops]
    return tuple(people)
