"""What an after-action report is made of, gathered once and then only formatted.

Collecting (``collect``) reads the store; everything after it (timeline, charts, map, HTML,
PDF) works on this snapshot, so a report is consistent even while the console keeps writing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.exercise.score import ExerciseScore
from app.model import (
    Alert,
    AlertAction,
    Bookmark,
    Camera,
    Detection,
    ExerciseRun,
    GeoPoint,
    Incident,
    IncidentEntry,
    IncidentTask,
    Observation,
    Post,
    Sensor,
)
from app.scenario.model import ScenarioSpec


class ReportError(Exception):
    """The report cannot be made; the message is meant for the person who asked for it."""


class ReportNotFoundError(ReportError):
    """The exercise run or incident asked for is not in the store."""


class ReportWriteError(ReportError):
    """The report was made but cannot be written where it was asked to go."""


@dataclass(frozen=True, slots=True)
class MapShape:
    """A polygon of a site layer (venue or zone): name, kind and one closed ring."""

    name: str
    kind: str
    ring: tuple[GeoPoint, ...]
    colour: str | None = None


@dataclass(frozen=True, slots=True)
class SiteLayers:
    shapes: tuple[MapShape, ...] = ()
    cameras: tuple[Camera, ...] = ()
    sensors: tuple[Sensor, ...] = ()
    centre: GeoPoint | None = None


@dataclass(frozen=True, slots=True)
class ReportData:
    """Everything one report shows. ``kind`` is ``exercise`` or ``incident``; ``end`` is the
    run's end or the incident's closing, else the moment the report was made (``ongoing``)."""

    kind: str
    identifier: str
    title: str
    description: str
    where: str
    start: datetime
    end: datetime
    ongoing: bool
    alerts: tuple[Alert, ...] = ()
    actions: tuple[AlertAction, ...] = ()
    detections: tuple[Detection, ...] = ()
    posts: tuple[Post, ...] = ()
    observations: tuple[Observation, ...] = ()
    incidents: tuple[Incident, ...] = ()
    entries: tuple[IncidentEntry, ...] = ()
    tasks: tuple[IncidentTask, ...] = ()
    bookmarks: tuple[Bookmark, ...] = ()
    layers: SiteLayers = SiteLayers()
    run: ExerciseRun | None = None
    spec: ScenarioSpec | None = None
    score: ExerciseScore | None = None
    person: str | None = None  # the trainee, or the incident's commander

    @property
    def duration_s(self) -> float:
        return max(0.0, (self.end - self.start).total_seconds())
