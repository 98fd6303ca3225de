"""Incident log lines: written once, read in whichever language the reader has chosen.

Each automatic entry keeps its sentence as an English msgid with its values in ``details``
(``msgid``, ``params``, and ``translate``: the values that are themselves msgids, such as an
SOP step); ``text`` holds the English sentence for search and export. ``describe`` rebuilds
the sentence in the current language, so an Arabic commander reads an English operator's log
in Arabic. Notes are people's own words and are shown as typed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.alerts.fusion import FusionCandidate, FusionReason, explain
from app.incidents.sop_tasks import checklist_steps
from app.model import Alert, AlertAction, IncidentEntry, Priority, new_identifier
from app.terminology import Terminology
from i18n import N_, gettext, is_rtl, isolate

OPENED = N_("Incident opened: {title}")
ALERT_ADDED = N_("Alert added: {alert}")
COMMANDER = N_("Commander assigned: {commander}")
TASK_ADDED = N_("Task added: {title}")
TASK_DONE = N_("Task done: {title}")
TASK_UNDONE = N_("Task not done any more: {title}")
SOP_DONE = N_("Checklist step done: {title}")
SOP_UNDONE = N_("Checklist step not done any more: {title}")
WITH_REASON = N_("{text} (reason: {reason})")
STATE_CHANGES = {
    "open": N_("Incident reopened"),
    "active": N_("Incident activated"),
    "contained": N_("Incident contained"),
    "closed": N_("Incident closed"),
}
ACTIONS = {
    "acknowledge": N_("Alert acknowledged: {alert}"),
    "start": N_("Work started on alert: {alert}"),
    "resolve": N_("Alert resolved: {alert}"),
    "dismiss": N_("Alert dismissed: {alert}"),
    "assign": N_("Alert assigned to {assignee}: {alert}"),
    "escalate": N_("Alert escalated to {priority}: {alert}"),
    "shelve": N_("Alert shelved: {alert}"),
    "unshelve": N_("Alert unshelved: {alert}"),
    "reopen": N_("Alert reopened: {alert}"),
    "mark-true": N_("Detection confirmed as correct: {alert}"),
    "mark-false": N_("Detection marked as false: {alert}"),
}
OTHER_ACTION = N_("{action} on alert: {alert}")
SOP_STEP_DONE = N_("Step {number} done on alert {alert}: {step}")
SOP_STEP_UNDONE = N_("Step {number} not done any more on alert {alert}: {step}")


def entry(
    incident_id: str,
    kind: str,
    by: str,
    time: datetime,
    msgid: str,
    params: Mapping[str, Any] | None = None,
    *,
    translate: tuple[str, ...] = (),
    identifier: str | None = None,
    **extra: Any,
) -> IncidentEntry:
    """An automatic log line; ``extra`` goes into ``details`` beside the sentence."""
    values = {k: str(v) for k, v in (params or {}).items()}
    details: dict[str, Any] = {"msgid": msgid, "params": values, **extra}
    if translate:
        details["translate"] = list(translate)
    return IncidentEntry(
        identifier=identifier or new_identifier(),
        incident_identifier=incident_id,
        time=time,
        by=by,
        kind=kind,
        text=_render(msgid, values),
        details=details,
    )


def note(incident_id: str, text: str, by: str, time: datetime) -> IncidentEntry:
    return IncidentEntry(
        identifier=new_identifier(),
        incident_identifier=incident_id,
        time=time,
        by=by,
        kind="note",
        text=text,
    )


def fusion_entry(
    incident_id: str, candidate: FusionCandidate, by: str, time: datetime
) -> IncidentEntry:
    """The fusion explanation the incident was opened from, kept as data (rebuilt in the
    reader's language) and as the text the console showed then."""
    return IncidentEntry(
        identifier=new_identifier(),
        incident_identifier=incident_id,
        time=time,
        by=by,
        kind="fusion",
        text=candidate.explanation,
        details={
            "fusion": {
                "key": candidate.identifier,
                "priority": candidate.priority.name,
                "confidence": candidate.confidence,
                "reasons": [dataclasses.asdict(r) for r in candidate.reasons],
            }
        },
    )


def action_entry(incident_id: str, action: AlertAction, alert: Alert | None) -> IncidentEntry:
    """An operator's action on a member alert, as the incident log tells it."""
    details = dict(action.details)
    headline = alert.headline if alert is not None else action.alert_identifier
    params: dict[str, Any] = {"alert": headline, **details}
    translate: tuple[str, ...] = ()
    if action.action == "sop-step":
        number = int(details.get("step", "0"))
        params["number"] = number + 1
        params["step"] = _sop_step(alert, number)
        msgid = SOP_STEP_DONE if details.get("done") == "true" else SOP_STEP_UNDONE
        translate = ("step",)
    elif action.action in ACTIONS:
        msgid = ACTIONS[action.action]
        params["assignee"] = details.get("assignee", "")
        params["priority"] = details.get("to_priority", "")
    else:
        msgid, params["action"] = OTHER_ACTION, action.action
    if action.reason:
        params["reason"] = action.reason
    return entry(
        incident_id,
        "action",
        action.by,
        action.time,
        msgid,
        params,
        translate=translate,
        identifier=f"{incident_id}.{action.identifier}",
        alert_id=action.alert_identifier,
        action=action.action,
    )


def _sop_step(alert: Alert | None, number: int) -> str:
    steps = checklist_steps(alert.event_type) if alert is not None else ()
    return steps[number] if 0 <= number < len(steps) else str(number + 1)


def describe(item: IncidentEntry, terms: Terminology | None = None) -> str:
    """The entry's sentence in the current language."""
    details = item.details or {}
    if "fusion" in details and terms is not None:
        fusion = details["fusion"]
        reasons = tuple(FusionReason(**r) for r in fusion.get("reasons", []))
        return explain(Priority[fusion["priority"]], reasons, terms)
    msgid = details.get("msgid")
    if not msgid:
        return item.text
    params = dict(details.get("params", {}))
    for name in details.get("translate", []):
        if name in params:
            params[name] = gettext(params[name])
    return _render(msgid, params, translated=True)


def _render(msgid: str, params: Mapping[str, str], translated: bool = False) -> str:
    shown = {k: isolate(v) if translated and is_rtl() else v for k, v in params.items()}
    text = (gettext(msgid) if translated else msgid).format_map(_Missing(shown))
    reason = params.get("reason")
    if reason:
        wrapper = gettext(WITH_REASON) if translated else WITH_REASON
        text = wrapper.format(text=text, reason=shown["reason"])
    return text


class _Missing(dict):
    """Formats a sentence even when a value is missing (an older entry, a renamed field)."""

    def __missing__(self, key: str) -> str:
        return ""
