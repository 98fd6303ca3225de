"""The security records and messages every part of the console shares.

Permissions are data (``resources/security/policy.yaml``): a role names the panels it shows, the
actions it may take, the cameras, map layers and zones it may see, and the shift windows in
which it may act. A principal is a signed-in account with its roles' union already worked out,
so a permission check is a set lookup (cheap enough to run for every command).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from enum import StrEnum
from typing import Any

ALL = "*"  # in panels, cameras, layers, zones: everything


class Permission(StrEnum):
    """What a role may do. The first six are the issue's words; the rest cover every other
    command the console takes, so that no command goes unchecked."""

    ACKNOWLEDGE = "acknowledge"
    DISMISS = "dismiss"
    ESCALATE = "escalate"
    UNMASK = "unmask"
    EXPORT = "export"
    CONFIGURE = "configure"
    # start, resolve, assign, shelve, unshelve, reopen an alert; tick SOP steps
    TRIAGE = "triage"
    # open, change and close incidents, write in their log
    INCIDENTS = "incidents"
    # start, pause, seek and stop training exercises
    EXERCISES = "exercises"
    BOOKMARK = "bookmark"
    # approve or deny another person's unmask request (four-eyes rule)
    APPROVE_UNMASK = "approve-unmask"
    # accounts: add, disable, reset passwords, change roles
    MANAGE_USERS = "manage-users"
    # read and verify the audit log
    AUDIT = "audit"


class AlertScope(StrEnum):
    """Which alerts a role sees: every alert, those routed to its organisation, or only what
    another organisation has shared with it (external viewers)."""

    ALL = "all"
    ROUTED = "routed"
    SHARED = "shared"


@dataclass(frozen=True, slots=True)
class ShiftWindow:
    """When a role may act: on ``days`` (0 = Monday) from ``start`` to ``end`` local time; an
    ``end`` at or before ``start`` runs past midnight into the next day."""

    days: frozenset[int]
    start: time
    end: time


@dataclass(frozen=True, slots=True)
class RolePolicy:
    name: str
    title: str  # msgid, translated where shown
    panels: frozenset[str]  # panel IDs, or {ALL}
    actions: frozenset[Permission]
    cameras: frozenset[str] = frozenset({ALL})
    layers: frozenset[str] = frozenset({ALL})
    zones: frozenset[str] = frozenset({ALL})
    shifts: tuple[ShiftWindow, ...] = ()  # empty: any time
    alerts: AlertScope = AlertScope.ROUTED


@dataclass(frozen=True, slots=True)
class RoutingRule:
    """Alerts an organisation receives (or, for an external one, is shared): every condition
    given must hold; an empty set means any. ``roles`` narrows the rule to some roles."""

    organisation: str
    categories: frozenset[str] = frozenset()
    zones: frozenset[str] = frozenset()
    max_priority: int = 4  # 1 = only P1, 4 = all
    roles: frozenset[str] = frozenset()
    event_types: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class UnmaskRules:
    """``approval``: a second person must approve each unmask; ``max_minutes``: the longest
    grant anyone may ask for."""

    approval: bool = True
    max_minutes: int = 15
    default_minutes: int = 5


@dataclass(frozen=True, slots=True)
class Account:
    """A person who may sign in. Local accounts carry an Argon2 hash; directory accounts
    (LDAP/Active Directory) none: the directory checks their password."""

    username: str
    display_name: str
    organisation: str
    roles: tuple[str, ...]
    source: str = "local"  # "local" | "ldap"
    disabled: bool = False
    password_hash: str | None = field(default=None, repr=False)
    failed_attempts: int = 0
    locked_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """A signed-in person as the console checks them: the union of their roles' policies."""

    username: str
    display_name: str
    organisation: str
    roles: tuple[str, ...]
    panels: frozenset[str]
    actions: frozenset[Permission]
    cameras: frozenset[str]
    layers: frozenset[str]
    zones: frozenset[str]
    shifts: tuple[ShiftWindow, ...]
    alerts: AlertScope
    signed_in: datetime
    workstation: str = ""


# --- audit ---------------------------------------------------------------------------------


class Outcome(StrEnum):
    OK = "ok"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One thing to put on the record. ``action`` is a dotted name ("sign-in", "alert.dismiss",
    "unmask.approve", "export.report", "setting.language", "retention.purge"); ``detail`` is
    JSON-able and never holds a secret or a password."""

    actor: str
    action: str
    target: str = ""
    outcome: Outcome = Outcome.OK
    detail: dict[str, Any] = field(default_factory=dict)
    workstation: str = ""
    time: datetime | None = None  # None: the time it is written


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """An event as written: numbered and chained to the one before by its hash."""

    seq: int
    time: datetime
    actor: str
    workstation: str
    action: str
    target: str
    outcome: Outcome
    detail: dict[str, Any]
    prev_hash: str
    hash: str


# --- session messages (published on the hub) ------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionChanged:
    """Who is signed in at this workstation now (``None``: nobody), and whether the session is
    locked. Panels re-check what they show and offer."""

    principal: Principal | None
    locked: bool = False


@dataclass(frozen=True, slots=True)
class PermissionRefused:
    """The core refused ``command``: the message is translated and meant to be shown."""

    command: object
    message: str


# --- unmasking -------------------------------------------------------------------------------


class UnmaskKind(StrEnum):
    FACES = "faces"  # target: a camera id; live video of that camera unblurred
    AUTHOR = "author"  # target: a pseudonym; the author's handle shown


class UnmaskState(StrEnum):
    PENDING = "pending"  # waiting for a second person
    GRANTED = "granted"  # in force until ``expires``
    DENIED = "denied"
    EXPIRED = "expired"
    ENDED = "ended"  # ended early by the requester or an approver


@dataclass(frozen=True, slots=True)
class UnmaskRequest:
    identifier: str
    kind: UnmaskKind
    target: str
    purpose: str
    requested_by: str
    requested: datetime
    minutes: int
    state: UnmaskState
    decided_by: str | None = None
    decided: datetime | None = None
    note: str = ""
    expires: datetime | None = None
    version: int = 1


@dataclass(frozen=True, slots=True)
class RequestUnmask:
    kind: UnmaskKind
    target: str
    purpose: str
    minutes: int
    by: str
    identifier: str = ""  # chosen by the sender (new_identifier) so it can follow the answer


@dataclass(frozen=True, slots=True)
class DecideUnmask:
    """An approver's answer. ``by`` must be a person other than the requester, holding
    ``approve-unmask``; at the requester's desk they prove it with ``password``."""

    request_id: str
    approve: bool
    by: str
    note: str = ""
    password: str = field(default="", repr=False)


@dataclass(frozen=True, slots=True)
class EndUnmask:
    request_id: str
    by: str


@dataclass(frozen=True, slots=True)
class UnmaskChanged:
    """A request as it stands now (published on every change, expiry included)."""

    request: UnmaskRequest


@dataclass(frozen=True, slots=True)
class RevealedAuthor:
    """The handle behind ``pseudonym``, for this workstation's signed-in requester only, until
    ``until``; panels forget it then."""

    pseudonym: str
    platform: str
    handle: str
    until: datetime
    request_id: str
