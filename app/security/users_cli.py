"""``main.py users``: accounts from the command line (add, list, disable, enable, passwd, roles).

Changing accounts needs an administrator: ``--as NAME`` signs them in (password from
``WATCHFLOOR_PASSWORD`` for scripts, else asked without echo). The one exception is the first
administrator of a database that has none: ``users add NAME --role administrator`` bootstraps
it, recorded in the audit log as done by "cli:<os user>". ``users list`` needs an
administrator too once one exists (the list says who may do what).

Passwords never appear on the command line (``--password-stdin`` reads one line from standard
input; otherwise it is asked twice without echo).
"""

from __future__ import annotations

import getpass
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TextIO

from app.model import utc_now
from app.security.accounts import AccountError, AccountStore
from app.security.audit import AuditLog
from app.security.audit_cli import cli_actor, workstation_of
from app.security.model import AuditEvent, Outcome, Permission
from app.security.passwords import PasswordRuleError, check_rule, hash_password
from app.security.permissions import permits
from app.security.policy import Policy, load_policy
from app.storage import RecordStore, create_engine_for, upgrade_schema
from i18n import gettext as _

PASSWORD_ENV = "WATCHFLOOR_PASSWORD"
ADMINISTRATOR = "administrator"


class UsersRefusedError(Exception):
    """Not allowed (sign-in failed, not an administrator); the message says why."""


@dataclass(frozen=True, slots=True)
class UsersRequest:
    action: str  # add, list, disable, enable, passwd, roles
    name: str = ""
    roles: tuple[str, ...] = ()
    organisation: str = ""
    display: str = ""
    password_stdin: bool = False
    acting_as: str = ""


