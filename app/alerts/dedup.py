"""Repeats from one source fold into one alert.

A detector that sees the same knife in ten consecutive frames, or a sensor that crosses its
threshold every minute, would otherwise fill the queue with copies; EEMUA 191 counts such
repeats among the worst nuisance alarms. A repeat is an alert from the same tool, of the same
event type, at (about) the same place, soon after the last sighting of an open alert. It is
folded into that alert: the count goes up, the operator's triage is kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from app.alerts.geo_math import area_key, haversine_m, position, within_m
from app.alerts.lifecycle import is_open
from app.model import Alert, Priority, Status
from app.scenario.model import inject_of

# Enough to show the latest frames of a long repeat without growing a record for ever
# (the tool API accepts at most 50 links per alert as well).
MAX_EVIDENCE = 50


@dataclass(frozen=True, slots=True)
class DedupRules:
    """When an incoming alert is a repeat. Same tool and same event type are always required
    (a different tool seeing the same thing is corroboration, which is fusion's business)."""

    window_s: float = 300.0
    distance_m: float = 50.0

    def __post_init__(self) -> None:
        if self.window_s < 0 or self.distance_m < 0:
            raise ValueError("dedup window and distance must not be negative")


def last_seen(alert: Alert) -> datetime:
    return alert.last_seen or alert.sent


def is_repeat(incoming: Alert, existing: Alert, rules: DedupRules) -> bool:
    """Both bounds are inclusive. Exercise and real alerts never fold into each other, and an
    alert re-delivered under its own identifier is an update, not a repeat."""
    if (
        incoming.identifier == existing.identifier
        or incoming.source_tool != existing.source_tool
        or incoming.event_type != existing.event_type
        or incoming.status != existing.status
        or _different_injects(incoming, existing)
        or not is_open(existing)
    ):
        return False
    if _time_gap_s(incoming, existing) > rules.window_s:
        return False
    return _same_place(incoming, existing, rules.distance_m)


def find_repeat(incoming: Alert, open_alerts: Iterable[Alert], rules: DedupRules) -> Alert | None:
    """The open alert ``incoming`` repeats, or ``None``. When several qualify, the one seen
    most recently wins (then the nearest, then the smallest identifier, for determinism)."""
    matches = [a for a in open_alerts if is_repeat(incoming, a, rules)]
    if not matches:
        return None
    return min(
        matches, key=lambda a: (_time_gap_s(incoming, a), _distance(incoming, a), a.identifier)
    )


def fold_repeat(existing: Alert, incoming: Alert) -> Alert:
    """``existing`` with ``incoming`` folded in. Identity and triage (state, assignee, shelf)
    stay; the higher confidence and the more urgent priority win, so that a repeat can only make
    an alert more pressing; the newest headline and description win because they describe the
    latest sighting. A repeat delivered late never moves ``last_seen`` backwards."""
    newest = last_seen(existing)
    incoming_is_newer = incoming.sent >= newest
    evidence = existing.evidence + tuple(e for e in incoming.evidence if e not in existing.evidence)
    return dataclasses.replace(
        existing,
        occurrences=existing.occurrences + 1,
        last_seen=max(newest, incoming.sent),
        confidence=max(existing.confidence, incoming.confidence),
        priority=Priority(min(existing.priority, incoming.priority)),
        headline=incoming.headline if incoming_is_newer else existing.headline,
        description=incoming.description if incoming_is_newer else existing.description,
        evidence=evidence[-MAX_EVIDENCE:],
    )


def _different_injects(incoming: Alert, existing: Alert) -> bool:
    """Two injects of a training scenario (or of two runs of it) stay two alerts: replayed at
    60x or after a seek they arrive seconds apart, and folding them would make a run differ
    with its speed and lose an alert the trainee is scored on."""
    if incoming.status is Status.ACTUAL:
        return False
    ours, theirs = inject_of(incoming.identifier), inject_of(existing.identifier)
    return ours is not None and theirs is not None and ours != theirs


def _time_gap_s(incoming: Alert, existing: Alert) -> float:
    """Seconds between the incoming alert and the existing alert's span of sightings
    (zero when it falls inside the span, which happens with late deliveries)."""
    if incoming.sent > last_seen(existing):
        return (incoming.sent - last_seen(existing)).total_seconds()
    if incoming.sent < existing.sent:
        return (existing.sent - incoming.sent).total_seconds()
    return 0.0


def _distance(a: Alert, b: Alert) -> float:
    where_a, where_b = position(a), position(b)
    if where_a is None or where_b is None:
        return 0.0
    return haversine_m(where_a, where_b)


def _same_place(a: Alert, b: Alert, distance_m: float) -> bool:
    """Within ``distance_m`` when both have a position (see ``geo_math.position``); otherwise
    only when both describe the same place, or both describe none."""
    where_a, where_b = position(a), position(b)
    if where_a is not None and where_b is not None:
        return within_m(where_a, where_b, distance_m)
    return area_key(a) == area_key(b)
