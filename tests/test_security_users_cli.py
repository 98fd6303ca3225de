"""``main.py users`` end to end: bootstrapping the first administrator, administrators managing
accounts with --as, refusals, and every step in the audit log."""

from __future__ import annotations

import getpass
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import main
from app.security.accounts import AccountStore
from app.security.audit import AuditLog
from app.security.model import Outcome
from app.security.passwords import verify_password
from app.storage import RecordStore, create_engine_for

ROOT_PASSWORD = "Root-of-all-4-desks"
BOB_PASSWORD = "Bobs-new-password-1"
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'users.db'}"


def users(db: str, *argv: str, stdin: str = "", admin_password: str | None = None, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    if admin_password is None:
        monkeypatch.delenv("WATCHFLOOR_PASSWORD", raising=False)
    else:
        monkeypatch.setenv("WATCHFLOOR_PASSWORD", admin_password)
    return main.main(["--db", db, "users", *argv])


def read(db: str):
    engine = create_engine_for(db)
    store = RecordStore(engine)
    try:
        return AccountStore(store).list(), AuditLog(store).entries()
    finally:
        engine.dispose()


def test_the_first_administrator_bootstraps_then_administrators_manage(
    db: str, monkeypatch, capsys
) -> None:
    add_root = ["add", "root", "--role", "administrator", "--org", "city-control"]
    assert (
        users(
            db, *add_root, "--password-stdin", stdin=ROOT_PASSWORD + "\n", monkeypatch=monkeypatch
        )
        == 0
    )
    # Now that an administrator exists, nobody adds accounts without signing in as one.
    add_bob = ["add", "bob", "--role", "operator", "--org", "police", "--display", "Bob B"]
    assert users(db, *add_bob, "--password-stdin", stdin="x" * 12, monkeypatch=monkeypatch) == 5
    assert "Sign in as an administrator" in capsys.readouterr().err
    assert (
        users(
            db,
            "--as",
            "root",
            *add_bob,
            "--password-stdin",
            stdin="short",
            admin_password=ROOT_PASSWORD,
            monkeypatch=monkeypatch,
        )
        == 2
    )
    assert "at least 10 characters" in capsys.readouterr().err
    assert (
        users(
            db,
            "--as",
            "root",
            *add_bob,
            "--password-stdin",
            stdin=BOB_PASSWORD,
            admin_password=ROOT_PASSWORD,
            monkeypatch=monkeypatch,
        )
        == 0
    )
    assert (
        users(
            db,
            "--as",
            "root",
            "roles",
            "bob",
            "--role",
            "operator",
            "--role",
            "analyst",
            admin_password=ROOT_PASSWORD,
            monkeypatch=monkeypatch,
        )
        == 0
    )
    assert (
        users(
            db,
            "--as",
            "root",
            "disable",
            "bob",
            admin_password=ROOT_PASSWORD,
            monkeypatch=monkeypatch,
        )
        == 0
    )
    capsys.readouterr()
    assert (
        users(db, "--as", "root", "list", admin_password=ROOT_PASSWORD, monkeypatch=monkeypatch)
        == 0
    )
    listed = capsys.readouterr().out.splitlines()
    assert listed == [
        "bob\tBob B\tpolice\toperator,analyst\tlocal\tdisabled",
        "root\troot\tcity-control\tadministrator\tlocal",
    ]
    # A wrong administrator password, and an operator acting as administrator, are refused.
    assert (
        users(db, "--as", "root", "enable", "bob", admin_password="wrong", monkeypatch=monkeypatch)
        == 5
    )
    assert (
        users(
            db,
            "--as",
            "root",
            "enable",
            "bob",
            admin_password=ROOT_PASSWORD,
            monkeypatch=monkeypatch,
        )
        == 0
    )
    assert (
        users(
            db,
            "--as",
            "bob",
            "disable",
            "root",
            admin_password=BOB_PASSWORD,
            monkeypatch=monkeypatch,
        )
        == 5
    )
    assert "bob may not manage accounts" in capsys.readouterr().err
    accounts, entries = read(db)
    bob = next(a for a in accounts if a.username == "bob")
    assert not bob.disabled and bob.roles == ("operator", "analyst")
    assert verify_password(bob.password_hash, BOB_PASSWORD)
    actions = [(e.actor, e.action, e.target, e.outcome) for e in entries if e.action != "sign-in"]
    me = f"cli:{getpass.getuser()}"
    assert actions == [
        (me, "user.add", "root", Outcome.OK),
        (me, "user.add", "bob", Outcome.REFUSED),
        ("root", "user.add", "bob", Outcome.FAILED),
        ("root", "user.add", "bob", Outcome.OK),
        ("root", "user.roles", "bob", Outcome.OK),
        ("root", "user.disable", "bob", Outcome.OK),
        ("root", "user.list", "", Outcome.OK),
        ("cli:root", "sign-in.failed", "root", Outcome.FAILED),
        ("root", "user.enable", "bob", Outcome.OK),
        ("bob", "user.disable", "root", Outcome.REFUSED),
    ]
    for entry in entries:
        assert ROOT_PASSWORD not in str(entry.detail) and BOB_PASSWORD not in str(entry.detail)


def test_bootstrapping_is_only_for_an_administrator(db: str, monkeypatch, capsys) -> None:
    add = ["add", "ann", "--role", "operator", "--org", "city-control", "--password-stdin"]
    assert users(db, *add, stdin="y" * 12, monkeypatch=monkeypatch) == 5
    assert (
        users(
            db,
            "add",
            "x",
            "--role",
            "administrator",
            "--role",
            "pilot",
            "--org",
            "city-control",
            "--password-stdin",
            stdin="z" * 12,
            monkeypatch=monkeypatch,
        )
        == 2
    )
    assert "Unknown role pilot" in capsys.readouterr().err


def test_users_runs_as_a_program_and_passwd_changes_the_hash(db: str, tmp_path: Path) -> None:
    env = dict(os.environ, WATCHFLOOR_HOME=str(tmp_path / "home"))
    env.pop("WATCHFLOOR_PASSWORD", None)
    command = [sys.executable, "main.py", "--db", db, "users"]
    done = subprocess.run(
        [
            *command,
            "add",
            "root",
            "--role",
            "administrator",
            "--org",
            "city-control",
            "--password-stdin",
        ],
        input=ROOT_PASSWORD,
        text=True,
        capture_output=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    before = read(db)[0][0].password_hash
    env["WATCHFLOOR_PASSWORD"] = ROOT_PASSWORD
    done = subprocess.run(
        [*command, "--as", "root", "passwd", "root", "--password-stdin"],
        input="Another-long-password",
        text=True,
        capture_output=True,
        cwd=REPO,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    after = read(db)[0][0].password_hash
    assert after != before and verify_password(after, "Another-long-password")
    assert ROOT_PASSWORD not in done.stdout + done.stderr
