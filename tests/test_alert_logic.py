"""Alert logic on records: lifecycle, priority, dedup, fusion, floods and SOP checklists."""

from __future__ import annotations

import copy
import io
import json
import math
import random
from collections.abc import Callable
from datetime import timedelta
from importlib import resources
from typing import Any

import pytest

import i18n
from app.alerts import dedup, flood, fusion, lifecycle, sop
from app.alerts.dedup import DedupRules, find_repeat, fold_repeat
from app.alerts.flood import FloodMonitor, banner_text
from app.alerts.fusion import FusionRules, FusionRulesError, candidate_identifier, fuse
from app.alerts.geo_math import EARTH_RADIUS_M, haversine_m, position
from app.alerts.lifecycle import Action, AlertChange, LifecycleError, is_open, is_shelved
from app.alerts.priority import PriorityRules, PriorityRulesError
from app.alerts.sop import SopError, SopLibrary
from app.model import (
    Alert,
    AlertState,
    Area,
    Category,
    Certainty,
    Circle,
    EvidenceLink,
    GeoPoint,
    Priority,
    Severity,
    Status,
    Urgency,
)
from app.terminology import default_terminology
from i18n.babel_extract import extract_json_names
from tests.factories import T0, alert

NOW = T0 + timedelta(minutes=1)
OPERATOR = "op-7"
HERE = GeoPoint(59.9118, 10.7332)
S = AlertState


def north_of(point: GeoPoint, metres: float) -> GeoPoint:
    """A point ``metres`` due north (exact on the haversine sphere)."""
    return GeoPoint(point.lat + math.degrees(metres / EARTH_RADIUS_M), point.lon)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


# --- lifecycle -------------------------------------------------------------------------------

OPERATIONS: dict[Action, Callable[[Alert], AlertChange]] = {
    Action.ACKNOWLEDGE: lambda a: lifecycle.acknowledge(a, OPERATOR, NOW),
    Action.START: lambda a: lifecycle.start(a, OPERATOR, NOW),
    Action.RESOLVE: lambda a: lifecycle.resolve(a, OPERATOR, NOW, reason="Police on site"),
    Action.DISMISS: lambda a: lifecycle.dismiss(a, OPERATOR, NOW, "False alarm: umbrella"),
    Action.ASSIGN: lambda a: lifecycle.assign(a, OPERATOR, NOW, "op-9"),
    Action.ESCALATE: lambda a: lifecycle.escalate(a, OPERATOR, NOW),
    Action.SHELVE: lambda a: lifecycle.shelve(a, OPERATOR, NOW, NOW + minutes(30), "Roadworks"),
    Action.REOPEN: lambda a: lifecycle.reopen(a, OPERATOR, NOW, "Seen again on camera 4"),
}

ALLOWED = {
    Action.ACKNOWLEDGE: {S.NEW: S.ACKNOWLEDGED},
    Action.START: {S.NEW: S.IN_PROGRESS, S.ACKNOWLEDGED: S.IN_PROGRESS},
    Action.RESOLVE: {s: S.RESOLVED for s in lifecycle.OPEN_STATES},
    Action.DISMISS: {s: S.DISMISSED for s in lifecycle.OPEN_STATES},
    Action.ASSIGN: {s: s for s in lifecycle.OPEN_STATES},
    Action.ESCALATE: {s: s for s in lifecycle.OPEN_STATES},
    Action.SHELVE: {s: s for s in lifecycle.OPEN_STATES},
    Action.REOPEN: {S.RESOLVED: S.ACKNOWLEDGED, S.DISMISSED: S.ACKNOWLEDGED},
}

REFUSALS = {
    Action.ACKNOWLEDGE: "Cannot acknowledge an alert that is {}.",
    Action.START: "Cannot start work on an alert that is {}.",
    Action.RESOLVE: "Cannot resolve an alert that is {}.",
    Action.DISMISS: "Cannot dismiss an alert that is {}.",
    Action.ASSIGN: "Cannot assign an alert that is {}.",
    Action.ESCALATE: "Cannot escalate an alert that is {}.",
    Action.SHELVE: "Cannot shelve an alert that is {}.",
    Action.REOPEN: "Cannot reopen an alert that is {}.",
}
STATE_WORDS = {
    S.NEW: "new",
    S.ACKNOWLEDGED: "acknowledged",
    S.IN_PROGRESS: "in progress",
    S.RESOLVED: "resolved",
    S.DISMISSED: "dismissed",
}


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [(action, b, a) for action, moves in ALLOWED.items() for b, a in moves.items()],
)
def test_every_allowed_transition(action: Action, before: AlertState, after: AlertState) -> None:
    original = alert(state=before, priority=Priority.P2)
    change = OPERATIONS[action](original)
    assert change.alert.state == after
    assert change.alert.identifier == original.identifier
    record = change.action
    assert (record.alert_identifier, record.action, record.by, record.time) == (
        original.identifier,
        action.value,
        OPERATOR,
        NOW,
    )
    assert original.state == before, "records are immutable; the input is untouched"


@pytest.mark.parametrize(
    ("action", "state"),
    [(action, s) for action, moves in ALLOWED.items() for s in AlertState if s not in moves],
)
def test_every_forbidden_transition_names_the_action_and_the_state(
    action: Action, state: AlertState
) -> None:
    with pytest.raises(LifecycleError) as caught:
        OPERATIONS[action](alert(state=state))
    assert str(caught.value) == REFUSALS[action].format(STATE_WORDS[state])
    assert (caught.value.action, caught.value.state) == (action, state)


