"""The sentences of the operator-actions lane: who did what to which alert.

One whole sentence per action (translators never assemble a verb and a name), with the
operator and the alert's headline as values. Unknown actions, which other parts of the
console may add later, still read as "<action> by <operator>: <headline>".
"""

from __future__ import annotations

from collections.abc import Mapping

from app.incidents.log_text import describe
from app.model import IncidentEntry, Priority
from app.terminology import Terminology
from app.timeline.lanes import shown
from i18n import N_
from i18n import gettext as _

ACTION_TITLES = {
    "acknowledge": N_("Acknowledged by {operator}: {alert}"),
    "start": N_("Work started by {operator}: {alert}"),
    "resolve": N_("Resolved by {operator}: {alert}"),
    "dismiss": N_("Dismissed by {operator}: {alert}"),
    "assign": N_("Assigned to {assignee} by {operator}: {alert}"),
    "escalate": N_("Escalated to {priority} by {operator}: {alert}"),
    "shelve": N_("Shelved by {operator}: {alert}"),
    "unshelve": N_("Unshelved by {operator}: {alert}"),
    "reopen": N_("Reopened by {operator}: {alert}"),
    "mark-true": N_("Confirmed as correct by {operator}: {alert}"),
    "mark-false": N_("Marked as false by {operator}: {alert}"),
}
SOP_DONE = N_("Checklist step {number} done by {operator}: {alert}")
SOP_UNDONE = N_("Checklist step {number} unticked by {operator}: {alert}")
OTHER_ACTION = N_("{action} by {operator}: {alert}")
NOTE = N_("Note by {operator}: {text}")
ENTRY = N_("{operator}: {text}")


def action_title(
    action: str,
    by: str,
    details: Mapping[str, str],
    headline: str | None,
    terms: Terminology | None = None,
) -> str:
    """``headline`` is the alert's, or ``None`` when the alert is gone (then its id is not
    shown either: a bare hash means nothing to a reader)."""
    values = {
        "operator": shown(by),
        "alert": shown(headline) if headline else _("an alert no longer stored"),
        "assignee": shown(details.get("assignee", "")),
        "priority": _priority_name(details.get("to_priority", ""), terms),
        "action": action,
    }
    if action == "sop-step":
        number = _step_number(details.get("step", ""))
        template = SOP_DONE if details.get("done") == "true" else SOP_UNDONE
        return _(template).format(number=number, **values)
    return _(ACTION_TITLES.get(action, OTHER_ACTION)).format(**values)


def entry_title(entry: IncidentEntry, terms: Terminology | None = None) -> str:
    """A person's note as typed; a status line in the reader's language when the incident
    log kept its sentence as a msgid (``app.incidents.log_text``)."""
    if entry.kind == "note":
        return _(NOTE).format(operator=shown(entry.by), text=shown(entry.text))
    return _(ENTRY).format(operator=shown(entry.by), text=shown(_described(entry, terms)))


def _described(entry: IncidentEntry, terms: Terminology | None) -> str:
    return describe(entry, terms)


def _priority_name(value: str, terms: Terminology | None) -> str:
    try:
        priority = Priority[value]
    except KeyError:
        return value
    return terms.priority(priority).name if terms is not None else priority.name


def _step_number(value: str) -> str:
    """Steps are stored from 0 and shown from 1, as the checklist numbers them."""
    try:
        return str(int(value) + 1)
    except ValueError:
        return value
