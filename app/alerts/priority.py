"""Operator priority from what an alert says about itself, by rules kept as data.

The rules live in ``resources/alerts/priority_rules.json`` so that a control room can tune them
without a release. The score is::

    base  = sum(factor[f] * weight[f][alert's value of f]) / sum(factor[f])
            for f in severity, urgency, certainty
    score = base * (1 - k + k * confidence)        with k = confidence_influence

so ``base`` and ``score`` lie in 0..1; with k = 1 the score is plainly scaled by the alert's
confidence, with k = 0 confidence is ignored. The score maps to a priority through descending
thresholds (score ≥ P1 threshold → P1, else ≥ P2 → P2, else ≥ P3 → P3, else P4). When
``use_terminology_floor`` is true the event type's default priority from the terminology is a
floor: a knife alert is never less urgent than the terminology says knives are.
"""

from __future__ import annotations

import itertools
import logging
from dataclasses import dataclass
from typing import Any

from app.bundled import read_json
from app.model import Alert, Certainty, Priority, Severity, Urgency
from app.terminology import Terminology, default_terminology
from i18n import format_decimal, gettext, is_rtl, isolate

log = logging.getLogger(__name__)

RESOURCE = "alerts/priority_rules.json"
_SCALES: dict[str, Any] = {"severity": Severity, "urgency": Urgency, "certainty": Certainty}
_GRADED = (Priority.P1, Priority.P2, Priority.P3)  # P4 is whatever falls below P3
_KEYS = {
    "version",
    "weights",
    "factors",
    "confidence_influence",
    "thresholds",
    "use_terminology_floor",
}
# Rounded before comparing with thresholds, so that 0.7 written in the rules is reached by a
# score that float arithmetic computes as 0.69999999.
_SCORE_DIGITS = 6


class PriorityRulesError(ValueError):
    """The priority rules are unusable; the message names the offending key."""


@dataclass(frozen=True, slots=True)
class PriorityAssessment:
    priority: Priority
    score: float
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PriorityRules:
    weights: dict[str, dict[str, float]]
    factors: dict[str, float]
    thresholds: dict[Priority, float]
    confidence_influence: float = 1.0
    use_terminology_floor: bool = False

    @classmethod
    def load(cls) -> PriorityRules:
        """The bundled rules."""
        return cls.from_document(read_json(RESOURCE))

    @classmethod
    def from_document(cls, document: Any) -> PriorityRules:
        """Validates a parsed rules document; errors name the key so that a typo in a tuned
        file is found at start-up, not as a wrong priority in the middle of a shift."""
        document = _mapping(document, "priority rules")
        unknown = sorted(set(document) - _KEYS)
        if unknown:
            raise PriorityRulesError(f"priority rules: unknown key {unknown[0]!r}")
        if document.get("version", 1) != 1:
            raise PriorityRulesError("priority rules: 'version' must be 1")
        weights = _mapping(_get(document, "weights"), "weights")
        factors = _mapping(_get(document, "factors"), "factors")
        parsed_factors = {
            name: _number(_get(factors, name, "factors"), f"factors.{name}", 0, 1)
            for name in _SCALES
        }
        if sum(parsed_factors.values()) <= 0:
            raise PriorityRulesError("priority rules: 'factors' must not all be zero")
        floor = document.get("use_terminology_floor", False)
        if not isinstance(floor, bool):
            raise PriorityRulesError(
                "priority rules: 'use_terminology_floor' must be true or false"
            )
        influence = document.get("confidence_influence", 1.0)
        return cls(
            weights={name: _scale_weights(weights, name) for name in _SCALES},
            factors=parsed_factors,
            thresholds=_thresholds(_mapping(_get(document, "thresholds"), "thresholds")),
            confidence_influence=_number(influence, "confidence_influence", 0, 1),
            use_terminology_floor=floor,
        )

    def score(self, alert: Alert) -> float:
        """The alert's score in 0..1 (see the module docstring for the formula)."""
        values = {
            "severity": alert.severity,
            "urgency": alert.urgency,
            "certainty": alert.certainty,
        }
        total = sum(self.factors.values())
        base = sum(self.factors[f] * self.weights[f][values[f].value] for f in _SCALES) / total
        k = self.confidence_influence
        return round(base * (1 - k + k * alert.confidence), _SCORE_DIGITS)

    def priority_for(self, score: float) -> Priority:
        for level in _GRADED:
            if score >= self.thresholds[level]:
                return level
        return Priority.P4

    def assess(self, alert: Alert, terms: Terminology | None = None) -> PriorityAssessment:
        """The alert's priority with the reasons an operator can read (in the UI language)."""
        score = self.score(alert)
        priority = self.priority_for(score)
        reasons = [
            gettext("severity {value}").format(value=_value(alert.severity.value)),
            gettext("urgency {value}").format(value=_value(alert.urgency.value)),
            gettext("certainty {value}").format(value=_value(alert.certainty.value)),
            gettext("confidence {value}").format(value=format_decimal(alert.confidence, "0.00")),
        ]
        if self.use_terminology_floor:
            kind = (terms or default_terminology()).event_type(alert.event_type)
            if kind.priority < priority:
                priority = kind.priority
                reasons.append(
                    gettext("at least {priority} for {event}").format(
                        priority=_value(kind.priority.name), event=kind.name
                    )
                )
        return PriorityAssessment(priority, score, tuple(reasons))


def _value(text: str) -> str:
    # Latin codes (CAP values, "P1") inside a right-to-left sentence keep their own direction.
    return isolate(text) if is_rtl() else text


def _get(mapping: dict[str, Any], key: str, where: str = "") -> Any:
    if key not in mapping:
        path = f"{where}.{key}" if where else key
        raise PriorityRulesError(f"priority rules: missing key {path!r}")
    return mapping[key]


def _mapping(value: Any, path: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PriorityRulesError(f"priority rules: {path!r} must be an object")
    return value


def _number(value: Any, path: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
        raise PriorityRulesError(
            f"priority rules: {path!r} must be a number from {low} to {high}, got {value!r}"
        )
    return float(value)


def _scale_weights(weights: dict[str, Any], name: str) -> dict[str, float]:
    """Every CAP value of the scale needs a weight: a missing one would make some alerts
    unscorable, which must fail at load time."""
    table = _mapping(_get(weights, name, "weights"), f"weights.{name}")
    allowed = {member.value for member in _SCALES[name]}
    extra = sorted(set(table) - allowed)
    if extra:
        raise PriorityRulesError(f"priority rules: unknown key 'weights.{name}.{extra[0]}'")
    return {
        value: _number(_get(table, value, f"weights.{name}"), f"weights.{name}.{value}", 0, 1)
        for value in sorted(allowed)
    }


def _thresholds(table: dict[str, Any]) -> dict[Priority, float]:
    extra = sorted(set(table) - {p.name for p in _GRADED})
    if extra:
        raise PriorityRulesError(f"priority rules: unknown key 'thresholds.{extra[0]}'")
    parsed = {
        level: _number(_get(table, level.name, "thresholds"), f"thresholds.{level.name}", 0, 1)
        for level in _GRADED
    }
    for upper, lower in itertools.pairwise(_GRADED):
        if parsed[upper] <= parsed[lower]:
            raise PriorityRulesError(
                f"priority rules: 'thresholds.{upper.name}' must be above 'thresholds.{lower.name}'"
            )
    return parsed