def test_each_action_gets_a_fresh_identifier_and_records_the_states() -> None:
    first = lifecycle.acknowledge(alert(), OPERATOR, NOW)
    second = lifecycle.acknowledge(alert(), OPERATOR, NOW)
    assert first.action.identifier != second.action.identifier
    assert first.action.details == (("from_state", "new"), ("to_state", "acknowledged"))


def test_an_action_needs_an_operator() -> None:
    with pytest.raises(ValueError, match="operator"):
        lifecycle.acknowledge(alert(), " ", NOW)


@pytest.mark.parametrize("reason", ["", "   "])
def test_dismiss_requires_a_reason(reason: str) -> None:
    with pytest.raises(LifecycleError, match=r"^Give a reason to dismiss an alert"):
        lifecycle.dismiss(alert(), OPERATOR, NOW, reason)


def test_dismiss_keeps_the_reason_on_the_alert_and_in_the_log() -> None:
    change = lifecycle.dismiss(alert(), OPERATOR, NOW, "  False alarm: umbrella ")
    assert change.alert.state_reason == "False alarm: umbrella"
    assert change.action.reason == "False alarm: umbrella"
    assert not is_open(change.alert)


def test_start_claims_an_unowned_alert_but_keeps_an_owner() -> None:
    claimed = lifecycle.start(alert(), OPERATOR, NOW)
    assert claimed.alert.assignee == OPERATOR
    assert ("assignee", OPERATOR) in claimed.action.details
    kept = lifecycle.start(alert(assignee="op-1"), OPERATOR, NOW)
    assert kept.alert.assignee == "op-1"


def test_assign_records_the_previous_assignee_and_refuses_no_change() -> None:
    change = lifecycle.assign(alert(assignee="op-1"), OPERATOR, NOW, " op-9 ")
    assert change.alert.assignee == "op-9"
    assert change.action.details == (("previous_assignee", "op-1"), ("assignee", "op-9"))
    with pytest.raises(LifecycleError, match="already assigned to op-9"):
        lifecycle.assign(change.alert, OPERATOR, NOW, "op-9")
    with pytest.raises(LifecycleError, match="Choose the operator"):
        lifecycle.assign(alert(), OPERATOR, NOW, "  ")


@pytest.mark.parametrize(
    ("before", "after"),
    [(Priority.P4, Priority.P3), (Priority.P3, Priority.P2), (Priority.P2, Priority.P1)],
)
def test_escalate_raises_one_level(before: Priority, after: Priority) -> None:
    change = lifecycle.escalate(alert(priority=before), OPERATOR, NOW)
    assert change.alert.priority == after
    assert change.action.details == (("from_priority", before.name), ("to_priority", after.name))


def test_escalating_a_p1_keeps_p1_but_is_still_recorded_and_keeps_the_state() -> None:
    change = lifecycle.escalate(alert(priority=Priority.P1), OPERATOR, NOW, reason="Crowd surge")
    assert change.alert.priority == Priority.P1
    assert change.alert.state == S.NEW, "escalation must not acknowledge the alert"
    assert change.action.action == "escalate" and change.action.reason == "Crowd surge"
    assert change.action.details == (("from_priority", "P1"), ("to_priority", "P1"))


def test_shelve_needs_a_reason_and_a_future_end() -> None:
    with pytest.raises(LifecycleError, match="Give a reason to shelve"):
        lifecycle.shelve(alert(), OPERATOR, NOW, NOW + minutes(5), " ")
    for until in (NOW, NOW - minutes(1)):
        with pytest.raises(LifecycleError, match="Shelve until a later time"):
            lifecycle.shelve(alert(), OPERATOR, NOW, until, "Roadworks")


def test_shelving_expires_by_itself() -> None:
    until = NOW + minutes(30)
    change = lifecycle.shelve(alert(), OPERATOR, NOW, until, "Known roadworks")
    shelved = change.alert
    assert (shelved.shelved_until, shelved.state_reason) == (until, "Known roadworks")
    assert change.action.details == (("until", until.isoformat()),)
    assert is_shelved(shelved, NOW)
    assert is_shelved(shelved, until - timedelta(seconds=1))
    assert not is_shelved(shelved, until)
    assert not is_shelved(alert(), NOW)


def test_reshelving_replaces_the_shelf() -> None:
    first = lifecycle.shelve(alert(), OPERATOR, NOW, NOW + minutes(5), "Roadworks").alert
    again = lifecycle.shelve(first, OPERATOR, NOW, NOW + minutes(60), "Roadworks all day").alert
    assert again.shelved_until == NOW + minutes(60)


def test_unshelve_clears_the_shelf_and_refuses_when_not_shelved() -> None:
    shelved = lifecycle.shelve(alert(), OPERATOR, NOW, NOW + minutes(5), "Roadworks").alert
    change = lifecycle.unshelve(shelved, OPERATOR, NOW)
    assert change.alert.shelved_until is None and change.alert.state_reason == ""
    assert change.action.action == "unshelve"
    with pytest.raises(LifecycleError, match="Cannot unshelve an alert that is new and not"):
        lifecycle.unshelve(change.alert, OPERATOR, NOW)
    closed = alert(state=S.RESOLVED, shelved_until=NOW + minutes(5))
    with pytest.raises(LifecycleError, match="that is resolved and not shelved"):
        lifecycle.unshelve(closed, OPERATOR, NOW)


