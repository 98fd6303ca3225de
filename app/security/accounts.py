"""Accounts in the ``users`` table: who may sign in, with which roles, and their lockout state.

Kept in the database, not on one desk, so every workstation sharing a PostgreSQL database knows
the same people. Local accounts carry an Argon2 hash (never the password); directory accounts
are mirrored here with source "ldap" and no hash, so the audit and the routing know them too.

Failed sign-ins count up in the database (one ``UPDATE ... + 1``, safe when two desks race);
reaching the policy's limit locks the account for the policy's minutes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.model import utc_now
from app.security.model import Account
from app.storage import RecordStore, StorageError
from app.storage.orm import UserRow
from i18n import gettext as _


class AccountError(ValueError):
    """An account change that cannot be made (unknown user, name taken)."""


class AccountStore:
    def __init__(self, store: RecordStore) -> None:
        self.store = store

    def add(
        self,
        username: str,
        display_name: str,
        organisation: str,
        roles: Sequence[str],
        password_hash: str | None,
        source: str = "local",
    ) -> Account:
        if not username or username != username.strip():
            raise AccountError(_('"{name}" is not a usable user name.').format(name=username))
        now = utc_now()
        row = UserRow(
            username=username,
            display_name=display_name or username,
            organisation=organisation,
            roles=list(roles),
            source=source,
            password_hash=password_hash,
            disabled=False,
            failed_attempts=0,
            locked_until=None,
            created=now,
            updated=now,
        )
        try:
            with self.store.session() as session, session.begin():
                session.add(row)
        except IntegrityError as exc:
            raise AccountError(
                _("An account named {name} exists already.").format(name=username)
            ) from exc
        except SQLAlchemyError as exc:
            raise StorageError(f"could not add the account {username!r}: {exc}") from exc
        return _account(row)

    def get(self, username: str) -> Account | None:
        try:
            with self.store.session() as session:
                row = session.get(UserRow, username)
                return None if row is None else _account(row)
        except SQLAlchemyError as exc:
            raise StorageError(f"could not read the account {username!r}: {exc}") from exc

    def list(self) -> list[Account]:
        try:
            with self.store.session() as session:
                rows = session.scalars(select(UserRow).order_by(UserRow.username))
                return [_account(row) for row in rows]
        except SQLAlchemyError as exc:
            raise StorageError(f"could not list the accounts: {exc}") from exc

    def count(self) -> int:
        return len(self.list())

    def set_password(self, username: str, password_hash: str) -> Account:
        return self._change(username, password_hash=password_hash)

    def set_roles(self, username: str, roles: Sequence[str]) -> Account:
        return self._change(username, roles=list(roles))

    def set_disabled(self, username: str, disabled: bool) -> Account:
        return self._change(username, disabled=disabled, failed_attempts=0, locked_until=None)

    def mirror(self, account: Account) -> Account:
        """Creates or refreshes a directory account (display name, organisation, roles)."""
        if self.get(account.username) is None:
            try:
                return self.add(
                    account.username,
                    account.display_name,
                    account.organisation,
                    account.roles,
                    None,
                    account.source,
                )
            except AccountError:
                pass  # another desk mirrored it at the same moment: refresh below
        return self._change(
            account.username,
            display_name=account.display_name,
            organisation=account.organisation,
            roles=list(account.roles),
            source=account.source,
        )

    def record_failure(
        self, username: str, limit: int, lock_minutes: float, now: datetime | None = None
    ) -> Account | None:
        """Counts one failed sign-in; at ``limit`` the account locks for ``lock_minutes``."""
        now = now or utc_now()
        try:
            with self.store.session() as session, session.begin():
                session.execute(
                    update(UserRow)
                    .where(UserRow.username == username)
                    .values(failed_attempts=UserRow.failed_attempts + 1, updated=now)
                )
                row = session.get(UserRow, username, populate_existing=True)
                if row is None:
                    return None
                if row.failed_attempts >= limit:
                    row.locked_until = now + timedelta(minutes=lock_minutes)
                    row.failed_attempts = 0
                return _account(row)
        except SQLAlchemyError as exc:
            raise StorageError(f"could not count a failed sign-in: {exc}") from exc

    def record_success(self, username: str) -> None:
        self._change(username, failed_attempts=0, locked_until=None)

    def _change(self, username: str, **values: object) -> Account:
        try:
            with self.store.session() as session, session.begin():
                row = session.get(UserRow, username)
                if row is None:
                    raise AccountError(_("There is no account named {name}.").format(name=username))
                for name, value in values.items():
                    setattr(row, name, value)
                row.updated = utc_now()
                return _account(row)
        except SQLAlchemyError as exc:
            raise StorageError(f"could not change the account {username!r}: {exc}") from exc


def locked(account: Account, now: datetime) -> bool:
    return account.locked_until is not None and account.locked_until > now


def _account(row: UserRow) -> Account:
    return Account(
        username=row.username,
        display_name=row.display_name,
        organisation=row.organisation,
        roles=tuple(row.roles or ()),
        source=row.source,
        disabled=row.disabled,
        password_hash=row.password_hash,
        failed_attempts=row.failed_attempts,
        locked_until=row.locked_until,
    )


DEMO_PASSWORD = "demo"
# (username, display name, role, organisation): one per role, for trying the console out.
DEMO_ACCOUNTS = (
    ("operator", "Demo operator", "operator", "city-control"),
    ("supervisor", "Demo supervisor", "supervisor", "city-control"),
    ("commander", "Demo incident commander", "incident-commander", "city-control"),
    ("trainer", "Demo trainer", "trainer", "city-control"),
    ("analyst", "Demo analyst", "analyst", "city-control"),
    ("admin", "Demo administrator", "administrator", "city-control"),
    ("viewer", "Demo external viewer", "external-viewer", "transport-operator"),
)


def demo_accounts_enabled(accounts: AccountStore) -> bool:
    """Whether one of the demo accounts is still there and enabled."""
    names = {username for username, *_ in DEMO_ACCOUNTS}
    return any(a.username in names and not a.disabled for a in accounts.list())


def seed_demo_accounts(accounts: AccountStore) -> bool:
    """Adds one demo account per role (password "demo") when there is no account at all.
    Only for a desk's own SQLite file: a shared database must never get known passwords.
    One hash serves all seven, so a fresh console starts without seven Argon2 runs."""
    if accounts.list():
        return False
    from app.security.passwords import hash_password

    shared_hash = hash_password(DEMO_PASSWORD)
    for username, display, role, organisation in DEMO_ACCOUNTS:
        try:
            accounts.add(username, display, organisation, (role,), shared_hash)
        except AccountError:
            return False  # another process seeded at the same moment
    return True
