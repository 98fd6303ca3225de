"""The alert lifecycle, as ISA-18.2 and EEMUA 191 describe alarm handling.

An operator acknowledges an alert (I have seen it), starts work on it, resolves or dismisses it
(closed), and may assign, escalate or shelve it while it is open. Shelving hides a nuisance
alert for a bounded time and always with a reason, so that nothing is silenced for ever without
a trace. A closed alert changes only by being reopened, again with a reason.

Every operation is a pure function: it validates the transition, returns the new alert and the
action record that goes into the action log (and, for the four verbs tools understand, back to
the tool). Nothing here reads the clock; the caller passes ``now``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.model import Alert, AlertAction, AlertState, Priority, new_identifier
from i18n import N_, format_datetime, gettext


class Action(StrEnum):
    """What an operator did; the value is what the action log stores."""

    ACKNOWLEDGE = "acknowledge"
    START = "start"
    RESOLVE = "resolve"
    DISMISS = "dismiss"
    ASSIGN = "assign"
    ESCALATE = "escalate"
    SHELVE = "shelve"
    UNSHELVE = "unshelve"
    REOPEN = "reopen"


OPEN_STATES = frozenset({AlertState.NEW, AlertState.ACKNOWLEDGED, AlertState.IN_PROGRESS})
CLOSED_STATES = frozenset({AlertState.RESOLVED, AlertState.DISMISSED})

# Lower case: these are inserted into sentences ("... an alert that is {state}.").
STATE_LABELS = {
    AlertState.NEW: N_("new"),
    AlertState.ACKNOWLEDGED: N_("acknowledged"),
    AlertState.IN_PROGRESS: N_("in progress"),
    AlertState.RESOLVED: N_("resolved"),
    AlertState.DISMISSED: N_("dismissed"),
}

# One whole sentence per action, so that translators never assemble verbs and states.
_REFUSALS = {
    Action.ACKNOWLEDGE: N_("Cannot acknowledge an alert that is {state}."),
    Action.START: N_("Cannot start work on an alert that is {state}."),
    Action.RESOLVE: N_("Cannot resolve an alert that is {state}."),
    Action.DISMISS: N_("Cannot dismiss an alert that is {state}."),
    Action.ASSIGN: N_("Cannot assign an alert that is {state}."),
    Action.ESCALATE: N_("Cannot escalate an alert that is {state}."),
    Action.SHELVE: N_("Cannot shelve an alert that is {state}."),
    Action.UNSHELVE: N_("Cannot unshelve an alert that is {state} and not shelved."),
    Action.REOPEN: N_("Cannot reopen an alert that is {state}."),
}

_REASON_REQUIRED = {
    Action.DISMISS: N_("Give a reason to dismiss an alert, for example a false alarm."),
    Action.SHELVE: N_("Give a reason to shelve an alert."),
    Action.REOPEN: N_("Give a reason to reopen an alert."),
}

# The verbs of the tool API (``ActionOut.action``); other actions stay in the console.
_PUSH_BACK = {
    Action.ACKNOWLEDGE: "acknowledged",
    Action.RESOLVE: "resolved",
    Action.DISMISS: "dismissed",
    Action.ESCALATE: "escalated",
}


class LifecycleError(ValueError):
    """An operator asked for a change the lifecycle forbids; the message is translated and
    meant to be shown as it is."""

    def __init__(self, message: str, action: Action, state: AlertState) -> None:
        super().__init__(message)
        self.action = action
        self.state = state


@dataclass(frozen=True, slots=True)
class AlertChange:
    """The outcome of one operator action: the alert as it is now, and the record of why."""

    alert: Alert
    action: AlertAction


def is_open(alert: Alert) -> bool:
    return alert.state in OPEN_STATES


def is_shelved(alert: Alert, now: datetime) -> bool:
    """Shelving ends by itself at ``shelved_until`` (EEMUA 191: no alert is shelved for ever),
    and a closed alert is never shown as shelved."""
    return is_open(alert) and alert.shelved_until is not None and now < alert.shelved_until


def state_label(state: AlertState) -> str:
    """The state's name in the current language, lower case for use inside a sentence."""
    return gettext(STATE_LABELS[state])


def push_back_verb(action: Action | str) -> str | None:
    """The tool-API verb for an action, or ``None`` when tools are not told (assign, start,
    shelve, unshelve, reopen: the tool API has no verb for them)."""
    try:
        return _PUSH_BACK.get(Action(action))
    except ValueError:
        return None


def acknowledge(alert: Alert, by: str, now: datetime, *, reason: str = "") -> AlertChange:
    _require(alert, Action.ACKNOWLEDGE, {AlertState.NEW})
    return _transition(alert, Action.ACKNOWLEDGE, by, now, AlertState.ACKNOWLEDGED, reason)


def start(alert: Alert, by: str, now: datetime, *, reason: str = "") -> AlertChange:
    """Work starts on the alert; whoever starts it owns it unless someone already does."""
    _require(alert, Action.START, {AlertState.NEW, AlertState.ACKNOWLEDGED})
    change = _transition(alert, Action.START, by, now, AlertState.IN_PROGRESS, reason)
    if alert.assignee is not None:
        return change
    owned = dataclasses.replace(change.alert, assignee=by)
    details = (*change.action.details, ("assignee", by))
    return AlertChange(owned, dataclasses.replace(change.action, details=details))