def test_a_shelf_keeps_its_reason_through_acknowledgement() -> None:
    shelved = lifecycle.shelve(alert(), OPERATOR, NOW, NOW + minutes(5), "Roadworks").alert
    acknowledged = lifecycle.acknowledge(shelved, OPERATOR, NOW).alert
    assert (acknowledged.shelved_until, acknowledged.state_reason) == (
        NOW + minutes(5),
        "Roadworks",
    )
    assert is_shelved(acknowledged, NOW)


def test_closing_ends_a_shelf_and_closed_alerts_are_never_shown_shelved() -> None:
    shelved = lifecycle.shelve(alert(), OPERATOR, NOW, NOW + minutes(5), "Roadworks").alert
    resolved = lifecycle.resolve(shelved, OPERATOR, NOW).alert
    assert resolved.shelved_until is None
    assert not is_shelved(alert(state=S.DISMISSED, shelved_until=NOW + minutes(5)), NOW)


def test_reopen_needs_a_reason_and_returns_to_acknowledged() -> None:
    dismissed = lifecycle.dismiss(alert(), OPERATOR, NOW, "False alarm").alert
    with pytest.raises(LifecycleError, match="Give a reason to reopen"):
        lifecycle.reopen(dismissed, OPERATOR, NOW, "")
    change = lifecycle.reopen(dismissed, OPERATOR, NOW, "Seen again on camera 4")
    assert change.alert.state == S.ACKNOWLEDGED
    assert change.alert.state_reason == "Seen again on camera 4"
    assert change.action.details == (("from_state", "dismissed"), ("to_state", "acknowledged"))


@pytest.mark.parametrize(
    ("action", "verb"),
    [
        (Action.ACKNOWLEDGE, "acknowledged"),
        (Action.DISMISS, "dismissed"),
        (Action.ESCALATE, "escalated"),
        (Action.RESOLVE, "resolved"),
        (Action.ASSIGN, None),
        (Action.SHELVE, None),
        (Action.UNSHELVE, None),
        (Action.START, None),
        (Action.REOPEN, None),
        ("something-else", None),
    ],
)
def test_push_back_verbs_are_the_tool_api_verbs(action: Action | str, verb: str | None) -> None:
    assert lifecycle.push_back_verb(action) == verb
    if isinstance(action, Action):
        assert lifecycle.push_back_verb(action.value) == verb


def test_lifecycle_messages_are_translated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(lifecycle, "gettext", lambda message: f"<{message}>")
    with pytest.raises(LifecycleError) as caught:
        lifecycle.acknowledge(alert(state=S.RESOLVED), OPERATOR, NOW)
    assert str(caught.value) == "<Cannot acknowledge an alert that is <resolved>.>"


# --- priority --------------------------------------------------------------------------------


def bundled_document(name: str) -> dict[str, Any]:
    text = resources.files("resources").joinpath(f"alerts/{name}").read_text(encoding="utf-8")
    return json.loads(text)


def priority_rules(**changes: Any) -> PriorityRules:
    document = bundled_document("priority_rules.json")
    document["use_terminology_floor"] = False
    document.update(changes)
    return PriorityRules.from_document(document)


@pytest.mark.parametrize(
    ("severity", "urgency", "certainty", "confidence", "score", "priority"),
    [
        (Severity.EXTREME, Urgency.IMMEDIATE, Certainty.OBSERVED, 1.0, 1.0, Priority.P1),
        # Exactly on each threshold: thresholds are inclusive, float noise notwithstanding.
        (Severity.EXTREME, Urgency.IMMEDIATE, Certainty.OBSERVED, 0.7, 0.7, Priority.P1),
        (Severity.EXTREME, Urgency.IMMEDIATE, Certainty.OBSERVED, 0.5, 0.5, Priority.P2),
        (Severity.EXTREME, Urgency.IMMEDIATE, Certainty.OBSERVED, 0.3, 0.3, Priority.P3),
        (Severity.EXTREME, Urgency.IMMEDIATE, Certainty.OBSERVED, 0.29, 0.29, Priority.P4),
        (Severity.SEVERE, Urgency.IMMEDIATE, Certainty.LIKELY, 0.81, 0.67635, Priority.P2),
        (Severity.MODERATE, Urgency.EXPECTED, Certainty.POSSIBLE, 1.0, 0.56, Priority.P2),
        (Severity.MODERATE, Urgency.EXPECTED, Certainty.POSSIBLE, 0.6, 0.336, Priority.P3),
        (Severity.UNKNOWN, Urgency.UNKNOWN, Certainty.UNKNOWN, 1.0, 0.5, Priority.P2),
        (Severity.MINOR, Urgency.PAST, Certainty.UNLIKELY, 1.0, 0.225, Priority.P4),
        (Severity.EXTREME, Urgency.IMMEDIATE, Certainty.OBSERVED, 0.0, 0.0, Priority.P4),
    ],
)
def test_priority_from_the_rules(
    severity: Severity,
    urgency: Urgency,
    certainty: Certainty,
    confidence: float,
    score: float,
    priority: Priority,
) -> None:
    subject = alert(severity=severity, urgency=urgency, certainty=certainty, confidence=confidence)
    assessment = priority_rules().assess(subject)
    assert assessment.score == pytest.approx(score)
    assert assessment.priority == priority


