"""Scene rules: what tracked people do in the picture, turned into alert-worthy detections.

Everything is judged at a person's feet (the bottom centre of the box), because that is where
the person is on the ground: a head above a restricted zone's edge is not an intrusion. Only
confirmed tracks (detections with a ``track_id``) count, so a one-frame false detection never
raises anything. The rules:

- ``person_in_restricted_zone``: a track's feet are inside a restricted or VIP zone; once per
  track and zone (walking out and back in is the same incident).
- ``line_crossing``: a track's feet pass from one side of a line segment to the other, in the
  allowed direction ("left"/"right": the side arrived on, looking from ``a`` towards ``b`` on
  the picture). A dead band around the line keeps a person standing on it from crossing on
  every frame.
- ``loitering``: a track stays within a small radius for ``loiter_s``; once per track.
- ``crowd_density``: the tracked people in a crowd zone reach its limit; raised once, and again
  only after the count has fallen below ``limit * rearm_ratio`` (hysteresis: a crowd at the
  limit must not alert on every frame).

Time is the frames' time, never the clock, so a replayed or generated video behaves like a live
one. Distances are in pixels scaled by the person's box height, so that "a small radius" means
about the same near the camera and far from it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from app.model import Detection
from detectors.video.frames import Frame, make_detection
from detectors.video.ground import crosses, distance, inside, side_of
from detectors.video.params import check, number_in, whole_in
from detectors.video.tracker import foot_point

DETECTOR_ID = "scene"
INTRUSION_KINDS = frozenset({"restricted", "vip"})
CROWD_KINDS = frozenset({"crowd"})
DIRECTIONS = ("any", "left", "right")

Point = tuple[float, float]


@dataclass(frozen=True, slots=True)
class SceneZone:
    """A zone in the picture: ``polygon`` in normalised image coordinates (0..1, y down);
    ``kind`` as the map draws zones (``restricted``, ``crowd``, ``vip``, ``venue``)."""

    identifier: str
    name: str
    kind: str
    polygon: tuple[Point, ...]

    def __post_init__(self) -> None:
        if len(self.polygon) < 3:
            raise ValueError(f"zone {self.identifier!r} needs at least 3 points in the picture")


@dataclass(frozen=True, slots=True)
class SceneLine:
    """A counting line from ``a`` to ``b`` (normalised image coordinates). ``direction``:
    ``any``, or the side a crossing must arrive on, ``left``/``right`` of a→b as drawn."""

    identifier: str
    name: str
    a: Point
    b: Point
    direction: str = "any"

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"line {self.identifier!r}: direction must be one of {DIRECTIONS}")
        if self.a == self.b:
            raise ValueError(f"line {self.identifier!r} needs two different ends")


def _limits(value: Any) -> bool:
    return isinstance(value, Mapping) and all(
        isinstance(k, str) and whole_in(1, 1_000_000)(v) for k, v in value.items()
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class SceneParams:
    """``loiter_s``: seconds a track must stay put to loiter; ``loiter_radius``: how far it may
    wander meanwhile, in its own box heights; ``crowd_limit``: people that make a crowd zone
    full, unless ``crowd_limits`` (zone id -> people) says otherwise; ``rearm_ratio``: the
    share of the limit the count must fall below before the zone can alert again;
    ``line_margin``: the dead band on each side of a line, in box heights; ``forget_s``:
    seconds after which an unseen track's state is dropped."""

    loiter_s: float = 60.0
    loiter_radius: float = 1.0
    crowd_limit: int = 8
    crowd_limits: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))
    rearm_ratio: float = 0.8
    line_margin: float = 0.1
    forget_s: float = 30.0

    def __post_init__(self) -> None:
        check(
            self,
            {
                "loiter_s": (number_in(0, 86_400, low_open=True), "seconds above 0"),
                "loiter_radius": (number_in(0, 100, low_open=True), "box heights above 0"),
                "crowd_limit": (whole_in(1, 1_000_000), "a whole number of people >= 1"),
                "crowd_limits": (_limits, "a mapping of zone ids to whole numbers >= 1"),
                "rearm_ratio": (number_in(0, 1, low_open=True), "a fraction above 0 up to 1"),
                "line_margin": (number_in(0, 10), "box heights from 0 to 10"),
                "forget_s": (number_in(0, 86_400, low_open=True), "seconds above 0"),
            },
        )
        # A read-only copy: the caller's dict changing later must not change the record.
        object.__setattr__(self, "crowd_limits", MappingProxyType(dict(self.crowd_limits)))

    def limit_of(self, zone: SceneZone) -> int:
        return self.crowd_limits.get(zone.identifier, self.crowd_limit)


@dataclass(slots=True)
class _TrackMemory:
    """What the rules remember of one track: the zones it entered, its side of each line
    (and where it last stood clear of the line), and where it has stood still since when."""

    last_seen: datetime
    entered: set[str] = field(default_factory=set)
    sides: dict[str, tuple[int, Point]] = field(default_factory=dict)
    anchor: tuple[datetime, Point] | None = None
    loitered: bool = False


@dataclass(frozen=True, slots=True)
class _Person:
    """A tracked detection with its feet: ``spot`` normalised, ``feet`` in pixels."""

    detection: Detection
    track_id: str
    bbox: tuple[float, float, float, float]
    spot: Point
    feet: Point
    height: float  # of the box, in pixels


