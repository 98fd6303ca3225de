"""Fusion: alerts from different tools that point at one situation become one candidate.

A weapon detection on camera 3 is more credible when a threatening post named the same venue
minutes earlier; neither tool can know that, the console can. Two alerts are *linked* when they
come from different tools, are open, have the same status (an exercise never corroborates real
data), lie within ``window_s`` of each other in time and ``max_distance_m`` in space (or, when
a position is missing, describe the same place), and the rules give their event types a weight
above zero. Candidates are the connected components of the links, so A-B and B-C make one
candidate of three even when A and C are not linked directly.

Combined confidence, a noisy-OR in which the most confident member counts in full and every
other member i counts through its strongest link weight w_i::

    C = 1 - (1 - c_top) * product over i != top of (1 - w_i * c_i)

so C is never below the best single member and rises with each corroborating alert, the more
the stronger its link. Priority: the most urgent member's, raised one level (P1 stays P1) when
C ≥ ``raise_threshold``. The weights and bounds are data (``resources/alerts/fusion_rules.json``,
see ``FusionRules``).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.alerts.dedup import last_seen
from app.alerts.geo_math import area_key, position, within_m
from app.alerts.lifecycle import is_open
from app.alerts.spatial import GridIndex
from app.bundled import read_json
from app.model import Alert, Category, Priority
from app.terminology import Terminology, default_terminology
from i18n import format_decimal, gettext, is_rtl, isolate, ngettext

# Fixed for ever: candidate identifiers are uuid5 names in this namespace.
CANDIDATE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:watchfloor:fusion-candidate")

RESOURCE = "alerts/fusion_rules.json"
_KEYS = {
    "version",
    "max_distance_m",
    "window_s",
    "lookback_s",
    "match_area_description",
    "default_weight",
    "same_event_type_weight",
    "raise_threshold",
    "groups",
    "pairs",
}
# How specific a side of a pair rule is; the most specific matching rule wins.
_EVENT, _GROUP, _CATEGORY = 3, 2, 1


class FusionRulesError(ValueError):
    """The fusion rules are unusable; the message names the offending key."""


@dataclass(frozen=True, slots=True)
class PairRule:
    """A weight for two kinds of alert. A side is an event type id (``"knife"``), a group of
    event types (``"group:weapon_detection"``) or a CAP category (``"category:CBRNE"``)."""

    between: tuple[str, str]
    weight: float


@dataclass(frozen=True, slots=True)
class FusionRules:
    """Bounds and weights for fusion. A pair's weight comes from the most specific matching
    pair rule (event type beats group beats category; among equals the higher weight), else
    ``same_event_type_weight`` for two alerts of one event type, else ``default_weight``
    (0 = never fuse)."""

    max_distance_m: float
    window_s: float
    raise_threshold: float
    lookback_s: float = 7200.0
    match_area_description: bool = True
    default_weight: float = 0.0
    same_event_type_weight: float = 0.0
    groups: dict[str, frozenset[str]] = dataclasses.field(default_factory=dict)
    pairs: tuple[PairRule, ...] = ()

    @classmethod
    def load(cls) -> FusionRules:
        """The bundled rules."""
        return cls.from_document(read_json(RESOURCE))

    @classmethod
    def from_document(cls, document: Any) -> FusionRules:
        """Validates a parsed rules document; errors name the key."""
        doc = _mapping(document, "fusion rules")
        unknown = sorted(set(doc) - _KEYS)
        if unknown:
            raise FusionRulesError(f"fusion rules: unknown key {unknown[0]!r}")
        if doc.get("version", 1) != 1:
            raise FusionRulesError("fusion rules: 'version' must be 1")
        groups = _groups(doc.get("groups", {}))
        return cls(
            max_distance_m=_number(_get(doc, "max_distance_m"), "max_distance_m"),
            window_s=_number(_get(doc, "window_s"), "window_s"),
            raise_threshold=_number(_get(doc, "raise_threshold"), "raise_threshold", 1.0),
            lookback_s=_number(doc.get("lookback_s", 7200.0), "lookback_s"),
            match_area_description=_flag(doc.get("match_area_description", True)),
            default_weight=_number(doc.get("default_weight", 0.0), "default_weight", 1.0),
            same_event_type_weight=_number(
                doc.get("same_event_type_weight", 0.0), "same_event_type_weight", 1.0
            ),
            groups=groups,
            pairs=tuple(
                _pair(item, f"pairs[{i}]", groups)
                for i, item in enumerate(_list(doc.get("pairs", []), "pairs"))
            ),
        )

    def weight(self, a: Alert, b: Alert) -> float:
        """The weight the rules give this pair of alerts (place and time not considered)."""
        best: tuple[int, float] | None = None
        for rule in self.pairs:
            specificity = self._match(rule.between, a, b)
            if specificity and (best is None or (specificity, rule.weight) > best):
                best = (specificity, rule.weight)
        if best is not None:
            return best[1]
        if a.event_type == b.event_type:
            return self.same_event_type_weight
        return self.default_weight

    def _match(self, between: tuple[str, str], a: Alert, b: Alert) -> int:
        """0 when the rule does not cover the pair, else its specificity (sum of its sides)."""
        first, second = between
        best = 0
        for x, y in ((a, b), (b, a)):
            first_fits, second_fits = self._side(first, x), self._side(second, y)
            if first_fits and second_fits:
                best = max(best, first_fits + second_fits)
        return best

    def _side(self, side: str, alert: Alert) -> int:
        if side.startswith("group:"):
            return _GROUP if alert.event_type in self.groups[side[6:]] else 0
        if side.startswith("category:"):
            return _CATEGORY if alert.category.value == side[9:] else 0
        return _EVENT if alert.event_type == side else 0


@dataclass(frozen=True, slots=True)
class FusionReason:
    """One member's part in a candidate, as data, so the text can be rebuilt after a language
    switch (``describe_reason``)."""

    alert_identifier: str
    event_type: str
    source_tool: str
    confidence: float
    minutes_earlier: int
    weight: float


@dataclass(frozen=True, slots=True)
class FusionCandidate:
    identifier: str
    members: tuple[str, ...]
    confidence: float
    priority: Priority
    explanation: str
    reasons: tuple[FusionReason, ...]


def candidate_identifier(members: Sequence[str]) -> str:
    """Stable for a set of members whatever their order; a new member makes a new candidate."""
    return uuid.uuid5(CANDIDATE_NAMESPACE, "\n".join(sorted(members))).hex


def link_weight(a: Alert, b: Alert, rules: FusionRules) -> float:
    """The pair's link weight, or 0.0 when the two alerts must not fuse."""
    if (
        a.source_tool == b.source_tool
        or a.status != b.status
        or _time_gap(a, b) > timedelta(seconds=rules.window_s)
        or not _same_place(a, b, rules)
    ):
        return 0.0
    return rules.weight(a, b)