def test_confidence_influence_zero_ignores_confidence() -> None:
    rules = priority_rules(confidence_influence=0.0)
    low = alert(severity=Severity.EXTREME, certainty=Certainty.OBSERVED, confidence=0.1)
    assert rules.assess(low).score == pytest.approx(1.0)


def test_reasons_name_each_input_in_the_ui_language() -> None:
    assessment = priority_rules().assess(alert(confidence=0.814))
    assert assessment.reasons == (
        "severity Severe",
        "urgency Immediate",
        "certainty Likely",
        "confidence 0.81",
    )
    i18n.set_language("fr")
    french = priority_rules().assess(alert(confidence=0.814)).reasons
    assert french[-1] == i18n.gettext("confidence {value}").format(value="0,81")
    assert french[-1] != "confidence 0,81", "the French catalog translates the reasons"


def test_terminology_floor_applies_only_when_the_rules_say_so() -> None:
    weak_knife = alert(event_type="knife", confidence=0.2)
    assert priority_rules().assess(weak_knife).priority == Priority.P4
    floored = priority_rules(use_terminology_floor=True).assess(weak_knife)
    assert floored.priority == Priority.P1
    assert floored.reasons[-1] == "at least P1 for Knife detected"
    # A floor never lowers a priority the score already made more urgent.
    strong = alert(event_type="camera_offline", severity=Severity.EXTREME, confidence=1.0)
    assessment = priority_rules(use_terminology_floor=True).assess(strong)
    assert assessment.priority == Priority.P1 and len(assessment.reasons) == 4


def test_bundled_priority_rules_load() -> None:
    rules = PriorityRules.load()
    assert rules.use_terminology_floor
    assert rules.assess(alert()).priority == Priority.P1


def _broken(path: str, value: Any) -> dict[str, Any]:
    document = copy.deepcopy(bundled_document("priority_rules.json"))
    *parents, last = path.split(".")
    node = document
    for key in parents:
        node = node[key]
    if value is _DELETE:
        del node[last]
    else:
        node[last] = value
    return document


_DELETE = object()


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        ("weights.severity.Severe", _DELETE, "weights.severity.Severe"),
        ("weights.urgency.Soon", 0.5, "weights.urgency.Soon"),
        ("weights.certainty.Likely", 1.5, "weights.certainty.Likely"),
        ("weights.certainty", [], "weights.certainty"),
        ("factors.severity", "high", "factors.severity"),
        ("factors.urgency", _DELETE, "factors.urgency"),
        ("thresholds.P2", 0.9, "thresholds.P1"),
        ("thresholds.P4", 0.1, "thresholds.P4"),
        ("thresholds", _DELETE, "thresholds"),
        ("use_terminology_floor", "yes", "use_terminology_floor"),
        ("confidence_influence", True, "confidence_influence"),
        ("treshold", 0.5, "treshold"),
        ("version", 2, "version"),
    ],
)
def test_broken_priority_rules_name_the_key(path: str, value: Any, named: str) -> None:
    with pytest.raises(PriorityRulesError, match=f"'{named}'"):
        PriorityRules.from_document(_broken(path, value))


def test_priority_factors_must_not_all_be_zero() -> None:
    document = bundled_document("priority_rules.json")
    document["factors"] = {"severity": 0, "urgency": 0, "certainty": 0}
    with pytest.raises(PriorityRulesError, match="'factors'"):
        PriorityRules.from_document(document)


# --- dedup -----------------------------------------------------------------------------------

RULES = DedupRules(window_s=300, distance_m=50)


def existing(**changes: Any) -> Alert:
    return alert("open-1", **{"point": HERE, **changes})


def incoming(**changes: Any) -> Alert:
    values: dict[str, Any] = {"point": HERE, "sent": T0 + minutes(2)}
    values.update(changes)
    return alert("in-1", **values)


def test_geo_math_measures_metres_and_finds_positions() -> None:
    assert haversine_m(HERE, north_of(HERE, 120)) == pytest.approx(120, abs=1e-6)
    # Oslo to Bergen is about 305 km as the crow flies.
    assert haversine_m(GeoPoint(59.9139, 10.7522), GeoPoint(60.3913, 5.3221)) == pytest.approx(
        305_000, rel=0.01
    )
    ring = (GeoPoint(0, 0), GeoPoint(0, 2), GeoPoint(2, 2), GeoPoint(2, 0), GeoPoint(0, 0))
    assert position(alert(point=None, area=Area("Square", polygon=ring))) == GeoPoint(1, 1)
    circle = Area("Ring", circle=Circle(HERE, 0.5))
    assert position(alert(point=None, area=circle)) == HERE
    assert position(alert(point=None, area=Area("Somewhere"))) is None


def test_a_repeat_from_the_same_source_is_found() -> None:
    found = find_repeat(incoming(), [existing()], RULES)
    assert found is not None and found.identifier == "open-1"


@pytest.mark.parametrize(
    ("gap", "repeats"),
    [
        (timedelta(seconds=300), True),
        (timedelta(seconds=301), False),
        (-timedelta(seconds=300), True),
        (-timedelta(seconds=301), False),
    ],
)
def test_dedup_window_is_inclusive(gap: timedelta, repeats: bool) -> None:
    assert (find_repeat(incoming(sent=T0 + gap), [existing()], RULES) is not None) == repeats