class SceneRules:
    """The rules of one camera's scene; ``step`` takes each analysed frame's tracked
    detections and returns the events they raise (often none)."""

    def __init__(
        self,
        zones: Sequence[SceneZone] = (),
        lines: Sequence[SceneLine] = (),
        params: SceneParams | None = None,
        detector_id: str = DETECTOR_ID,
    ) -> None:
        self.zones = tuple(zones)
        self.lines = tuple(lines)
        self.params = params or SceneParams()
        self.detector_id = detector_id
        self._tracks: dict[str, _TrackMemory] = {}
        self._crowd_armed = {zone.identifier: True for zone in self.zones}

    def step(self, frame: Frame, tracked: Sequence[Detection]) -> list[Detection]:
        people = _people(frame, tracked)
        events: list[Detection] = []
        for person in people:
            memory = self._tracks.setdefault(person.track_id, _TrackMemory(frame.time))
            memory.last_seen = frame.time
            events += self._intrusions(frame, person, memory)
            events += self._crossings(frame, person, memory)
            events += self._loitering(frame, person, memory)
        events += self._crowds(frame, people)
        self._forget(frame.time)
        return events

    def _intrusions(self, frame: Frame, person: _Person, memory: _TrackMemory) -> list[Detection]:
        found = []
        for zone in self.zones:
            if zone.kind not in INTRUSION_KINDS or zone.identifier in memory.entered:
                continue
            if inside(person.spot, zone.polygon):
                memory.entered.add(zone.identifier)
                found.append(self._event(frame, "person_in_restricted_zone", zone.name, person))
        return found

    def _crossings(self, frame: Frame, person: _Person, memory: _TrackMemory) -> list[Detection]:
        found = []
        for line in self.lines:
            a, b = _pixels(frame, line.a), _pixels(frame, line.b)
            side = side_of(a, b, person.feet, self.params.line_margin * person.height)
            if side == 0:
                continue
            before = memory.sides.get(line.identifier)
            memory.sides[line.identifier] = (side, person.feet)
            if before is None or before[0] == side or not crosses(a, b, before[1], person.feet):
                continue
            arrived = "left" if side < 0 else "right"
            if line.direction in ("any", arrived):
                found.append(self._event(frame, "line_crossing", line.name, person))
        return found

    def _loitering(self, frame: Frame, person: _Person, memory: _TrackMemory) -> list[Detection]:
        """Standing still: the track has not left a circle around where it stopped."""
        if memory.loitered:
            return []
        radius = self.params.loiter_radius * person.height
        if memory.anchor is None or distance(memory.anchor[1], person.feet) > radius:
            memory.anchor = (frame.time, person.feet)
            return []
        if (frame.time - memory.anchor[0]).total_seconds() < self.params.loiter_s:
            return []
        memory.loitered = True
        return [self._event(frame, "loitering", person.detection.label, person)]

    def _crowds(self, frame: Frame, people: Sequence[_Person]) -> list[Detection]:
        found = []
        for zone in self.zones:
            if zone.kind not in CROWD_KINDS:
                continue
            within = [person for person in people if inside(person.spot, zone.polygon)]
            limit = self.params.limit_of(zone)
            if self._crowd_armed[zone.identifier] and len(within) >= limit:
                self._crowd_armed[zone.identifier] = False
                found.append(self._crowd_event(frame, zone, within))
            elif len(within) < limit * self.params.rearm_ratio:
                self._crowd_armed[zone.identifier] = True
        return found

    def _forget(self, now: datetime) -> None:
        horizon = now - timedelta(seconds=self.params.forget_s)
        for track_id in [t for t, m in self._tracks.items() if m.last_seen < horizon]:
            del self._tracks[track_id]

    def _event(self, frame: Frame, event_type: str, label: str, person: _Person) -> Detection:
        confidence = person.detection.confidence
        return make_detection(
            frame, self.detector_id, event_type, label, confidence, person.bbox, person.track_id
        )

    def _crowd_event(self, frame: Frame, zone: SceneZone, within: list[_Person]) -> Detection:
        """One event for the whole crowd: the box around all of it, the mean confidence."""
        x0 = min(p.bbox[0] for p in within)
        y0 = min(p.bbox[1] for p in within)
        x1 = max(p.bbox[0] + p.bbox[2] for p in within)
        y1 = max(p.bbox[1] + p.bbox[3] for p in within)
        confidence = sum(p.detection.confidence for p in within) / len(within)
        bbox = (x0, y0, x1 - x0, y1 - y0)
        return make_detection(frame, self.detector_id, "crowd_density", zone.name, confidence, bbox)


def _people(frame: Frame, tracked: Sequence[Detection]) -> list[_Person]:
    people = []
    for detection in tracked:
        if detection.track_id is None or detection.bbox is None:
            continue
        spot = foot_point(detection.bbox)
        height = max(detection.bbox[3] * frame.height, 1.0)
        feet = _pixels(frame, spot)
        people.append(_Person(detection, detection.track_id, detection.bbox, spot, feet, height))
    return people


def _pixels(frame: Frame, point: Point) -> Point:
    return (point[0] * frame.width, point[1] * frame.height)
