"""Records of what the people in the control room did: bookmarks on the timeline, incident
logs and tasks, and exercise runs. They are stored like every other record, so a timeline, a
second workstation and an after-action report all read the same history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.model.records import _require_aware


@dataclass(frozen=True, slots=True, kw_only=True)
class Bookmark:
    """A moment an operator or commander marked on the timeline, with a note."""

    identifier: str
    time: datetime
    note: str
    by: str
    created: datetime
    exercise_id: str | None = None

    def __post_init__(self) -> None:
        _require_aware("time", self.time)
        _require_aware("created", self.created)


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentEntry:
    """One line of an incident log. ``kind`` says where it came from: ``note`` (typed by a
    person), ``action`` (an alert action the console saw), ``alert`` (an alert joined the
    incident), ``status``, ``task``, ``sop``; entries are written automatically wherever the
    console knows what happened, so nobody types what the system already recorded."""

    identifier: str
    incident_identifier: str
    time: datetime
    by: str
    kind: str
    text: str
    details: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _require_aware("time", self.time)


@dataclass(frozen=True, slots=True, kw_only=True)
class IncidentTask:
    """A task of an incident: a free task (``kind`` ``task``) or an SOP checklist step
    (``kind`` ``sop``, ``title`` the English step, translated when shown)."""

    identifier: str
    incident_identifier: str
    title: str
    kind: str = "task"
    position: int = 0
    assignee: str | None = None
    done: datetime | None = None
    done_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class ExerciseRun:
    """One play of a training scenario. ``clock`` holds the simulated clock's anchors, each
    ``[wall_iso, scenario_s, speed]``, so that any wall-clock time (an operator's action) maps
    back to scenario time for scoring; ``score`` is the last computed score document."""

    identifier: str
    scenario: str
    title: str
    started: datetime
    trainee: str | None = None
    ended: datetime | None = None
    origin: datetime | None = None
    clock: tuple[tuple[str, float, float], ...] = ()
    score: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        _require_aware("started", self.started)
