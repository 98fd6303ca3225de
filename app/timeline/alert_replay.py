"""An alert's triage as it stood at a past instant, replayed from its action log.

The store keeps each alert's current triage and every action taken on it (``alert_actions``),
with the lifecycle's own record of each change (``from_state``/``to_state``,
``from_priority``/``to_priority``, ``assignee``, ``until``). Replaying the actions up to ``t``
gives the triage at ``t``; when no action of a kind happened by ``t``, the first one after
``t`` says what it changed *from*, which is what it was at ``t``. With no action of a kind at
all, the stored value never changed and is the answer.

What the store does not keep cannot be replayed: repeats are a count and the latest sighting,
so when the latest is after ``t`` the alert shows its first sighting only (``occurrences`` 1).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from app.model import Alert, AlertState, Priority

# The lifecycle's state changes (app/alerts/lifecycle.py); reopen returns to acknowledged.
STATE_OF_ACTION = {
    "acknowledge": AlertState.ACKNOWLEDGED,
    "start": AlertState.IN_PROGRESS,
    "resolve": AlertState.RESOLVED,
    "dismiss": AlertState.DISMISSED,
    "reopen": AlertState.ACKNOWLEDGED,
}
CLOSING = frozenset({"resolve", "dismiss"})
# Actions that end a shelf besides unshelve: closing, and reopening (lifecycle._transition).
_UNSHELVING = frozenset({"unshelve", "resolve", "dismiss", "reopen"})
_REASONED = frozenset({*STATE_OF_ACTION, "shelve", "unshelve"})
REPLAYED = frozenset({*_REASONED, "escalate", "assign"})


class ActionFact(NamedTuple):
    """The parts of an ``AlertAction`` the replay reads."""

    action: str
    by: str
    time: datetime
    reason: str
    details: dict[str, str]


class Triage(NamedTuple):
    """The fields of an alert that change after it arrives (operator's and repeats)."""

    state: AlertState
    priority: Priority
    assignee: str | None
    shelved_until: datetime | None
    state_reason: str
    occurrences: int
    last_seen: datetime | None

    @classmethod
    def of(cls, alert: Alert) -> Triage:
        return cls(
            alert.state,
            alert.priority,
            alert.assignee,
            alert.shelved_until,
            alert.state_reason,
            alert.occurrences,
            alert.last_seen,
        )


def replay(alert: Alert, actions: Sequence[ActionFact], t: datetime) -> Alert:
    """``alert`` as it stood at ``t``; ``actions`` are all of its actions, in time order."""
    return dataclasses.replace(alert, **triage_at(Triage.of(alert), actions, t)._asdict())


def triage_at(now: Triage, actions: Sequence[ActionFact], t: datetime) -> Triage:
    """The triage at ``t`` of an alert whose triage is ``now``."""
    before = [a for a in actions if a.time <= t]
    after = [a for a in actions if a.time > t]
    shelf, reason = _shelf_and_reason(now, actions, before)
    occurrences, last_seen = now.occurrences, now.last_seen
    if last_seen is not None and last_seen > t:
        occurrences, last_seen = 1, None
    return Triage(
        _state(now, before, after),
        _priority(now, before, after),
        _assignee(now, before, after),
        shelf,
        reason,
        occurrences,
        last_seen,
    )


def _state(now: Triage, before: list[ActionFact], after: list[ActionFact]) -> AlertState:
    done = [a for a in before if a.action in STATE_OF_ACTION]
    if done:
        last = done[-1]
        return _as_state(last.details.get("to_state"), STATE_OF_ACTION[last.action])
    later = [a for a in after if a.action in STATE_OF_ACTION]
    if later:
        return _as_state(later[0].details.get("from_state"), AlertState.NEW)
    return now.state


def _priority(now: Triage, before: list[ActionFact], after: list[ActionFact]) -> Priority:
    done = [a for a in before if a.action == "escalate"]
    if done:
        return _as_priority(done[-1].details.get("to_priority"), now.priority)
    later = [a for a in after if a.action == "escalate"]
    if later:
        return _as_priority(later[0].details.get("from_priority"), now.priority)
    return now.priority


def _assignee(now: Triage, before: list[ActionFact], after: list[ActionFact]) -> str | None:
    done = [a for a in before if "assignee" in a.details]
    if done:
        return done[-1].details["assignee"] or None
    later = [a for a in after if "assignee" in a.details]
    if later:
        # Assign records who had it; start names an owner only when there was none.
        return later[0].details.get("previous_assignee") or None
    return now.assignee


def _shelf_and_reason(
    now: Triage, actions: Sequence[ActionFact], before: list[ActionFact]
) -> tuple[datetime | None, str]:
    """The shelf and the state's reason at ``t``. Alerts arrive unshelved and without a
    reason, so once the log says anything about them, the log alone decides."""
    if not any(a.action in _REASONED for a in actions):
        return now.shelved_until, now.state_reason
    shelf: datetime | None = None
    reason = ""
    for fact in before:
        if fact.action == "shelve":
            shelf = _as_time(fact.details.get("until"))
            reason = fact.reason
        elif fact.action in _UNSHELVING:
            shelf, reason = None, "" if fact.action == "unshelve" else fact.reason
        elif fact.action in STATE_OF_ACTION:
            reason = fact.reason or (reason if shelf is not None else "")
    return shelf, reason


def _as_state(value: str | None, default: AlertState) -> AlertState:
    try:
        return AlertState(value) if value else default
    except ValueError:
        return default


def _as_priority(value: str | None, default: Priority) -> Priority:
    try:
        return Priority[value] if value else default
    except KeyError:
        return default


def _as_time(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
