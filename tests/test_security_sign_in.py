"""Signing in: Argon2 hashes, wrong passwords, lockout, disabled accounts, session lock, demo
accounts, all on a real SQLite file with the real audit log."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import text

from app.hub import Hub
from app.model import utc_now
from app.runtime import Core
from app.security.accounts import DEMO_ACCOUNTS, AccountStore
from app.security.audit import AuditLog
from app.security.model import Outcome, SessionChanged
from app.security.passwords import PasswordRuleError, check_rule, hash_password
from app.security.policy import load_policy
from app.security.service import SecurityService, SignInError
from app.settings import Settings
from app.storage import RecordStore, create_engine_for, upgrade_schema

PASSWORD = "Harbour-Lights-42"


class Clock:
    def __init__(self) -> None:
        self.now = utc_now()

    def __call__(self):
        return self.now


class Desk:
    """A security service on a real database, with what it published kept."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.engine = create_engine_for(f"sqlite:///{path}")
        upgrade_schema(self.engine)
        self.store = RecordStore(self.engine)
        self.hub = Hub()
        self.audit = AuditLog(self.store, "desk-1")
        self.clock = Clock()
        self.security = SecurityService(
            self.store, self.hub, load_policy(), self.audit, "desk-1", clock=self.clock
        )
        self.sessions: list[SessionChanged] = []
        self._keep = self.sessions.extend
        self.hub.subscribe(SessionChanged, self._keep)
        self.accounts = AccountStore(self.store)

    def add(self, name: str, roles=("operator",), password: str = PASSWORD) -> None:
        self.accounts.add(name, name.title(), "city-control", roles, hash_password(password))

    def entries(self):
        self.audit.flush()
        return self.audit.entries()

    def close(self) -> None:
        self.audit.stop()
        self.security.stop()
        self.engine.dispose()


@pytest.fixture
def desk(tmp_path: Path) -> Iterator[Desk]:
    desk = Desk(tmp_path / "desk.db")
    desk.audit.start()
    yield desk
    desk.close()


def test_a_right_password_signs_in_and_is_recorded(desk: Desk) -> None:
    desk.add("ann", ("operator", "analyst"))
    principal = desk.security.sign_in("ann", PASSWORD)
    assert principal.username == "ann" and principal.roles == ("operator", "analyst")
    assert desk.security.principal == principal
    assert desk.sessions == [SessionChanged(principal, False)]
    (entry,) = desk.entries()
    assert (entry.actor, entry.action, entry.outcome) == ("ann", "sign-in", Outcome.OK)
    assert entry.workstation == "desk-1"


def test_a_wrong_password_is_refused_and_recorded_without_the_password(desk: Desk) -> None:
    desk.add("ann")
    with pytest.raises(SignInError, match="user name or the password is wrong"):
        desk.security.sign_in("ann", "Harbour-Lights-43")
    with pytest.raises(SignInError, match="user name or the password is wrong"):
        desk.security.sign_in("nobody", "Harbour-Lights-43")
    assert desk.security.principal is None and desk.sessions == []
    entries = desk.entries()
    assert [(e.actor, e.action, e.outcome, e.detail["reason"]) for e in entries] == [
        ("ann", "sign-in.failed", Outcome.FAILED, "wrong-password"),
        ("nobody", "sign-in.failed", Outcome.FAILED, "unknown"),
    ]
    assert desk.accounts.get("ann").failed_attempts == 1


def test_five_failures_lock_the_account_for_five_minutes(desk: Desk) -> None:
    desk.add("ann")
    for _attempt in range(4):
        with pytest.raises(SignInError, match="wrong"):
            desk.security.sign_in("ann", "guess")
    with pytest.raises(SignInError, match="locked until"):
        desk.security.sign_in("ann", "guess")
    # Even the right password is refused while the lock lasts.
    with pytest.raises(SignInError, match="locked until"):
        desk.security.sign_in("ann", PASSWORD)
    desk.clock.now += timedelta(minutes=4, seconds=50)
    with pytest.raises(SignInError, match="locked until"):
        desk.security.sign_in("ann", PASSWORD)
    desk.clock.now += timedelta(seconds=20)
    assert desk.security.sign_in("ann", PASSWORD).username == "ann"
    account = desk.accounts.get("ann")
    assert account.failed_attempts == 0 and account.locked_until is None
    reasons = [e.detail.get("reason") for e in desk.entries() if e.action == "sign-in.failed"]
    assert reasons == ["wrong-password"] * 5 + ["locked-out"] * 2


