"""The access policy as data: roles, organisations and their routing, unmask and session rules.

The bundled ``resources/security/policy.yaml`` is the default; ``settings.policy_file`` points
at a site's own. A policy file is checked whole when it is read, and every problem is reported
as ``file:field: message`` so that an administrator can fix it without reading code: a typo in
a permission name must never silently take a permission away (or give one).

A person's ``Principal`` is the union of their roles' policies, worked out once at sign-in, so
that a permission check is a set lookup.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any

import yaml

from app.bundled import read_text
from app.model import Category
from app.security.model import (
    ALL,
    Account,
    AlertScope,
    Permission,
    Principal,
    RolePolicy,
    RoutingRule,
    ShiftWindow,
    UnmaskRules,
)
from app.settings import SettingsError
from i18n import N_

log = logging.getLogger(__name__)

BUNDLED = "security/policy.yaml"
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# The bundled roles' titles, for message extraction (the YAML is not scanned).
ROLE_TITLES = (
    N_("Operator"),
    N_("Supervisor"),
    N_("Incident commander"),
    N_("Trainer"),
    N_("Analyst"),
    N_("Administrator"),
    N_("External viewer"),
)
# The widest scope a person's roles give wins.
_SCOPE_RANK = {AlertScope.SHARED: 0, AlertScope.ROUTED: 1, AlertScope.ALL: 2}


class PolicyError(SettingsError):
    """The policy file cannot be used; the message names the file and the field. A settings
    error: the console cannot start on it, like on a broken settings file."""


@dataclass(frozen=True, slots=True)
class Organisation:
    identifier: str
    title: str
    external: bool = False
    routing: tuple[RoutingRule, ...] = ()


@dataclass(frozen=True, slots=True)
class Policy:
    roles: Mapping[str, RolePolicy]
    organisations: Mapping[str, Organisation]
    unmask: UnmaskRules = field(default_factory=UnmaskRules)
    lock_minutes: float = 10.0
    lockout_failures: int = 5
    lockout_minutes: float = 5.0
    min_password_length: int = 10
    source: str = BUNDLED
    _empty: tuple[RoutingRule, ...] = field(default=(), repr=False)

    def rules_for(self, organisation: str) -> tuple[RoutingRule, ...]:
        found = self.organisations.get(organisation)
        return found.routing if found is not None else self._empty

    def principal(self, account: Account, now: datetime, workstation: str = "") -> Principal:
        """The account as the console checks it: the union of its known roles (an unknown
        role name gives nothing, with a warning: the policy may have dropped it)."""
        roles = [self.roles[name] for name in account.roles if name in self.roles]
        for name in account.roles:
            if name not in self.roles:
                log.warning(
                    "Account %s has role %r, which the policy lacks", account.username, name
                )
        # Shift windows: one role with none lets the person act at any time.
        shifts: tuple[ShiftWindow, ...] = ()
        if roles and all(role.shifts for role in roles):
            shifts = tuple(window for role in roles for window in role.shifts)
        scope = max((r.alerts for r in roles), key=_SCOPE_RANK.__getitem__, default=None)
        return Principal(
            username=account.username,
            display_name=account.display_name,
            organisation=account.organisation,
            roles=tuple(role.name for role in roles),
            panels=_union(role.panels for role in roles),
            actions=frozenset(a for role in roles for a in role.actions),
            cameras=_union(role.cameras for role in roles),
            layers=_union(role.layers for role in roles),
            zones=_union(role.zones for role in roles),
            shifts=shifts,
            alerts=scope or AlertScope.SHARED,
            signed_in=now,
            workstation=workstation,
        )


def _union(sets: Any) -> frozenset[str]:
    merged: set[str] = set()
    for values in sets:
        if ALL in values:
            return frozenset({ALL})
        merged |= values
    return frozenset(merged)


def load_policy(path: str | Path | None = None) -> Policy:
    """The policy in ``path`` (a site's file) or the bundled one; raises ``PolicyError``."""
    if path:
        name = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise PolicyError(f"{name}: cannot read the policy file: {exc}") from exc
    else:
        name, text = BUNDLED, read_text(BUNDLED)
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise PolicyError(f"{name}: not valid YAML: {exc}") from exc
    return parse_policy(document, name)


def parse_policy(document: Any, source: str = "policy") -> Policy:
    reader = _Reader(source)
    root = reader.mapping(document, "")
    reader.known(root, "", {"session", "lockout", "passwords", "unmask", "roles", "organisations"})
    session = reader.mapping(root.get("session", {}), "session")
    lockout = reader.mapping(root.get("lockout", {}), "lockout")
    passwords = reader.mapping(root.get("passwords", {}), "passwords")
    roles = {
        name: _role(reader, str(name), body)
        for name, body in reader.mapping(root.get("roles"), "roles").items()
    }
    if not roles:
        reader.fail("roles", "the policy names no role")
    organisations = {
        str(name): _organisation(reader, str(name), body, roles)
        for name, body in reader.mapping(root.get("organisations", {}), "organisations").items()
    }
    return Policy(
        roles=roles,
        organisations=organisations,
        unmask=_unmask(reader, root.get("unmask", {})),
        lock_minutes=reader.number(session.get("lock_minutes", 10), "session.lock_minutes", 0),
        lockout_failures=int(reader.number(lockout.get("failures", 5), "lockout.failures", 1)),
        lockout_minutes=reader.number(lockout.get("minutes", 5), "lockout.minutes", 0),
        min_password_length=int(
            reader.number(passwords.get("min_length", 10), "passwords.min_length", 1)
        ),
        source=source,
    )


def _role(reader: _Reader, name: str, body: Any) -> RolePolicy:
    where = f"roles.{name}"
    body = reader.mapping(body, where)
    reader.known(
        body,
        where,
        {"title", "panels", "actions", "cameras", "layers", "zones", "shifts", "alerts"},
    )
    actions = set()
    for value in reader.strings(body.get("actions", []), f"{where}.actions"):
        try:
            actions.add(Permission(value))
        except ValueError:
            known = ", ".join(p.value for p in Permission)
            reader.fail(f"{where}.actions", f"unknown permission {value!r} (known: {known})")
    scope = str(body.get("alerts", AlertScope.ROUTED.value))
    if scope not in {s.value for s in AlertScope}:
        reader.fail(f"{where}.alerts", f"{scope!r} is not one of all, routed, shared")
    shifts = body.get("shifts") or []
    if not isinstance(shifts, list):
        reader.fail(f"{where}.shifts", "must be a list of shift windows")
    return RolePolicy(
        name=name,
        title=str(body.get("title", name)),
        panels=frozenset(reader.strings(body.get("panels", []), f"{where}.panels")),
        actions=frozenset(actions),
        cameras=frozenset(reader.strings(body.get("cameras", [ALL]), f"{where}.cameras")),
        layers=frozenset(reader.strings(body.get("layers", [ALL]), f"{where}.layers")),
        zones=frozenset(reader.strings(body.get("zones", [ALL]), f"{where}.zones")),
        shifts=tuple(
            _shift(reader, item, f"{where}.shifts[{index}]") for index, item in enumerate(shifts)
        ),
        alerts=AlertScope(scope),
    )


def _shift(reader: _Reader, body: Any, where: str) -> ShiftWindow:
    body = reader.mapping(body, where)
    reader.known(body, where, {"days", "start", "end"})
    days = set()
    for day in reader.strings(body.get("days", list(DAYS)), f"{where}.days"):
        if day.lower()[:3] not in DAYS:
            reader.fail(f"{where}.days", f"{day!r} is not a day (mon, tue, ... sun)")
        days.add(DAYS.index(day.lower()[:3]))
    return ShiftWindow(
        frozenset(days),
        _clock(reader, body.get("start"), f"{where}.start"),
        _clock(reader, body.get("end"), f"{where}.end"),
    )


def _clock(reader: _Reader, value: Any, where: str) -> time:
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 07:00 as sexagesimal minutes.
        value = f"{value // 60:02d}:{value % 60:02d}"
    try:
        return time.fromisoformat(str(value))
    except ValueError:
        reader.fail(where, f'{value!r} is not a time of day like "07:00"')
        raise  # unreachable: fail raises


def _organisation(
    reader: _Reader, name: str, body: Any, roles: Mapping[str, RolePolicy]
) -> Organisation:
    where = f"organisations.{name}"
    body = reader.mapping(body, where)
    reader.known(body, where, {"title", "external", "routing"})
    rules = body.get("routing") or []
    if not isinstance(rules, list):
        reader.fail(f"{where}.routing", "must be a list of rules")
    return Organisation(
        identifier=name,
        title=str(body.get("title", name)),
        external=bool(body.get("external", False)),
        routing=tuple(
            _rule(reader, name, item, f"{where}.routing[{index}]", roles)
            for index, item in enumerate(rules)
        ),
    )


def _rule(
    reader: _Reader, organisation: str, body: Any, where: str, roles: Mapping[str, RolePolicy]
) -> RoutingRule:
    body = reader.mapping(body or {}, where)
    reader.known(body, where, {"categories", "zones", "max_priority", "roles", "event_types"})
    categories = reader.strings(body.get("categories", []), f"{where}.categories")
    known = {c.value for c in Category}
    for value in categories:
        if value not in known:
            reader.fail(f"{where}.categories", f"unknown category {value!r}")
    rule_roles = reader.strings(body.get("roles", []), f"{where}.roles")
    for value in rule_roles:
        if value not in roles:
            reader.fail(f"{where}.roles", f"unknown role {value!r}")
    priority = int(reader.number(body.get("max_priority", 4), f"{where}.max_priority", 1))
    if priority > 4:
        reader.fail(f"{where}.max_priority", "must be 1 to 4")
    return RoutingRule(
        organisation=organisation,
        categories=frozenset(categories),
        zones=frozenset(reader.strings(body.get("zones", []), f"{where}.zones")),
        max_priority=priority,
        roles=frozenset(rule_roles),
        event_types=frozenset(reader.strings(body.get("event_types", []), f"{where}.event_types")),
    )


def _unmask(reader: _Reader, body: Any) -> UnmaskRules:
    body = reader.mapping(body, "unmask")
    reader.known(body, "unmask", {"approval", "max_minutes", "default_minutes"})
    rules = UnmaskRules(
        approval=bool(body.get("approval", True)),
        max_minutes=int(reader.number(body.get("max_minutes", 15), "unmask.max_minutes", 1)),
        default_minutes=int(
            reader.number(body.get("default_minutes", 5), "unmask.default_minutes", 1)
        ),
    )
    if rules.default_minutes > rules.max_minutes:
        reader.fail("unmask.default_minutes", "is longer than unmask.max_minutes")
    return rules


class _Reader:
    """Checks shapes and reports ``file:field: message``."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> None:
        raise PolicyError(f"{self.source}:{where or '(top)'}: {message}")

    def mapping(self, value: Any, where: str) -> dict[Any, Any]:
        if value is None and where:
            return {}
        if not isinstance(value, dict):
            self.fail(where, "must be a mapping of names to values")
        return value

    def known(self, body: dict[Any, Any], where: str, names: set[str]) -> None:
        unknown = sorted(str(key) for key in body if key not in names)
        if unknown:
            prefix = f"{where}." if where else ""
            self.fail(f"{prefix}{unknown[0]}", f"unknown field (known: {', '.join(sorted(names))})")

    def strings(self, value: Any, where: str) -> list[str]:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            self.fail(where, "must be a list of names")
        return [str(v) for v in value]

    def number(self, value: Any, where: str, minimum: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            self.fail(where, f"must be a number of at least {minimum:g}")
        return float(value)
