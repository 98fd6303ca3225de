"""A loaded scenario, as the replay engine and the scorer use it.

The file format (YAML or JSON, validated against ``resources/scenarios/scenario.schema.json``)
is parsed into these records by ``app.scenario.loader``; nothing downstream reads the raw
document, so the format can grow without every consumer learning it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# What an inject can put into the console, each served by a simulated tool over REST.
INJECT_KINDS = frozenset(
    {"alert", "detection", "post", "observation", "track", "threat_intel", "camera_failure"}
)
# Operator actions a condition or an expectation can name (the alert lifecycle's actions).
OPERATOR_ACTIONS = frozenset({"acknowledge", "start", "resolve", "dismiss", "escalate"})


def exercise_identifier(run_id: str, inject_id: str) -> str:
    """The identifier a simulated tool gives an inject's record in one run. The console stores
    it as ``<tool>:<this>``, so the scorer finds the inject behind any stored record."""
    return f"x{run_id}.{inject_id}"


def inject_of(identifier: str) -> tuple[str, str] | None:
    """``(run_id, inject_id)`` of a stored record's identifier, or ``None`` if it is not an
    exercise record (a live record, or one from another source)."""
    local = identifier.rsplit(":", 1)[-1]
    if not local.startswith("x") or "." not in local:
        return None
    run_id, inject_id = local[1:].split(".", 1)
    return run_id, inject_id


@dataclass(frozen=True, slots=True)
class InjectSpec:
    """One timed inject. ``tool`` is the simulated tool that serves it; ``data`` is the record's
    fields as the scenario states them (validated by the schema for ``kind``)."""

    id: str
    at_s: float
    kind: str
    tool: str
    data: dict[str, Any]
    # Where the inject was written, for messages that point the trainer at it.
    line: int = 0


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    """A sensor's readings, one every ``every_s`` from ``start_s`` (looping ``values``) until
    ``end_s`` (the scenario's end when ``None``)."""

    id: str
    sensor_id: str
    quantity: str
    unit: str
    every_s: float
    values: tuple[float, ...]
    tool: str
    start_s: float = 0.0
    end_s: float | None = None


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """A moving object (patrol, suspect) walking ``points`` ([lat, lon]) at ``speed_mps``."""

    id: str
    callsign: str
    cot_type: str
    points: tuple[tuple[float, float], ...]
    speed_mps: float
    every_s: float
    tool: str
    start_s: float = 0.0
    end_s: float | None = None


@dataclass(frozen=True, slots=True)
class ConditionSpec:
    """ "If ``after``'s alert has not had ``unless`` within ``within_s`` of its arrival, inject
    ``inject``" (its ``at_s`` is then relative to that deadline, usually 0)."""

    id: str
    after: str
    unless: str
    within_s: float
    inject: InjectSpec


@dataclass(frozen=True, slots=True)
class ExpectationSpec:
    """What a good response to one inject's alert looks like. ``None`` fields are not judged.
    ``false_alarm`` alerts should be dismissed, not escalated; ``sop_steps`` counts checklist
    steps to complete for the alert (on the alert or on an incident holding it)."""

    inject: str
    acknowledge_within_s: float | None = None
    escalate: bool | None = None
    escalate_within_s: float | None = None
    false_alarm: bool = False
    sop_steps: int | None = None
    weight: float = 1.0


@dataclass(frozen=True, slots=True)
class ScenarioSpec:
    id: str
    title: str
    description: str
    city: str
    duration_s: float
    injects: tuple[InjectSpec, ...]
    series: tuple[SeriesSpec, ...] = ()
    routes: tuple[RouteSpec, ...] = ()
    conditions: tuple[ConditionSpec, ...] = ()
    expectations: tuple[ExpectationSpec, ...] = ()
    # Site layers (GeoJSON/KML with cameras, sensors, zones) and map view for this city.
    site_layers: tuple[Path, ...] = ()
    map_centre: tuple[float, float] | None = None
    map_zoom: int | None = None
    tool_titles: dict[str, str] = field(default_factory=dict)
    path: Path | None = None

    def inject(self, inject_id: str) -> InjectSpec | None:
        for inject in self.injects:
            if inject.id == inject_id:
                return inject
        for condition in self.conditions:
            if condition.inject.id == inject_id:
                return condition.inject
        return None

    @property
    def tools(self) -> tuple[str, ...]:
        """Every simulated tool the scenario needs, sorted."""
        used = {i.tool for i in self.injects} | {c.inject.tool for c in self.conditions}
        used |= {s.tool for s in self.series} | {r.tool for r in self.routes}
        return tuple(sorted(used))
