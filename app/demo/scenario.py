"""The demo scenario file: timed injects, sensor series and patrol routes, turned into exercise
records.

Kept deliberately small; the trainer's full scenario format (conditions, every source) grows
from this in the replay issue. Times in the file are seconds from the scenario's start; each
loop of the scenario gets fresh identifiers so a long-running demo never overwrites itself,
except tracks: a track is one moving object, so every position of a route keeps its identifier.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from app.demo.routes import Route, RouteError, parse_route
from app.model import (
    Alert,
    Category,
    Certainty,
    Detection,
    GeoPoint,
    Observation,
    Post,
    Priority,
    Severity,
    Status,
    Track,
    Urgency,
)
from app.terminology import Terminology

# Every kind of record a scenario plays (injects, sensor series, routes), as ``kinds`` selects.
INJECT_KINDS = frozenset({"alert", "detection", "post", "observation", "track"})
# The source of tracks played straight into the core (the demo source); over REST the tool is.
TRACK_SOURCE = "demo"


class ScenarioError(ValueError):
    """The scenario file is unusable; the message names the file and the inject."""


@dataclass(frozen=True, slots=True)
class Inject:
    at_s: float
    kind: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Series:
    sensor_id: str
    quantity: str
    unit: str
    every_s: float
    values: tuple[float, ...]


def _steps(start_s: float, end_s: float, every_s: float) -> range:
    """The steps ``k`` whose time ``k * every_s`` lies in [start_s, end_s)."""
    return range(int(-(-start_s // every_s)), int(-(-end_s // every_s)))


@dataclass(frozen=True, slots=True)
class Scenario:
    title: str
    duration_s: float
    injects: tuple[Inject, ...]
    series: tuple[Series, ...]
    routes: tuple[Route, ...] = ()

    def injects_between(
        self, start_s: float, end_s: float, kinds: frozenset[str] = INJECT_KINDS
    ) -> Iterator[tuple[int, Inject]]:
        """Injects (with their index, stable across loops) due in [start_s, end_s)."""
        for index, inject in enumerate(self.injects):
            if start_s <= inject.at_s < end_s and inject.kind in kinds:
                yield index, inject

    @classmethod
    def load(cls, path: Path) -> Scenario:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            return cls.from_document(document)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ScenarioError(f"{path}: {exc}") from exc

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> Scenario:
        injects = tuple(
            sorted(
                (Inject(float(i["at"]), i["kind"], i["data"]) for i in document["injects"]),
                key=lambda inject: inject.at_s,
            )
        )
        unknown = {i.kind for i in injects} - set(_BUILDERS)
        if unknown:
            raise ScenarioError(f"unknown inject kind(s): {', '.join(sorted(unknown))}")
        series = tuple(
            Series(
                s["sensor_id"],
                s["quantity"],
                s["unit"],
                float(s["every_s"]),
                tuple(float(v) for v in s["values"]),
            )
            for s in document.get("series", [])
        )
        duration_s = float(document["duration_s"])
        try:
            routes = tuple(
                parse_route(raw, index, duration_s)
                for index, raw in enumerate(document.get("routes", []))
            )
        except RouteError as exc:
            raise ScenarioError(str(exc)) from exc
        seen: dict[str, str] = {}
        for route in routes:
            if route.identifier in seen:
                raise ScenarioError(
                    f"routes {seen[route.identifier]!r} and {route.callsign!r} would be the same"
                    f" track ({route.identifier}); give them distinct callsigns"
                )
            seen[route.identifier] = route.callsign
        return cls(document["title"], duration_s, injects, series, routes)

    def records_between(
        self,
        start_s: float,
        end_s: float,
        clock: Callable[[float], datetime],
        loop: int,
        terms: Terminology,
        kinds: frozenset[str] = INJECT_KINDS,
    ) -> Iterator[Any]:
        """Records whose scenario time lies in [start_s, end_s) of loop ``loop``; ``clock``
        turns a scenario time into the wall-clock time the record carries."""
        for index, inject in self.injects_between(start_s, end_s, kinds):
            when = clock(inject.at_s)
            yield _BUILDERS[inject.kind](inject.data, f"demo-{loop}-{index}", when, terms)
        if "observation" in kinds:
            yield from self._observations_between(start_s, end_s, clock, loop)
        if "track" in kinds:
            yield from self.tracks_between(start_s, end_s, clock, loop)

    def tracks_between(
        self, start_s: float, end_s: float, clock: Callable[[float], datetime], loop: int
    ) -> Iterator[Track]:
        """Each route's positions due in [start_s, end_s) of loop ``loop``, one per step."""
        for route in self.routes:
            until_s = self.duration_s if route.end_s is None else route.end_s
            lo, hi = max(start_s, route.start_s), min(end_s, until_s)
            # A route without an end walks on from where the previous loop left it.
            walked_s = loop * (until_s - route.start_s) if route.end_s is None else 0.0
            for step in _steps(lo - route.start_s, hi - route.start_s, route.every_s):
                at_s = route.start_s + step * route.every_s
                point, course = route.position(walked_s + step * route.every_s)
                yield Track(
                    identifier=route.identifier,
                    source_id=TRACK_SOURCE,
                    time=clock(at_s),
                    point=point,
                    cot_type=route.cot_type,
                    callsign=route.callsign,
                    course_deg=course,
                    speed_mps=route.speed_mps,
                    status=Status.EXERCISE,
                )

    def _observations_between(
        self, start_s: float, end_s: float, clock: Callable[[float], datetime], loop: int
    ) -> Iterator[Observation]:
        for series in self.series:
            for step in _steps(start_s, end_s, series.every_s):
                value = series.values[step % len(series.values)]
                yield Observation(
                    identifier=f"demo-{loop}-{series.sensor_id}-{step}",
                    sensor_id=series.sensor_id,
                    time=clock(step * series.every_s),
                    quantity=series.quantity,
                    value=value,
                    unit=series.unit,
                    status=Status.EXERCISE,
                )