def fuse(
    alerts: Sequence[Alert],
    rules: FusionRules,
    terms: Terminology | None = None,
    now: datetime | None = None,
) -> list[FusionCandidate]:
    """Candidates among the open ``alerts``, most urgent and most confident first. ``now``
    bounds the look-back: alerts last seen more than ``rules.lookback_s`` before it are left
    out, so that old alerts do not keep forming candidates in a long shift."""
    terms = terms or default_terminology()
    unique = {a.identifier: a for a in alerts}  # the same alert passed twice is one member
    eligible = sorted(
        (a for a in unique.values() if is_open(a) and _recent(a, rules, now)),
        key=lambda a: (a.sent, a.identifier),
    )
    links = _links(eligible, rules)
    candidates = [_candidate(group, links, rules, terms) for group in _components(eligible, links)]
    return sorted(candidates, key=lambda c: (c.priority, -c.confidence, c.identifier))


def describe_reason(reason: FusionReason, terms: Terminology) -> str:
    """One member in the current language: "Knife detected, cam-tool, 0.81" or, for a member
    before the newest, "Threatening post, social-tool, 4 min earlier, 0.64"."""
    values = {
        "event": terms.event_type(reason.event_type).name,
        "tool": _isolated(reason.source_tool),
        "confidence": format_decimal(reason.confidence, "0.00"),
        "minutes": reason.minutes_earlier,
    }
    if reason.minutes_earlier == 0:
        return gettext("{event}, {tool}, {confidence}").format(**values)
    return ngettext(
        "{event}, {tool}, {minutes} min earlier, {confidence}",
        "{event}, {tool}, {minutes} min earlier, {confidence}",
        reason.minutes_earlier,
    ).format(**values)


