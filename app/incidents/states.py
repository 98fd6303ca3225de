"""The incident's life: open → active → contained → closed, and reopened when it flares up.

An incident opens when someone decides the alerts are one situation; it becomes active when a
response is under way, contained when it no longer grows, closed when the response ends. A
contained incident may become active again; a closed one only reopens (to open). Each refusal
is one whole translated sentence, so translators never assemble verbs and states.
"""

from __future__ import annotations

from i18n import N_, gettext

OPEN, ACTIVE, CONTAINED, CLOSED = "open", "active", "contained", "closed"
STATES = (OPEN, ACTIVE, CONTAINED, CLOSED)

TRANSITIONS: dict[str, frozenset[str]] = {
    OPEN: frozenset({ACTIVE, CLOSED}),
    ACTIVE: frozenset({CONTAINED, CLOSED}),
    CONTAINED: frozenset({ACTIVE, CLOSED}),
    CLOSED: frozenset({OPEN}),
}

# Lower case: inserted into sentences ("... an incident that is {state}.").
_LABELS = {
    OPEN: N_("open"),
    ACTIVE: N_("active"),
    CONTAINED: N_("contained"),
    CLOSED: N_("closed"),
}

# What the button that moves an incident into a state says.
_VERBS = {
    OPEN: N_("Reopen"),
    ACTIVE: N_("Activate"),
    CONTAINED: N_("Contained"),
    CLOSED: N_("Close"),
}

_REFUSALS = {
    OPEN: N_("Cannot reopen an incident that is {state}."),
    ACTIVE: N_("Cannot activate an incident that is {state}."),
    CONTAINED: N_("Cannot mark an incident as contained while it is {state}."),
    CLOSED: N_("Cannot close an incident that is {state}."),
}


class IncidentStateError(ValueError):
    """A change the incident's life forbids; the message is translated."""


def state_label(state: str) -> str:
    """The state in the current language, lower case, for use inside a sentence."""
    return gettext(_LABELS[state]) if state in _LABELS else state


def state_title(state: str) -> str:
    """The state as a heading or a table cell ("Active")."""
    label = state_label(state)
    return label[:1].upper() + label[1:]


def verb(state: str) -> str:
    """The action that moves an incident into ``state``, as a button says it."""
    return gettext(_VERBS[state])


def allowed(state: str) -> tuple[str, ...]:
    """The states an incident in ``state`` may move to, in their natural order."""
    targets = TRANSITIONS.get(state, frozenset())
    return tuple(s for s in STATES if s in targets)


def check_transition(current: str, wanted: str) -> None:
    """Raises ``IncidentStateError`` unless ``current`` may become ``wanted``."""
    if wanted not in TRANSITIONS:
        raise IncidentStateError(
            gettext("There is no incident state called {state}.").format(state=wanted)
        )
    if wanted == current:
        raise IncidentStateError(
            gettext("The incident is already {state}.").format(state=state_label(current))
        )
    if wanted not in TRANSITIONS.get(current, frozenset()):
        raise IncidentStateError(gettext(_REFUSALS[wanted]).format(state=state_label(current)))


def is_open(state: str) -> bool:
    """Open in the wide sense: anything not closed still collects the log and tasks."""
    return state != CLOSED