def resolve(alert: Alert, by: str, now: datetime, *, reason: str = "") -> AlertChange:
    _require(alert, Action.RESOLVE, OPEN_STATES)
    return _transition(alert, Action.RESOLVE, by, now, AlertState.RESOLVED, reason)


def dismiss(alert: Alert, by: str, now: datetime, reason: str) -> AlertChange:
    """Closes an alert that needs no response (false alarm, duplicate, exercise artefact); the
    reason is mandatory because dismissals are what an alarm-system review looks at first."""
    _require(alert, Action.DISMISS, OPEN_STATES)
    reason = _require_reason(alert, Action.DISMISS, reason)
    return _transition(alert, Action.DISMISS, by, now, AlertState.DISMISSED, reason)


def reopen(alert: Alert, by: str, now: datetime, reason: str) -> AlertChange:
    """Back to acknowledged, not new: someone has plainly seen it already."""
    _require(alert, Action.REOPEN, CLOSED_STATES)
    reason = _require_reason(alert, Action.REOPEN, reason)
    return _transition(alert, Action.REOPEN, by, now, AlertState.ACKNOWLEDGED, reason)


def assign(alert: Alert, by: str, now: datetime, to: str, *, reason: str = "") -> AlertChange:
    _require(alert, Action.ASSIGN, OPEN_STATES)
    to = to.strip()
    if not to:
        raise LifecycleError(
            gettext("Choose the operator to assign the alert to."), Action.ASSIGN, alert.state
        )
    if to == alert.assignee:
        message = gettext("The alert is already assigned to {operator}.").format(operator=to)
        raise LifecycleError(message, Action.ASSIGN, alert.state)
    details = (("previous_assignee", alert.assignee or ""), ("assignee", to))
    return _record(dataclasses.replace(alert, assignee=to), Action.ASSIGN, by, now, reason, details)


def escalate(alert: Alert, by: str, now: datetime, *, reason: str = "") -> AlertChange:
    """One priority level up. A P1 stays P1, but the escalation is still recorded and pushed
    back: escalating is also a call for attention, not only a number. The state is kept
    (escalating a new alert does not acknowledge it)."""
    _require(alert, Action.ESCALATE, OPEN_STATES)
    raised = Priority(max(Priority.P1, alert.priority - 1))
    details = (("from_priority", alert.priority.name), ("to_priority", raised.name))
    changed = dataclasses.replace(alert, priority=raised)
    return _record(changed, Action.ESCALATE, by, now, reason, details)


def shelve(alert: Alert, by: str, now: datetime, until: datetime, reason: str) -> AlertChange:
    """Hides an open alert until ``until``; re-shelving a shelved alert replaces its shelf."""
    _require(alert, Action.SHELVE, OPEN_STATES)
    reason = _require_reason(alert, Action.SHELVE, reason)
    if until <= now:
        message = gettext("Shelve until a later time: {until} is not after {now}.").format(
            now=format_datetime(now, "short"), until=format_datetime(until, "short")
        )
        raise LifecycleError(message, Action.SHELVE, alert.state)
    changed = dataclasses.replace(alert, shelved_until=until, state_reason=reason)
    return _record(changed, Action.SHELVE, by, now, reason, (("until", until.isoformat()),))


def unshelve(alert: Alert, by: str, now: datetime, *, reason: str = "") -> AlertChange:
    """Ends a shelf early, or clears one that has run out; the shelving reason goes with it."""
    if not is_open(alert) or alert.shelved_until is None:
        _refuse(alert, Action.UNSHELVE)
    changed = dataclasses.replace(alert, shelved_until=None, state_reason="")
    return _record(changed, Action.UNSHELVE, by, now, reason, ())


def _require(alert: Alert, action: Action, allowed: Collection[AlertState]) -> None:
    if alert.state not in allowed:
        _refuse(alert, action)


def _refuse(alert: Alert, action: Action) -> None:
    message = gettext(_REFUSALS[action]).format(state=state_label(alert.state))
    raise LifecycleError(message, action, alert.state)


def _require_reason(alert: Alert, action: Action, reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise LifecycleError(gettext(_REASON_REQUIRED[action]), action, alert.state)
    return reason


def _transition(
    alert: Alert, action: Action, by: str, now: datetime, to: AlertState, reason: str
) -> AlertChange:
    """A change of state. Closing or reopening clears a shelf; a shelf that continues keeps
    its reason unless the operator gives a new one."""
    shelved_until = None if to in CLOSED_STATES or action is Action.REOPEN else alert.shelved_until
    kept_reason = alert.state_reason if shelved_until is not None else ""
    changed = dataclasses.replace(
        alert, state=to, state_reason=reason.strip() or kept_reason, shelved_until=shelved_until
    )
    details = (("from_state", alert.state.value), ("to_state", to.value))
    return _record(changed, action, by, now, reason, details)


def _record(
    changed: Alert,
    action: Action,
    by: str,
    now: datetime,
    reason: str,
    details: tuple[tuple[str, str], ...],
) -> AlertChange:
    if not by.strip():
        # A programming error, not an operator's: every action has an author in the log.
        raise ValueError("an alert action needs the operator who takes it")
    record = AlertAction(
        identifier=new_identifier(),
        alert_identifier=changed.identifier,
        action=action.value,
        by=by,
        time=now,
        reason=reason.strip(),
        details=details,
    )
    return AlertChange(changed, record)
