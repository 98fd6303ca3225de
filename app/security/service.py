"""The workstation's session: who is signed in, whether the screen is locked, and the guard that
every command passes before a service sees it.

Thread-safe: the GUI asks ``principal``/``authorize``/``sees`` on its own thread (set lookups
only), while ``sign_in``/``verify``/``unlock`` run Argon2 and the database on a worker. Each
change of session is published as ``SessionChanged`` and put on the audit record; a password
never is (not in the audit, the log, nor an exception).

The guard stays synchronous and cheap: the alerts a command may touch are judged from a small
in-memory copy of every alert seen on the hub (category, priority, type, place).
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import Any

from app.alerts.service import AlertSnapshot
from app.hub import Hub
from app.incidents.messages import IncidentChanged
from app.map.zones import SiteSnapshot, ZoneRemoved
from app.model import Alert, Zone, utc_now
from app.security.accounts import AccountStore, locked
from app.security.audit import AuditLog
from app.security.commands import Requirement, requirement
from app.security.model import (
    AlertScope,
    AuditEvent,
    Outcome,
    Permission,
    Principal,
    SessionChanged,
)
from app.security.passwords import hash_password, needs_rehash, verify_password
from app.security.permissions import on_shift, permits
from app.security.policy import Policy
from app.security.routing import AlertFacts, AlertRouter
from app.storage import RecordStore, StorageError
from i18n import format_time
from i18n import gettext as _

log = logging.getLogger(__name__)

SEEN_ALERTS = 200_000  # facts kept for the guard; the oldest are forgotten first


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the user name is unknown, so a wrong name costs as long
    as a wrong password (no telling which names exist by timing)."""
    return hash_password("watchfloor: no such account")


class SignInError(Exception):
    """Sign-in refused; the message is translated and meant to be shown."""


class DirectoryAccess:
    """What the service needs of a directory (app/security/directory.py implements it)."""

    def authenticate(self, username: str, password: str) -> Any:  # -> Account | None
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class Refusal:
    code: str  # for the audit: not-signed-in, locked, other-person, permission, shift, scope,
    # alert-hidden, refused
    message: str