def explain(priority: Priority, reasons: Sequence[FusionReason], terms: Terminology) -> str:
    """The whole explanation, "P1 because: <member>; <member>", members newest first."""
    # The separator is translated too: Arabic writes its own semicolon.
    members = gettext("; ").join(describe_reason(r, terms) for r in reasons)
    return gettext("{priority} because: {reasons}").format(
        priority=_isolated(priority.name), reasons=members
    )


def _recent(alert: Alert, rules: FusionRules, now: datetime | None) -> bool:
    return now is None or last_seen(alert) >= now - timedelta(seconds=rules.lookback_s)


def _links(alerts: list[Alert], rules: FusionRules) -> dict[tuple[str, str], float]:
    """Qualifying pairs with their weights. ``alerts`` is sorted by ``sent``: once a later
    alert starts beyond the window after one's last sighting, all later ones do too."""
    window = timedelta(seconds=rules.window_s)
    order = {a.identifier: i for i, a in enumerate(alerts)}
    grid = GridIndex(rules.max_distance_m)
    for alert in alerts:
        grid.add(None, alert)
    links: dict[tuple[str, str], float] = {}
    for a in alerts:
        # Only alerts in neighbouring cells can be close enough: linear, not quadratic.
        for b in grid.near(None, a):
            if order[b.identifier] <= order[a.identifier] or b.sent - last_seen(a) > window:
                continue
            weight = link_weight(a, b, rules)
            if weight > 0:
                links[a.identifier, b.identifier] = weight
    return links


def _components(alerts: list[Alert], links: dict[tuple[str, str], float]) -> list[list[Alert]]:
    """Connected components of two or more alerts (union-find with path halving)."""
    parent = {a.identifier: a.identifier for a in alerts}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in links:
        parent[root(a)] = root(b)
    groups: dict[str, list[Alert]] = {}
    for alert in alerts:
        groups.setdefault(root(alert.identifier), []).append(alert)
    return [group for group in groups.values() if len(group) > 1]


def _candidate(
    group: list[Alert], links: dict[tuple[str, str], float], rules: FusionRules, terms: Terminology
) -> FusionCandidate:
    ids = {a.identifier for a in group}
    weights = {i: 0.0 for i in ids}
    for (a, b), weight in links.items():
        if a in ids:
            weights[a] = max(weights[a], weight)
            weights[b] = max(weights[b], weight)
    confidence = combined_confidence([(a.confidence, weights[a.identifier]) for a in group])
    priority = Priority(min(a.priority for a in group))
    if confidence >= rules.raise_threshold:
        priority = Priority(max(Priority.P1, priority - 1))
    newest = max(a.sent for a in group)
    reasons = tuple(
        sorted(
            (_reason(a, weights[a.identifier], newest) for a in group),
            key=lambda r: (r.minutes_earlier, -r.confidence, r.alert_identifier),
        )
    )
    return FusionCandidate(
        identifier=candidate_identifier(list(ids)),
        members=tuple(sorted(ids)),
        confidence=confidence,
        priority=priority,
        explanation=explain(priority, reasons, terms),
        reasons=reasons,
    )


def combined_confidence(members: Sequence[tuple[float, float]]) -> float:
    """Noisy-OR over (confidence, link weight) pairs; the most confident counts in full."""
    ordered = sorted(members, key=lambda m: m[0], reverse=True)
    doubt = 1.0 - ordered[0][0]
    for confidence, weight in ordered[1:]:
        doubt *= 1.0 - weight * confidence
    return round(1.0 - doubt, 6)