def test_a_disabled_account_cannot_sign_in(desk: Desk) -> None:
    desk.add("ann")
    desk.accounts.set_disabled("ann", True)
    with pytest.raises(SignInError, match="disabled"):
        desk.security.sign_in("ann", PASSWORD)
    desk.accounts.set_disabled("ann", False)
    assert desk.security.sign_in("ann", PASSWORD).username == "ann"


def test_the_database_holds_argon2_hashes_never_the_password(desk: Desk, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    desk.add("ann")
    desk.security.sign_in("ann", PASSWORD)
    with pytest.raises(SignInError):
        desk.security.sign_in("ann", PASSWORD + "!")
    desk.audit.flush()
    with desk.engine.connect() as connection:
        stored = connection.execute(text("SELECT password_hash FROM users")).scalar_one()
    assert stored.startswith("$argon2id$")
    desk.close()  # everything written and the files closed
    files = [p for p in desk.path.parent.iterdir() if p.name.startswith(desk.path.name)]
    assert files
    for path in files:
        assert PASSWORD.encode() not in path.read_bytes(), path
    assert PASSWORD not in caplog.text


def test_an_old_hash_is_renewed_at_sign_in(desk: Desk) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    desk.accounts.add("ann", "Ann", "city-control", ("operator",), weak)
    desk.security.sign_in("ann", PASSWORD)
    renewed = desk.accounts.get("ann").password_hash
    assert renewed != weak and renewed.startswith("$argon2id$")
    assert "m=8192" in weak and "m=8192" not in renewed


def test_a_second_person_is_verified_without_changing_the_session(desk: Desk) -> None:
    desk.add("ann")
    desk.add("sam", ("supervisor",))
    desk.security.sign_in("ann", PASSWORD)
    assert desk.security.verify("sam", PASSWORD).roles == ("supervisor",)
    assert desk.security.principal.username == "ann"
    with pytest.raises(SignInError):
        desk.security.verify("sam", "nope")
    actions = [(e.actor, e.action, e.outcome) for e in desk.entries()]
    assert actions[-2:] == [
        ("sam", "sign-in.verify", Outcome.OK),
        ("sam", "sign-in.verify", Outcome.REFUSED),
    ]


def test_a_locked_session_opens_only_with_the_password(desk: Desk) -> None:
    desk.add("ann")
    principal = desk.security.sign_in("ann", PASSWORD)
    desk.security.lock()
    assert desk.security.locked and desk.sessions[-1] == SessionChanged(principal, True)
    assert desk.security.lock_after_s == 600
    assert not desk.security.unlock("nope")
    assert desk.security.locked
    assert desk.security.unlock(PASSWORD)
    assert not desk.security.locked and desk.sessions[-1] == SessionChanged(principal, False)
    desk.security.sign_out()
    assert desk.security.principal is None and desk.sessions[-1] == SessionChanged(None, False)
    assert [e.action for e in desk.entries()] == [
        "sign-in",
        "session.lock",
        "session.unlock",
        "session.unlock",
        "sign-out",
    ]


def test_the_password_rule_says_how_long_a_password_must_be() -> None:
    with pytest.raises(PasswordRuleError, match="at least 10 characters"):
        check_rule("short", 10)
    check_rule("long enough!", 10)


def test_a_fresh_local_database_gets_one_demo_account_per_role(caplog) -> None:
    caplog.set_level(logging.WARNING)
    core = Core(Settings(demo=False))  # the default database: the desk's own SQLite file
    try:
        accounts = {a.username: a for a in core.security.accounts.list()}
        assert {name for name, *_ in DEMO_ACCOUNTS} == set(accounts)
        assert accounts["viewer"].organisation == "transport-operator"
        assert accounts["commander"].roles == ("incident-commander",)
        assert "password 'demo'" in caplog.text
        assert core.security.sign_in("commander", "demo").roles == ("incident-commander",)
    finally:
        core.stop()


def test_a_named_database_gets_no_demo_accounts(tmp_path: Path) -> None:
    core = Core(Settings(database_url=f"sqlite:///{tmp_path / 'site.db'}", demo=False))
    try:
        assert core.security.accounts.list() == []
    finally:
        core.stop()