def test_dedup_window_counts_from_the_last_sighting() -> None:
    seen_later = existing(last_seen=T0 + minutes(4), occurrences=3)
    assert find_repeat(incoming(sent=T0 + minutes(9)), [seen_later], RULES) is not None
    assert find_repeat(incoming(sent=T0 + minutes(9)), [existing()], RULES) is None


@pytest.mark.parametrize(("metres", "repeats"), [(49.0, True), (50.0, True), (51.0, False)])
def test_dedup_distance_is_inclusive(metres: float, repeats: bool) -> None:
    moved = incoming(point=north_of(HERE, metres))
    assert (find_repeat(moved, [existing()], RULES) is not None) == repeats


@pytest.mark.parametrize(
    "difference",
    [
        {"source_tool": "other-tool"},
        {"event_type": "firearm"},
        {"status": Status.ACTUAL},
    ],
)
def test_only_the_same_tool_type_and_status_repeat(difference: dict[str, Any]) -> None:
    assert find_repeat(incoming(**difference), [existing()], RULES) is None


def test_closed_alerts_and_the_alert_itself_are_not_repeats() -> None:
    assert find_repeat(incoming(), [existing(state=S.RESOLVED)], RULES) is None
    same = alert("open-1", point=HERE, sent=T0 + minutes(1))
    assert find_repeat(same, [existing()], RULES) is None


@pytest.mark.parametrize(
    ("first", "second", "repeats"),
    [
        (None, None, True),
        (Area("Stage"), Area(" stage  "), True),
        (Area("Stage"), Area("Harbour"), False),
        (Area("Stage"), None, False),
    ],
)
def test_alerts_without_position_repeat_on_equal_area_descriptions(
    first: Area | None, second: Area | None, repeats: bool
) -> None:
    old = existing(point=None, area=first)
    new = incoming(point=None, area=second)
    assert (find_repeat(new, [old], RULES) is not None) == repeats


def test_one_position_missing_falls_back_to_the_area_description() -> None:
    old = existing(area=Area("Stage"))
    assert find_repeat(incoming(point=None, area=Area("Stage")), [old], RULES) is not None
    assert find_repeat(incoming(point=None, area=Area("Gate B")), [old], RULES) is None


def test_the_most_recently_seen_match_wins() -> None:
    older = alert("open-0", point=HERE, sent=T0 - minutes(3))
    newer = alert("open-2", point=HERE, sent=T0 + minutes(1))
    found = find_repeat(incoming(), [older, existing(), newer], RULES)
    assert found is not None and found.identifier == "open-2"


def test_dedup_rules_refuse_negative_bounds() -> None:
    with pytest.raises(ValueError, match="negative"):
        DedupRules(window_s=-1)


def test_fold_keeps_identity_and_triage_and_takes_the_more_pressing_values() -> None:
    old = existing(
        state=S.ACKNOWLEDGED,
        assignee="op-1",
        priority=Priority.P2,
        confidence=0.9,
        headline="Knife at gate",
    )
    new = incoming(
        priority=Priority.P1,
        confidence=0.6,
        headline="Knife near the stage",
        description="Camera 4",
        evidence=(EvidenceLink("snapshot", "evidence://cam-4/2.jpg"),),
    )
    folded = fold_repeat(old, new)
    assert (folded.identifier, folded.state, folded.assignee) == ("open-1", S.ACKNOWLEDGED, "op-1")
    assert (folded.occurrences, folded.last_seen) == (2, new.sent)
    assert (folded.priority, folded.confidence) == (Priority.P1, 0.9)
    assert (folded.headline, folded.description) == ("Knife near the stage", "Camera 4")
    assert [e.uri for e in folded.evidence] == ["evidence://cam-3/1.jpg", "evidence://cam-4/2.jpg"]
    again = fold_repeat(folded, incoming(sent=T0 + minutes(3), confidence=0.95))
    assert (again.occurrences, again.last_seen, again.confidence) == (3, T0 + minutes(3), 0.95)


def test_a_late_repeat_does_not_turn_back_the_clock_or_the_headline() -> None:
    old = existing(last_seen=T0 + minutes(4), headline="Latest")
    folded = fold_repeat(old, incoming(sent=T0 + minutes(2), headline="Stale"))
    assert (folded.last_seen, folded.headline) == (T0 + minutes(4), "Latest")


def test_folded_evidence_stays_bounded() -> None:
    links = tuple(EvidenceLink("snapshot", f"evidence://{i}") for i in range(dedup.MAX_EVIDENCE))
    folded = fold_repeat(
        existing(evidence=links), incoming(evidence=(EvidenceLink("snapshot", "evidence://x"),))
    )
    assert len(folded.evidence) == dedup.MAX_EVIDENCE
    assert folded.evidence[-1].uri == "evidence://x"


# --- fusion ----------------------------------------------------------------------------------

FUSION = FusionRules.load()
TERMS = default_terminology()


def knife(identifier: str = "cam:1", **changes: Any) -> Alert:
    values: dict[str, Any] = {
        "source_tool": "weapon-detection",
        "event_type": "knife",
        "point": HERE,
        "priority": Priority.P1,
        "confidence": 0.81,
    }
    values.update(changes)
    return alert(identifier, **values)


def post(identifier: str = "soc:1", **changes: Any) -> Alert:
    values: dict[str, Any] = {
        "source_tool": "social-monitor",
        "event_type": "threatening_post",
        "category": Category.SECURITY,
        "headline": "Threat naming the City Hall square",
        "point": north_of(HERE, 100),
        "sent": T0 - minutes(4),
        "priority": Priority.P2,
        "confidence": 0.64,
    }
    values.update(changes)
    return alert(identifier, **values)