class UsersCommand:
    def __init__(
        self,
        url: str,
        workstation: str = "",
        policy_file: str = "",
        stdin: TextIO | None = None,
        out: TextIO | None = None,
    ) -> None:
        self.engine = create_engine_for(url)
        upgrade_schema(self.engine)
        store = RecordStore(self.engine)
        self.accounts = AccountStore(store)
        self.workstation = workstation_of(workstation)
        self.audit = AuditLog(store, self.workstation)
        self.policy: Policy = load_policy(policy_file or None)
        self.stdin = stdin or sys.stdin
        self.out = out or sys.stdout

    def close(self) -> None:
        self.engine.dispose()

    def run(self, request: UsersRequest) -> None:
        """Raises ``UsersRefusedError``, ``AccountError``, ``PasswordRuleError`` or
        ``StorageError``."""
        actor = self._actor(request)
        handler = getattr(self, f"_{request.action}")
        try:
            handler(request, actor)
        except (AccountError, PasswordRuleError) as exc:
            self._record(actor, f"user.{request.action}", request.name, Outcome.FAILED, str(exc))
            raise

    def _actor(self, request: UsersRequest) -> str:
        """Who acts: a signed-in administrator, or the OS user bootstrapping the first one."""
        if not request.acting_as:
            if self._bootstrapping(request):
                return cli_actor()
            self._record(cli_actor(), f"user.{request.action}", request.name, Outcome.REFUSED)
            raise UsersRefusedError(_("Sign in as an administrator with --as NAME."))
        name = request.acting_as
        password = os.environ.get(PASSWORD_ENV) or getpass.getpass(
            _("Password for {name}: ").format(name=name)
        )
        account = self.accounts.get(name)
        from app.security.passwords import verify_password

        now = utc_now()
        if (
            account is None
            or account.disabled
            or account.password_hash is None
            or (account.locked_until is not None and account.locked_until > now)
            or not verify_password(account.password_hash, password)
        ):
            if account is not None and account.password_hash is not None:
                self.accounts.record_failure(
                    name, self.policy.lockout_failures, self.policy.lockout_minutes, now
                )
            self._record(f"cli:{name}", "sign-in.failed", name, Outcome.FAILED)
            raise UsersRefusedError(_("The user name or the password is wrong."))
        principal = self.policy.principal(account, now, self.workstation)
        if not permits(principal, Permission.MANAGE_USERS):
            self._record(name, f"user.{request.action}", request.name, Outcome.REFUSED)
            raise UsersRefusedError(_("{name} may not manage accounts.").format(name=name))
        self._record(name, "sign-in", name, detail={"via": "cli"})
        return name

    def _bootstrapping(self, request: UsersRequest) -> bool:
        has_admin = any(ADMINISTRATOR in a.roles and not a.disabled for a in self.accounts.list())
        return not has_admin and request.action == "add" and ADMINISTRATOR in request.roles

    def _add(self, request: UsersRequest, actor: str) -> None:
        self._check_roles(request.roles)
        if request.organisation not in self.policy.organisations:
            known = ", ".join(self.policy.organisations)
            raise AccountError(
                _("Unknown organisation {name} (known: {known}).").format(
                    name=request.organisation, known=known
                )
            )
        password = self._new_password(request)
        self.accounts.add(
            request.name,
            request.display or request.name,
            request.organisation,
            request.roles,
            hash_password(password),
        )
        detail = {"roles": list(request.roles), "organisation": request.organisation}
        self._record(actor, "user.add", request.name, detail=detail)
        print(_("Account {name} added.").format(name=request.name), file=self.out)

    def _list(self, request: UsersRequest, actor: str) -> None:
        for account in self.accounts.list():
            state = _("disabled") if account.disabled else ""
            print(
                f"{account.username}\t{account.display_name}\t{account.organisation}\t"
                f"{','.join(account.roles)}\t{account.source}\t{state}".rstrip(),
                file=self.out,
            )
        self._record(actor, "user.list", "")

    def _disable(self, request: UsersRequest, actor: str) -> None:
        self.accounts.set_disabled(request.name, True)
        self._record(actor, "user.disable", request.name)
        print(_("Account {name} disabled.").format(name=request.name), file=self.out)

    def _enable(self, request: UsersRequest, actor: str) -> None:
        self.accounts.set_disabled(request.name, False)
        self._record(actor, "user.enable", request.name)
        print(_("Account {name} enabled.").format(name=request.name), file=self.out)

    def _passwd(self, request: UsersRequest, actor: str) -> None:
        account = self.accounts.get(request.name)
        if account is None:
            raise AccountError(_("There is no account named {name}.").format(name=request.name))
        if account.source != "local":
            raise AccountError(_("The directory keeps this account's password."))
        self.accounts.set_password(request.name, hash_password(self._new_password(request)))
        self._record(actor, "user.password", request.name)
        print(_("Password of {name} changed.").format(name=request.name), file=self.out)

    def _roles(self, request: UsersRequest, actor: str) -> None:
        self._check_roles(request.roles)
        self.accounts.set_roles(request.name, request.roles)
        self._record(actor, "user.roles", request.name, detail={"roles": list(request.roles)})
        print(
            _("Roles of {name}: {roles}.").format(
                name=request.name, roles=", ".join(request.roles)
            ),
            file=self.out,
        )

    def _check_roles(self, roles: Sequence[str]) -> None:
        if not roles:
            raise AccountError(_("Name at least one role with --role."))
        unknown = [r for r in roles if r not in self.policy.roles]
        if unknown:
            known = ", ".join(self.policy.roles)
            raise AccountError(
                _("Unknown role {name} (known: {known}).").format(name=unknown[0], known=known)
            )

    def _new_password(self, request: UsersRequest) -> str:
        if request.password_stdin:
            password = self.stdin.readline().rstrip("\r\n")
        else:
            password = getpass.getpass(_("New password for {name}: ").format(name=request.name))
            again = getpass.getpass(_("Repeat the password: "))
            if again != password:
                raise PasswordRuleError(_("The two passwords differ."))
        check_rule(password, self.policy.min_password_length)
        return password

    def _record(
        self,
        actor: str,
        action: str,
        target: str,
        outcome: Outcome = Outcome.OK,
        reason: str = "",
        detail: dict | None = None,
    ) -> None:
        """Synchronous: the process ends right after, and the record must be written first."""
        detail = dict(detail or {})
        if reason:
            detail["reason"] = reason
        self.audit.append([AuditEvent(actor, action, target, outcome, detail, self.workstation)])


def run_users(url: str, workstation: str, policy_file: str, request: UsersRequest) -> None:
    """Runs one ``users`` action; raises ``UsersRefusedError``, ``AccountError``,
    ``PasswordRuleError`` or ``StorageError``."""
    command = UsersCommand(url, workstation, policy_file)
    try:
        command.run(request)
    finally:
        command.close()