class SecurityService:
    def __init__(
        self,
        store: RecordStore,
        hub: Hub,
        policy: Policy,
        audit: AuditLog,
        workstation: str = "",
        directory: DirectoryAccess | None = None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.hub = hub
        self.policy = policy
        self.audit = audit
        self.workstation = workstation
        self.accounts = AccountStore(store)
        self.directory = directory
        self.clock = clock
        self.router = AlertRouter(policy)
        self._lock = threading.RLock()
        self._principal: Principal | None = None
        self._locked = False
        self._seen: OrderedDict[str, AlertFacts] = OrderedDict()
        self._store = store
        self._subscriptions = [
            hub.subscribe(Alert, self._on_alerts),
            hub.subscribe(AlertSnapshot, self._on_snapshots),
            hub.subscribe(IncidentChanged, self._on_incidents),
            hub.subscribe(Zone, self.router.set_zones),
            hub.subscribe(ZoneRemoved, self._on_zones_removed),
            hub.subscribe(SiteSnapshot, self._on_site),
        ]

    def start(self) -> None:
        """Reads the stored zones (routing rules may name them)."""
        try:
            self.router.set_zones(self._store.all(Zone))
        except StorageError as exc:
            log.error("Zones for alert routing not read: %s", exc)

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()

    # --- session -----------------------------------------------------------------------

    @property
    def principal(self) -> Principal | None:
        return self._principal

    @property
    def locked(self) -> bool:
        return self._locked

    @property
    def lock_after_s(self) -> float:
        return self.policy.lock_minutes * 60.0

    @property
    def actor(self) -> str:
        principal = self._principal
        return principal.username if principal else f"system:{self.workstation}"

    def sign_in(self, username: str, password: str) -> Principal:
        """Checks the password (Argon2 or the directory: call from a worker thread), then
        makes ``username`` the person at this desk. Raises ``SignInError``."""
        principal = self._check(username, password, "sign-in")
        with self._lock:
            previous = self._principal
            self._principal, self._locked = principal, False
        if previous is not None:
            self._record(previous.username, "sign-out", previous.username, {"replaced": True})
        self._record(username, "sign-in", username, {"roles": list(principal.roles)})
        self.hub.publish(SessionChanged(principal, False))
        return principal

    def verify(self, username: str, password: str) -> Principal:
        """A second person's credentials (four-eyes approval at this desk): checked and
        audited, the session unchanged. Raises ``SignInError``."""
        principal = self._check(username, password, "sign-in.verify")
        self._record(username, "sign-in.verify", username, {"at": self.actor})
        return principal

    def sign_out(self) -> None:
        with self._lock:
            previous, self._principal, self._locked = self._principal, None, False
        if previous is not None:
            self._record(previous.username, "sign-out", previous.username)
            self.hub.publish(SessionChanged(None, False))

    def lock(self) -> None:
        with self._lock:
            principal = self._principal
            if principal is None or self._locked:
                return
            self._locked = True
        self._record(principal.username, "session.lock", principal.username)
        self.hub.publish(SessionChanged(principal, True))

    def unlock(self, password: str) -> bool:
        """The signed-in person's password ends the lock (another person must sign in)."""
        principal = self._principal
        if principal is None:
            return False
        try:
            self._check(principal.username, password, "session.unlock")
        except SignInError:
            return False
        with self._lock:
            if self._principal is not principal:
                return False
            self._locked = False
        self._record(principal.username, "session.unlock", principal.username)
        self.hub.publish(SessionChanged(principal, False))
        return True

    def _check(self, username: str, password: str, action: str) -> Principal:
        now = self.clock()
        account = self.accounts.get(username)
        if self.directory is not None and (account is None or account.source == "ldap"):
            account = self._directory_account(username, password, action)
            if account is not None and not account.disabled:
                return self.policy.principal(account, now, self.workstation)
        if account is None or account.password_hash is None:
            verify_password(_dummy_hash(), password)
            self._refuse(username, action, "unknown")
        assert account is not None and account.password_hash is not None
        if account.disabled:
            self._refuse(username, action, "disabled", _("This account is disabled."))
        if locked(account, now):
            self._refuse(username, action, "locked-out", _locked_message(account.locked_until))
        if not verify_password(account.password_hash, password):
            after = self.accounts.record_failure(
                username, self.policy.lockout_failures, self.policy.lockout_minutes, now
            )
            if after is not None and locked(after, now):
                self._refuse(
                    username, action, "wrong-password", _locked_message(after.locked_until)
                )
            self._refuse(username, action, "wrong-password")
        if account.failed_attempts or account.locked_until:
            self.accounts.record_success(username)
        if needs_rehash(account.password_hash):
            self.accounts.set_password(username, hash_password(password))
        return self.policy.principal(account, now, self.workstation)

    def _directory_account(self, username: str, password: str, action: str) -> Any:
        from app.security.directory import DirectoryError  # ldap3 only when configured

        try:
            found = self.directory.authenticate(username, password)  # type: ignore[union-attr]
        except DirectoryError as exc:
            log.error("Directory sign-in unavailable: %s", exc)
            self._refuse(
                username, action, "directory-down", _("The directory service cannot be reached.")
            )
        if found is None:
            self._refuse(username, action, "wrong-password")
        if not found.roles:
            self._refuse(
                username, action, "no-roles", _("Your directory account has no Watchfloor role.")
            )
        mirrored = self.accounts.mirror(found)
        if mirrored.disabled:
            self._refuse(username, action, "disabled", _("This account is disabled."))
        return mirrored

    def _refuse(self, username: str, action: str, reason: str, message: str = "") -> None:
        failed = f"{action}.failed" if action == "sign-in" else action
        outcome = Outcome.FAILED if action == "sign-in" else Outcome.REFUSED
        self._record(username, failed, username, {"reason": reason}, outcome)
        raise SignInError(message or _("The user name or the password is wrong."))

    # --- the guard ---------------------------------------------------------------------

    def authorize(self, command: object) -> str | None:
        """None when the signed-in person may give ``command`` now; else why not (shown)."""
        refusal = self.check(command)[1]
        return None if refusal is None else refusal.message

    def check(self, command: object) -> tuple[Requirement | None, Refusal | None]:
        need = requirement(command)
        if need is None:
            return None, Refusal(
                "unknown-command", _("This console cannot carry out that command.")
            )
        if need.refusal is not None:
            return need, Refusal("refused", _(need.refusal))
        principal, is_locked = self._principal, self._locked
        if principal is None:
            return need, Refusal("not-signed-in", _("Sign in first."))
        if is_locked:
            return need, Refusal("locked", _("The session is locked: unlock it first."))
        by = getattr(command, "by", "")
        if by and by != principal.username:
            if not need.other_person:
                return need, Refusal(
                    "other-person",
                    _("Commands can be given only in the name of the person signed in."),
                )
            if not getattr(command, "password", ""):
                return need, Refusal(
                    "other-person", _("The approver must confirm with their password.")
                )
            return need, None  # the approver's own rights are checked with their password
        return need, self._permission(principal, need)

    def _permission(self, principal: Principal, need: Requirement) -> Refusal | None:
        wanted = (need.permission,) if need.permission is not None else need.any_of
        if wanted:
            now = self.clock()
            if not any(p in principal.actions for p in wanted):
                return Refusal(
                    "permission",
                    _("Your role does not allow this ({permission}).").format(
                        permission=", ".join(p.value for p in wanted)
                    ),
                )
            if not on_shift(principal.shifts, now):
                return Refusal("shift", _("You are outside your shift: you may look, not act."))
            if not any(
                permits(principal, p, camera=need.camera, zone=need.zone, at=now) for p in wanted
            ):
                return Refusal("scope", _("Your role does not cover this camera or zone."))
        if need.alert is not None and not self._may_see(principal, need.alert):
            return Refusal("alert-hidden", _("That alert is not shown to you."))
        return None

    def _may_see(self, principal: Principal, identifier: str) -> bool:
        facts = self._seen.get(identifier)
        if facts is None:
            # Never seen here: only someone who sees every alert may act on it.
            return principal.alerts == AlertScope.ALL and "*" in principal.zones
        return self.router.sees(principal, facts)

    def audit_command(self, command: object, refusal: Refusal | None = None) -> None:
        """Puts a command on the record (refused or accepted); queries are not recorded."""
        need = requirement(command)
        if need is None or (refusal is None and not need.audit):
            return
        detail: dict[str, Any] = {}
        if refusal is not None:
            detail = {"reason": refusal.code}
            if need.permission is not None:
                detail["permission"] = need.permission.value
        else:  # what the person said or chose, for the record (never a password)
            for name in ("reason", "state", "to", "until", "done", "step"):
                value = getattr(command, name, None)
                if value not in (None, ""):
                    detail[name] = str(value)
        outcome = Outcome.OK if refusal is None else Outcome.REFUSED
        actor = self.actor
        if refusal is None and need.other_person and getattr(command, "by", ""):
            actor = str(command.by)  # type: ignore[attr-defined]
        self._record(actor, need.action, need.target, detail, outcome)

    # --- visibility --------------------------------------------------------------------

    def sees(self, alert: Alert) -> bool:
        return self.router.sees(self._principal, alert)

    def visible(self, messages: Sequence[object]) -> list[object]:
        """``messages`` without the alerts the person at this desk may not see: single alerts
        dropped, snapshots and incidents' alert lists thinned; other messages pass."""
        principal = self._principal
        out: list[object] = []
        for message in messages:
            if isinstance(message, Alert):
                if self.router.sees(principal, message):
                    out.append(message)
            elif isinstance(message, AlertSnapshot):
                alerts = tuple(a for a in message.alerts if self.router.sees(principal, a))
                out.append(AlertSnapshot(alerts))
            elif isinstance(message, IncidentChanged) and message.alerts:
                alerts = tuple(a for a in message.alerts if self.router.sees(principal, a))
                out.append(replace(message, alerts=alerts))
            else:
                out.append(message)
        return out

    def permits(self, permission: Permission, **scope: Any) -> bool:
        """The GUI's question for a button: may the person at this desk do this now?"""
        if self._locked:
            return False
        return permits(self._principal, permission, at=self.clock(), **scope)

    # --- hub feeds ---------------------------------------------------------------------

    def _remember(self, alerts: Sequence[Alert]) -> None:
        with self._lock:
            for alert in alerts:
                self._seen[alert.identifier] = AlertFacts.of(alert)
                self._seen.move_to_end(alert.identifier)
            while len(self._seen) > SEEN_ALERTS:
                self._seen.popitem(last=False)

    def _on_alerts(self, batch: Sequence[Alert]) -> None:
        self._remember(batch)

    def _on_snapshots(self, batch: Sequence[AlertSnapshot]) -> None:
        for snapshot in batch:
            self._remember(snapshot.alerts)

    def _on_incidents(self, batch: Sequence[IncidentChanged]) -> None:
        for change in batch:
            self._remember(change.alerts)

    def _on_zones_removed(self, batch: Sequence[ZoneRemoved]) -> None:
        self.router.remove_zones(removed.identifier for removed in batch)

    def _on_site(self, batch: Sequence[SiteSnapshot]) -> None:
        for snapshot in batch:
            self.router.set_zones(snapshot.zones)

    def _record(
        self,
        actor: str,
        action: str,
        target: str = "",
        detail: dict[str, Any] | None = None,
        outcome: Outcome = Outcome.OK,
    ) -> None:
        self.audit.record(
            AuditEvent(actor, action, target, outcome, detail or {}, self.workstation)
        )


def _locked_message(until: datetime | None) -> str:
    when = ""
    if until is not None:
        local = until.astimezone()
        when = format_time(local, "short", tz=local.tzinfo)
    return _("Too many failed sign-ins: this account is locked until {time}.").format(time=when)