def test_two_tools_near_in_space_and_time_fuse_with_an_explanation() -> None:
    [candidate] = fuse([knife(), post()], FUSION, TERMS, NOW)
    assert candidate.members == ("cam:1", "soc:1")
    assert candidate.confidence == pytest.approx(1 - (1 - 0.81) * (1 - 0.9 * 0.64))
    assert candidate.confidence > 0.81
    assert candidate.priority == Priority.P1
    assert candidate.explanation == (
        "P1 because: Knife detected, weapon-detection, 0.81; "
        "Threatening post, social-monitor, 4 min earlier, 0.64"
    )
    assert [(r.alert_identifier, r.minutes_earlier, r.weight) for r in candidate.reasons] == [
        ("cam:1", 0, 0.9),
        ("soc:1", 4, 0.9),
    ]


def test_fused_priority_rises_one_level_only_above_the_threshold() -> None:
    [strong] = fuse([knife(priority=Priority.P2), post(priority=Priority.P3)], FUSION, TERMS, NOW)
    assert strong.confidence >= FUSION.raise_threshold and strong.priority == Priority.P1
    weak = [knife(priority=Priority.P2, confidence=0.5), post(priority=Priority.P3, confidence=0.3)]
    [candidate] = fuse(weak, FUSION, TERMS, NOW)
    assert candidate.confidence == pytest.approx(1 - 0.5 * (1 - 0.9 * 0.3))
    assert candidate.confidence < FUSION.raise_threshold and candidate.priority == Priority.P2


def test_explanation_minutes_are_whole_and_plural_aware() -> None:
    cases = {timedelta(seconds=30): "", minutes(1): ", 1 min earlier", minutes(4.99): ", 4 min"}
    for gap, expected in cases.items():
        [candidate] = fuse([knife(), post(sent=T0 - gap)], FUSION, TERMS, NOW)
        assert f"social-monitor{expected}" in candidate.explanation


def test_explanation_follows_the_language() -> None:
    i18n.set_language("fr")
    [candidate] = fuse([knife(), post()], FUSION, TERMS, NOW)
    assert "0,81" in candidate.explanation and "0,64" in candidate.explanation
    rebuilt = fusion.explain(candidate.priority, candidate.reasons, TERMS)
    assert rebuilt == candidate.explanation


def test_alerts_from_one_tool_never_fuse() -> None:
    assert fuse([knife(), post(source_tool="weapon-detection")], FUSION, TERMS, NOW) == []


@pytest.mark.parametrize(
    ("changes", "fused"),
    [
        ({"point": north_of(HERE, 400)}, True),
        ({"point": north_of(HERE, 401)}, False),
        ({"sent": T0 - timedelta(seconds=1800)}, True),
        ({"sent": T0 - timedelta(seconds=1801)}, False),
        ({"sent": T0 + timedelta(seconds=1801)}, False),
        ({"status": Status.ACTUAL}, False),
        ({"state": S.DISMISSED}, False),
    ],
)
def test_far_late_or_unrelated_alerts_do_not_fuse(changes: dict[str, Any], fused: bool) -> None:
    assert bool(fuse([knife(), post(**changes)], FUSION, TERMS, NOW + minutes(40))) == fused


def test_the_time_gap_counts_from_the_last_sighting() -> None:
    early = post(sent=T0 - minutes(45), last_seen=T0 - minutes(10), occurrences=4)
    assert len(fuse([knife(), early], FUSION, TERMS, NOW)) == 1


def test_old_alerts_fall_out_of_the_look_back() -> None:
    later = NOW + timedelta(seconds=FUSION.lookback_s)
    assert fuse([knife(), post()], FUSION, TERMS, later) == []
    assert len(fuse([knife(), post()], FUSION, TERMS, None)) == 1


def test_an_alert_passed_twice_is_one_member() -> None:
    [candidate] = fuse([knife(), post(), knife()], FUSION, TERMS, NOW)
    assert len(candidate.reasons) == 2


def test_three_alerts_group_transitively() -> None:
    # knife-post 300 m apart, post-firearm 300 m apart, knife-firearm 600 m: too far directly.
    far_post = post(point=north_of(HERE, 300))
    gun = knife("mic:1", source_tool="acoustic", event_type="firearm", point=north_of(HERE, 600))
    [candidate] = fuse([gun, knife(), far_post], FUSION, TERMS, NOW)
    assert candidate.members == ("cam:1", "mic:1", "soc:1")
    assert len(candidate.reasons) == 3


def test_candidate_identifiers_are_stable() -> None:
    alerts = [knife(), post(), knife("mic:1", source_tool="acoustic", event_type="firearm")]
    first = fuse(alerts, FUSION, TERMS, NOW)
    shuffled = alerts[:]
    random.Random(7).shuffle(shuffled)
    assert [c.identifier for c in fuse(shuffled, FUSION, TERMS, NOW)] == [
        c.identifier for c in first
    ]
    assert first[0].identifier == candidate_identifier(["soc:1", "mic:1", "cam:1"])
    assert candidate_identifier(["cam:1", "soc:1"]) != first[0].identifier


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("cyber_intrusion", "crowd_density"),  # not listed: default weight 0
        ("camera_offline", "camera_offline"),  # listed with weight 0, beats same-type weight
    ],
)
def test_zero_weight_pairs_do_not_fuse(first: str, second: str) -> None:
    a = knife(event_type=first)
    b = post(event_type=second)
    assert FUSION.weight(a, b) == 0.0
    assert fuse([a, b], FUSION, TERMS, NOW) == []