def _reason(alert: Alert, weight: float, newest: datetime) -> FusionReason:
    return FusionReason(
        alert_identifier=alert.identifier,
        event_type=alert.event_type,
        source_tool=alert.source_tool,
        confidence=alert.confidence,
        minutes_earlier=int((newest - alert.sent).total_seconds() // 60),
        weight=weight,
    )


def _time_gap(a: Alert, b: Alert) -> timedelta:
    """Time between the two alerts' spans of sightings (zero when they overlap)."""
    gap = max(a.sent, b.sent) - min(last_seen(a), last_seen(b))
    return max(gap, timedelta(0))


def _same_place(a: Alert, b: Alert, rules: FusionRules) -> bool:
    where_a, where_b = position(a), position(b)
    if where_a is not None and where_b is not None:
        return within_m(where_a, where_b, rules.max_distance_m)
    if not rules.match_area_description:
        return False
    key = area_key(a)
    return key is not None and key == area_key(b)


def _isolated(text: str) -> str:
    # Latin identifiers inside a right-to-left sentence keep their own direction.
    return isolate(text) if is_rtl() else text


def _get(doc: dict[str, Any], key: str) -> Any:
    if key not in doc:
        raise FusionRulesError(f"fusion rules: missing key {key!r}")
    return doc[key]


def _mapping(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FusionRulesError(f"fusion rules: {path!r} must be an object")
    return value


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise FusionRulesError(f"fusion rules: {path!r} must be a list")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise FusionRulesError("fusion rules: 'match_area_description' must be true or false")
    return value


def _number(value: Any, path: str, high: float | None = None) -> float:
    """A non-negative number, at most ``high`` when given (weights and thresholds: 0..1)."""
    bad = isinstance(value, bool) or not isinstance(value, int | float) or value < 0
    if bad or (high is not None and value > high):
        bounds = f"from 0 to {high}" if high is not None else "of 0 or more"
        raise FusionRulesError(f"fusion rules: {path!r} must be a number {bounds}, got {value!r}")
    return float(value)


def _groups(value: Any) -> dict[str, frozenset[str]]:
    groups: dict[str, frozenset[str]] = {}
    for name, members in _mapping(value, "groups").items():
        items = _list(members, f"groups.{name}")
        if not items or not all(isinstance(m, str) and m for m in items):
            raise FusionRulesError(
                f"fusion rules: 'groups.{name}' must list one or more event type ids"
            )
        groups[name] = frozenset(items)
    return groups


def _pair(item: Any, path: str, groups: dict[str, frozenset[str]]) -> PairRule:
    item = _mapping(item, path)
    between = _list(_get_in(item, "between", path), f"{path}.between")
    if len(between) != 2:
        raise FusionRulesError(f"fusion rules: '{path}.between' must name two kinds of alert")
    for i, side in enumerate(between):
        _check_side(side, f"{path}.between[{i}]", groups)
    weight = _number(_get_in(item, "weight", path), f"{path}.weight", 1.0)
    return PairRule((between[0], between[1]), weight)


def _get_in(item: dict[str, Any], key: str, path: str) -> Any:
    if key not in item:
        raise FusionRulesError(f"fusion rules: missing key '{path}.{key}'")
    return item[key]


def _check_side(side: Any, path: str, groups: dict[str, frozenset[str]]) -> None:
    if not isinstance(side, str) or not side:
        raise FusionRulesError(f"fusion rules: {path!r} must be an event type, group or category")
    if side.startswith("group:") and side[6:] not in groups:
        raise FusionRulesError(f"fusion rules: {path!r} names unknown group {side[6:]!r}")
    if side.startswith("category:") and side[9:] not in {c.value for c in Category}:
        raise FusionRulesError(f"fusion rules: {path!r} names unknown category {side[9:]!r}")