def _point(data: dict[str, Any]) -> GeoPoint | None:
    location = data.get("point")
    return GeoPoint(*location) if location else None


def _alert(data: dict[str, Any], ident: str, when: datetime, terms: Terminology) -> Alert:
    kind = terms.event_type(data["event_type"])
    return Alert(
        identifier=ident,
        sender=data["sender"],
        source_tool=data["source_tool"],
        sent=when,
        status=Status.EXERCISE,
        event_type=kind.id,
        category=Category(data.get("category", kind.category)),
        headline=data["headline"],
        description=data.get("description", ""),
        urgency=Urgency(data.get("urgency", "Unknown")),
        severity=Severity(data.get("severity", "Unknown")),
        certainty=Certainty(data.get("certainty", "Unknown")),
        point=_point(data),
        priority=Priority(data.get("priority", kind.priority)),
        confidence=float(data.get("confidence", 1.0)),
    )


def _detection(data: dict[str, Any], ident: str, when: datetime, _t: Terminology) -> Detection:
    bbox = data.get("bbox")
    return Detection(
        identifier=ident,
        detector_id=data["detector_id"],
        source_id=data["source_id"],
        time=when,
        event_type=data["event_type"],
        label=data["label"],
        confidence=float(data["confidence"]),
        bbox=tuple(bbox) if bbox else None,
        point=_point(data),
        status=Status.EXERCISE,
    )


def _post(data: dict[str, Any], ident: str, when: datetime, _t: Terminology) -> Post:
    return Post(
        identifier=ident,
        platform=data["platform"],
        author=data["author"],
        text=data["text"],
        time=when,
        language=data.get("language"),
        point=_point(data),
        status=Status.EXERCISE,
    )


_BUILDERS = {"alert": _alert, "detection": _detection, "post": _post}