def test_related_pairs_of_the_house_rules() -> None:
    cases = {
        ("knife", "call_to_gather"): 0.9,
        ("knife", "knife"): 0.8,
        ("biological_contamination", "sensor_threshold"): 0.7,
        ("cyber_intrusion", "physical_threat_intel"): 0.3,
        ("physical_threat_intel", "cyber_intrusion"): 0.3,
        ("explosion", "biological_contamination"): 0.6,  # both CBRNE
        ("loitering", "loitering"): FUSION.same_event_type_weight,
    }
    for (first, second), weight in cases.items():
        a = knife(event_type=first, category=TERMS.event_type(first).category)
        b = post(event_type=second, category=TERMS.event_type(second).category)
        assert FUSION.weight(a, b) == weight, (first, second)


def test_the_most_specific_pair_rule_wins() -> None:
    rules = FusionRules.from_document(
        {
            "max_distance_m": 100,
            "window_s": 60,
            "raise_threshold": 0.9,
            "groups": {"weapons": ["knife", "firearm"]},
            "pairs": [
                {"between": ["category:Security", "category:Security"], "weight": 0.9},
                {"between": ["group:weapons", "threatening_post"], "weight": 0.5},
                {"between": ["threatening_post", "knife"], "weight": 0.2},
            ],
        }
    )
    assert rules.weight(knife(), post()) == 0.2
    assert rules.weight(knife(event_type="firearm"), post()) == 0.5
    assert rules.weight(knife(event_type="fight"), post()) == 0.9


def test_missing_positions_fuse_on_the_same_described_place() -> None:
    a = knife(point=None, area=Area("City Hall square"))
    b = post(point=None, area=Area("city hall  Square"))
    assert len(fuse([a, b], FUSION, TERMS, NOW)) == 1
    assert fuse([a, post(point=None, area=Area("Harbour"))], FUSION, TERMS, NOW) == []
    assert fuse([a, post(point=None, area=None)], FUSION, TERMS, NOW) == []
    strict = FusionRules.from_document(
        {**bundled_document("fusion_rules.json"), "match_area_description": False}
    )
    assert fuse([a, b], strict, TERMS, NOW) == []


def test_combined_confidence_is_a_noisy_or_led_by_the_best_member() -> None:
    assert fusion.combined_confidence([(0.6, 1.0)]) == 0.6
    assert fusion.combined_confidence([(0.5, 0.0), (0.9, 0.5)]) == pytest.approx(
        1 - 0.1 * (1 - 0.0 * 0.5)
    )
    assert fusion.combined_confidence([(0.5, 1.0), (0.5, 1.0), (0.5, 1.0)]) == 0.875


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"max_distance_m": -1}, "max_distance_m"),
        ({"raise_threshold": 1.5}, "raise_threshold"),
        ({"window_s": None}, "window_s"),
        ({"groups": {"empty": []}}, "groups.empty"),
        ({"pairs": [{"between": ["group:nope", "knife"], "weight": 0.5}]}, "pairs[0].between[0]"),
        ({"pairs": [{"between": ["knife", "category:Magic"], "weight": 0.5}]}, "between[1]"),
        ({"pairs": [{"between": ["knife"], "weight": 0.5}]}, "pairs[0].between"),
        ({"pairs": [{"between": ["knife", "fight"], "weight": 2}]}, "pairs[0].weight"),
        ({"pairs": [{"between": ["knife", "fight"]}]}, "pairs[0].weight"),
        ({"window": 60}, "window"),
    ],
)
def test_broken_fusion_rules_name_the_key(changes: dict[str, Any], named: str) -> None:
    document = {**bundled_document("fusion_rules.json"), **changes}
    with pytest.raises(FusionRulesError, match=named.replace("[", r"\[").replace("]", r"\]")):
        FusionRules.from_document(document)


def test_fusion_rules_require_their_bounds() -> None:
    document = bundled_document("fusion_rules.json")
    del document["max_distance_m"]
    with pytest.raises(FusionRulesError, match="'max_distance_m'"):
        FusionRules.from_document(document)


# --- flood -----------------------------------------------------------------------------------


def feed(monitor: FloodMonitor, count: int, start: Any = T0, step_s: float = 1.0, **kw: Any):
    for i in range(count):
        monitor.observe(alert(f"f-{i}", sent=start + timedelta(seconds=i * step_s), **kw))


def test_flooding_starts_at_the_threshold() -> None:
    monitor = FloodMonitor(threshold=5)
    feed(monitor, 4)
    assert not monitor.state(T0 + minutes(1)).flooding
    feed(monitor, 1, start=T0 + timedelta(seconds=10))
    state = monitor.state(T0 + minutes(1))
    assert state.flooding and state.count == 5


def test_alerts_leave_the_window_exactly_when_it_has_passed() -> None:
    monitor = FloodMonitor(threshold=2, window_s=600)
    feed(monitor, 2, step_s=60)  # at T0 and T0 + 1 min
    assert monitor.state(T0 + timedelta(seconds=599)).count == 2
    assert monitor.state(T0 + timedelta(seconds=600)).count == 1
    assert not monitor.state(T0 + timedelta(seconds=660)).flooding
    assert len(monitor) == 0


def test_flood_groups_by_type_and_source_largest_first() -> None:
    monitor = FloodMonitor(threshold=3)
    feed(monitor, 3, event_type="camera_offline", source_tool="vms")
    feed(monitor, 1, start=T0 + minutes(2), event_type="knife", source_tool="weapon-detection")
    feed(monitor, 1, start=T0 + minutes(3), event_type="knife", source_tool="other")
    groups = monitor.state(T0 + minutes(5)).groups
    assert [(g.event_type, g.source_tool, g.count) for g in groups] == [
        ("camera_offline", "vms", 3),
        ("knife", "other", 1),
        ("knife", "weapon-detection", 1),
    ]
    assert groups[0].newest == T0 + timedelta(seconds=2)


def test_flood_memory_stays_bounded() -> None:
    monitor = FloodMonitor(threshold=10, window_s=60)
    for i in range(1000):
        moment = T0 + timedelta(seconds=i)
        monitor.observe(alert(f"f-{i}", sent=moment), at=moment)
    assert len(monitor) == 60  # the entry exactly a window old has gone
    capped = FloodMonitor(threshold=10, window_s=600, max_entries=50)
    feed(capped, 200)
    assert len(capped) == 50
    assert capped.state(T0 + minutes(4)).count == 50


def test_a_tool_clock_running_ahead_does_not_empty_the_window() -> None:
    monitor = FloodMonitor(threshold=3)
    feed(monitor, 2)
    monitor.observe(alert("ahead", sent=T0 + timedelta(hours=1)))
    assert monitor.state(T0 + minutes(1)).count == 3


def test_out_of_order_alerts_are_counted() -> None:
    monitor = FloodMonitor(threshold=3)
    for offset in (5, 1, 3):
        monitor.observe(alert(f"o-{offset}", sent=T0 + minutes(offset)))
    assert monitor.state(T0 + minutes(11)).count == 2


def test_flood_banner_text() -> None:
    monitor = FloodMonitor(threshold=200)
    feed(monitor, 180, step_s=2, event_type="camera_offline", source_tool="vms")
    feed(monitor, 60, step_s=2, event_type="knife")
    text = banner_text(monitor.state(T0 + minutes(9)), TERMS)
    assert text == (
        "Alert flood: 240 alerts in 10 minutes, grouped by type and source. "
        "Largest group: Camera offline from vms (180)."
    )
    assert banner_text(FloodMonitor(threshold=5).state(T0), TERMS) == ""


def test_flood_banner_counts_in_the_language() -> None:
    monitor = FloodMonitor(threshold=2, window_s=60)
    feed(monitor, 1200, step_s=0.01)
    i18n.set_language("fr")
    assert "1\u202f200" in banner_text(monitor.state(T0 + timedelta(seconds=30)), TERMS)


def test_flood_monitor_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="positive"):
        FloodMonitor(threshold=0)
    assert flood.MAX_ENTRIES >= 10_000


# --- SOP checklists --------------------------------------------------------------------------

REQUIRED_SOPS = [
    "weapon",
    "knife",
    "firearm",
    "crowd_density",
    "biological_contamination",
    "camera_offline",
    "threatening_post",
    "cyber_intrusion",
    "physical_threat_intel",
    "unknown",
]


@pytest.mark.parametrize("event_type", REQUIRED_SOPS)
def test_every_required_event_type_has_a_checklist(event_type: str) -> None:
    library = SopLibrary.load()
    assert library.has_checklist(event_type)
    assert 3 <= len(library.steps(event_type)) <= 10


def test_checklists_are_for_known_event_types() -> None:
    known = {e.id for e in TERMS.event_types()} | {"unknown"}
    assert set(SopLibrary.load().checklists) <= known


def test_unknown_event_types_fall_back_to_the_generic_checklist() -> None:
    library = SopLibrary.load()
    assert library.steps("loitering") == library.steps("unknown")
    assert library.steps("no_such_type") == library.steps("unknown")
    assert library.steps("knife")[0] == "Confirm on a second camera"


def test_steps_are_translated_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    library = SopLibrary.load()
    english = library.steps("weapon")
    i18n.set_language("fr")
    french = library.steps("weapon")
    assert len(french) == len(english) and all(french)
    assert french != english, "the French catalog translates the checklist"
    monkeypatch.setattr(sop, "gettext", lambda message: message.upper())
    assert library.steps("weapon") == tuple(step.upper() for step in english)


def test_steps_are_extractable_for_the_catalogs() -> None:
    raw = resources.files("resources").joinpath(sop.RESOURCE).read_bytes()
    extracted = {message for _, _, message, _ in extract_json_names(io.BytesIO(raw), [], [], {})}
    assert extracted == set(SopLibrary.load().msgids())


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({}, "'checklists'"),
        ({"checklists": {"knife": [{"name": "Look"}]}}, "'checklists.unknown'"),
        ({"checklists": {"unknown": []}}, "'checklists.unknown'"),
        ({"checklists": {"unknown": [{"name": " "}]}}, r"'checklists.unknown\[0\].name'"),
        ({"checklists": {"unknown": ["Look"]}}, r"'checklists.unknown\[0\].name'"),
    ],
)
def test_broken_checklists_name_the_key(document: dict[str, Any], named: str) -> None:
    with pytest.raises(SopError, match=named):
        SopLibrary.from_document(document)
