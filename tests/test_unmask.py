"""Unmasking faces and authors: a stated purpose, a second person's approval, a time limit,
and every step on the audit record — with the real security service, audit log and a SQLite
file; the video side is a recorder of the blur commands it would receive.

Time is a clock the test moves: the service waits on a condition until the next expiry, and
``poke()`` makes it look again after the test moved the clock (no sleeps).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.hub import Hub
from app.security.accounts import AccountStore
from app.security.audit import AuditLog
from app.security.identities import Identity, remember
from app.security.model import (
    DecideUnmask,
    EndUnmask,
    PermissionRefused,
    RequestUnmask,
    RevealedAuthor,
    UnmaskChanged,
    UnmaskKind,
    UnmaskRules,
    UnmaskState,
)
from app.security.passwords import hash_password
from app.security.policy import load_policy
from app.security.sealing import Sealer
from app.security.service import SecurityService
from app.security.unmask import UnmaskService
from app.storage import RecordStore, create_engine_for, upgrade_schema
from app.video.messages import SetFaceBlur

T0 = datetime(2026, 11, 21, 14, 0, tzinfo=UTC)
PURPOSE = "Identify the person who threatened the stage crew"
PASSWORDS = {"olive": "olive-pass-1", "sam": "sam-pass-22", "ann": "ann-pass-333"}
HANDLE = "Harbour_Watcher"
PSEUDONYM = "p1-0123456789ab"
DEADLINE_S = 20.0
RULES = UnmaskRules()  # approval by a second person, at most 15 minutes


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Desk:
    """One workstation: its security service, unmask service and what reached its hub."""

    hub: Hub
    security: SecurityService
    unmask: UnmaskService
    blurs: list[SetFaceBlur]
    seen: list[Any] = field(default_factory=list)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def on_message(self, batch: Any) -> None:
        with self.lock:
            self.seen.extend(batch)
            self.lock.notify_all()

    def wait(self, predicate: Callable[[], bool], what: str) -> None:
        with self.lock:
            assert self.lock.wait_for(predicate, DEADLINE_S), f"timed out waiting for {what}"

    def of(self, kind: type) -> list[Any]:
        with self.lock:
            return [m for m in self.seen if isinstance(m, kind)]

    def state(self, identifier: str) -> UnmaskState | None:
        changes = [m.request for m in self.of(UnmaskChanged) if m.request.identifier == identifier]
        return changes[-1].state if changes else None

    def wait_state(self, identifier: str, state: UnmaskState) -> None:
        self.wait(lambda: self.state(identifier) is state, f"{identifier} {state}")

    def wait_refused(self, count: int = 1) -> list[PermissionRefused]:
        self.wait(lambda: len(self.of(PermissionRefused)) >= count, "a refusal")
        return self.of(PermissionRefused)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'unmask.db'}")
    upgrade_schema(engine)
    store = RecordStore(engine)
    accounts = AccountStore(store)
    accounts.add("olive", "Olive", "city-control", ("operator",), hash_password(PASSWORDS["olive"]))
    accounts.add("sam", "Sam", "city-control", ("supervisor",), hash_password(PASSWORDS["sam"]))
    accounts.add("ann", "Ann", "city-control", ("analyst",), hash_password(PASSWORDS["ann"]))
    remember(store, Sealer(), {PSEUDONYM: Identity(PSEUDONYM, "microblog", HANDLE)})
    yield store
    engine.dispose()


@pytest.fixture
def audit(store: RecordStore) -> Iterator[AuditLog]:
    log = AuditLog(store, "desk-1")
    log.start()
    yield log
    log.stop()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def make_desk(store: RecordStore, audit: AuditLog, clock: Clock) -> Iterator[Callable[..., Desk]]:
    desks: list[Desk] = []

    def make(rules: UnmaskRules = RULES, workstation: str = "desk-1") -> Desk:
        hub = Hub()
        security = SecurityService(store, hub, load_policy(), audit, workstation, clock=clock)
        blurs: list[SetFaceBlur] = []
        desk = Desk(hub, security, None, blurs)  # type: ignore[arg-type]

        def set_blur(command: SetFaceBlur) -> None:
            with desk.lock:
                blurs.append(command)
                desk.lock.notify_all()

        desk.unmask = UnmaskService(
            store,
            hub,
            audit,
            security,
            rules,
            set_blur,
            workstation,
            known_camera=lambda camera: camera.startswith("cam-"),
            clock=clock,
        )
        hub.subscribe(object, desk.on_message)
        desk.unmask.start()
        desks.append(desk)
        return desk

    yield make
    for desk in desks:
        desk.unmask.stop()


def actions(audit: AuditLog) -> list[tuple[str, str, str]]:
    assert audit.flush()
    return [(e.action, e.target, e.outcome.value) for e in audit.entries() if "unmask" in e.action]


def request(
    kind: UnmaskKind, target: str, identifier: str, purpose: str = PURPOSE, minutes: int = 5
):
    return RequestUnmask(kind, target, purpose, minutes, "olive", identifier)


def approve(identifier: str, by: str = "sam", password: str | None = None) -> DecideUnmask:
    return DecideUnmask(
        identifier, True, by, "ok", PASSWORDS.get(by, "") if password is None else password
    )


def test_a_purpose_is_required(make_desk: Callable[..., Desk], audit: AuditLog) -> None:
    desk = make_desk()
    desk.security.sign_in("olive", PASSWORDS["olive"])
    desk.unmask.submit(request(UnmaskKind.AUTHOR, PSEUDONYM, "u1", purpose="  look  "))
    refused = desk.wait_refused()
    assert "purpose" in refused[0].message
    desk.unmask.submit(request(UnmaskKind.AUTHOR, PSEUDONYM, "u2", minutes=60))
    assert "minutes" in desk.wait_refused(2)[1].message
    assert desk.unmask.requests() == []
    assert desk.of(RevealedAuthor) == []
    assert actions(audit) == [
        ("unmask.request", PSEUDONYM, "refused"),
        ("unmask.request", PSEUDONYM, "refused"),
    ]


def test_only_a_second_person_with_approve_unmask_and_their_password_grants(
    make_desk: Callable[..., Desk], audit: AuditLog
) -> None:
    desk = make_desk()
    desk.security.sign_in("olive", PASSWORDS["olive"])
    desk.unmask.submit(request(UnmaskKind.AUTHOR, PSEUDONYM, "u1"))
    desk.wait_state("u1", UnmaskState.PENDING)
    assert desk.of(RevealedAuthor) == [], "nothing shown before approval"

    desk.unmask.submit(approve("u1", by="olive"))  # the requester
    desk.unmask.submit(approve("u1", by="ann"))  # right password, no approve-unmask
    desk.unmask.submit(approve("u1", by="sam", password="not-his-password"))
    desk.unmask.submit(approve("u1", by="sam", password=""))
    messages = [r.message for r in desk.wait_refused(4)]
    assert "second person" in messages[0]
    assert "may not approve" in messages[1]
    assert "not accepted" in messages[2]
    assert "password" in messages[3]
    assert desk.state("u1") is UnmaskState.PENDING

    desk.unmask.submit(approve("u1"))
    desk.wait_state("u1", UnmaskState.GRANTED)
    desk.wait(lambda: bool(desk.of(RevealedAuthor)), "the revealed handle")
    revealed = desk.of(RevealedAuthor)[0]
    assert (revealed.pseudonym, revealed.platform, revealed.handle) == (
        PSEUDONYM,
        "microblog",
        HANDLE,
    )
    assert revealed.until == T0 + timedelta(minutes=5) and revealed.request_id == "u1"
    [stored] = desk.unmask.requests()
    assert (stored.state, stored.decided_by, stored.version) == (UnmaskState.GRANTED, "sam", 2)
    assert actions(audit) == [
        ("unmask.request", PSEUDONYM, "ok"),
        ("unmask.approve", "u1", "refused"),
        ("unmask.approve", "u1", "refused"),
        ("unmask.approve", "u1", "refused"),
        ("unmask.approve", "u1", "refused"),
        ("unmask.approve", PSEUDONYM, "ok"),
        ("unmask.reveal", PSEUDONYM, "ok"),
    ]
    entries = [e for e in audit.entries() if e.action in ("unmask.request", "unmask.approve")]
    assert all(e.detail.get("purpose") == PURPOSE for e in entries if e.outcome.value == "ok")


def test_a_denied_request_shows_nothing(make_desk: Callable[..., Desk], audit: AuditLog) -> None:
    desk = make_desk()
    desk.security.sign_in("olive", PASSWORDS["olive"])
    desk.unmask.submit(request(UnmaskKind.FACES, "cam-1", "u1"))
    desk.wait_state("u1", UnmaskState.PENDING)
    desk.unmask.submit(DecideUnmask("u1", False, "sam", "no reason given", PASSWORDS["sam"]))
    desk.wait_state("u1", UnmaskState.DENIED)
    assert desk.blurs == []
    assert [a for a, _t, _o in actions(audit)] == ["unmask.request", "unmask.deny"]


def test_faces_are_shown_until_expiry_then_blurred_again(
    make_desk: Callable[..., Desk], audit: AuditLog, clock: Clock
) -> None:
    desk = make_desk()
    desk.security.sign_in("olive", PASSWORDS["olive"])
    desk.unmask.submit(request(UnmaskKind.FACES, "cam-1", "u1", minutes=3))
    desk.wait_state("u1", UnmaskState.PENDING)
    desk.unmask.submit(approve("u1"))
    desk.wait(lambda: len(desk.blurs) == 1, "faces shown")
    assert desk.blurs[0] == SetFaceBlur("cam-1", False, PURPOSE, "olive")

    clock.now = T0 + timedelta(minutes=2)
    desk.unmask.poke()
    desk.unmask.submit(request(UnmaskKind.AUTHOR, PSEUDONYM, "probe"))  # a job after the poke
    desk.wait_state("probe", UnmaskState.PENDING)
    assert desk.state("u1") is UnmaskState.GRANTED and len(desk.blurs) == 1, "not yet"

    clock.now = T0 + timedelta(minutes=3, seconds=1)
    desk.unmask.poke()
    desk.wait_state("u1", UnmaskState.EXPIRED)
    desk.wait(lambda: len(desk.blurs) == 2, "faces blurred again")
    assert desk.blurs[1].camera_id == "cam-1" and desk.blurs[1].blurred
    assert audit.flush()
    expired = [e for e in audit.entries() if e.action == "unmask.expire"]
    assert len(expired) == 1 and expired[0].actor == "system:desk-1"
    assert expired[0].target == "cam-1" and expired[0].detail["purpose"] == PURPOSE


def test_a_revealed_author_expires(
    make_desk: Callable[..., Desk], audit: AuditLog, clock: Clock
) -> None:
    desk = make_desk(UnmaskRules(approval=False))
    desk.security.sign_in("olive", PASSWORDS["olive"])
    desk.unmask.submit(request(UnmaskKind.AUTHOR, PSEUDONYM, "u1", minutes=1))
    desk.wait(lambda: bool(desk.of(RevealedAuthor)), "the revealed handle")
    clock.now = T0 + timedelta(minutes=1)
    desk.unmask.poke()
    desk.wait_state("u1", UnmaskState.EXPIRED)
    assert [a for a, _t, _o in actions(audit)] == [
        "unmask.request",
        "unmask.reveal",
        "unmask.expire",
    ]


def test_no_approval_when_the_rules_say_so(make_desk: Callable[..., Desk], audit: AuditLog) -> None:
    desk = make_desk(UnmaskRules(approval=False, max_minutes=10))
    desk.security.sign_in("olive", PASSWORDS["olive"])
    desk.unmask.submit(request(UnmaskKind.FACES, "cam-2", "u1"))
    desk.wait_state("u1", UnmaskState.GRANTED)
    desk.wait(lambda: len(desk.blurs) == 1, "faces shown")
    assert not desk.blurs[0].blurred
    assert [a for a, _t, _o in actions(audit)] == ["unmask.request", "unmask.reveal"]


def test_ending_early_blurs_again_and_sign_out_hides_the_grant(
    make_desk: Callable[..., Desk], audit: AuditLog
) -> None:
    desk = make_desk(UnmaskRules(approval=False))
    desk.security.sign_in("olive", PASSWORDS["olive"])
    desk.unmask.submit(request(UnmaskKind.FACES, "cam-1", "u1"))
    desk.wait(lambda: len(desk.blurs) == 1, "faces shown")
    desk.unmask.submit(EndUnmask("u1", "ann"))  # neither requester nor approver
    assert "requester" in desk.wait_refused()[0].message
    desk.unmask.submit(EndUnmask("u1", "olive"))
    desk.wait_state("u1", UnmaskState.ENDED)
    desk.wait(lambda: len(desk.blurs) == 2, "faces blurred again")
    assert desk.blurs[1].blurred

    desk.unmask.submit(request(UnmaskKind.FACES, "cam-1", "u2"))
    desk.wait(lambda: len(desk.blurs) == 3, "faces shown again")
    desk.security.sign_out()  # the grant is the requester's, not the desk's
    desk.wait(lambda: len(desk.blurs) == 4, "faces blurred at sign-out")
    assert desk.blurs[3].blurred
    assert desk.state("u2") is UnmaskState.GRANTED
    assert ("unmask.end", "cam-1", "ok") in actions(audit)


def test_two_approvers_at_once_give_one_decision(
    make_desk: Callable[..., Desk], audit: AuditLog, store: RecordStore
) -> None:
    requester = make_desk(workstation="desk-1")
    other = make_desk(workstation="desk-2")
    requester.security.sign_in("olive", PASSWORDS["olive"])
    other.security.sign_in("sam", PASSWORDS["sam"])
    requester.unmask.submit(request(UnmaskKind.AUTHOR, PSEUDONYM, "u1"))
    requester.wait_state("u1", UnmaskState.PENDING)
    other.unmask.reload(["u1"])  # what the PostgreSQL listener does
    other.wait_state("u1", UnmaskState.PENDING)
    # At once: Sam approves at his own desk, and (with his password) denies at Olive's.
    other.unmask.submit(DecideUnmask("u1", True, "sam", "approved"))
    requester.unmask.submit(DecideUnmask("u1", False, "sam", "denied", PASSWORDS["sam"]))
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        states = (other.state("u1"), requester.state("u1"))
        decided = [s for s in states if s not in (None, UnmaskState.PENDING)]
        refusals = other.of(PermissionRefused) + requester.of(PermissionRefused)
        if decided and refusals:
            break
        time.sleep(0.02)
    refusals = other.of(PermissionRefused) + requester.of(PermissionRefused)
    assert len(refusals) == 1, "exactly one decision is refused"
    assert "decided" in refusals[0].message
    [stored] = requester.unmask.requests()
    assert stored.version == 2 and stored.state in (UnmaskState.GRANTED, UnmaskState.DENIED)
    decisions = [a for a, _t, o in actions(audit) if o == "ok" and a != "unmask.request"]
    assert len([a for a in decisions if a in ("unmask.approve", "unmask.deny")]) == 1


def test_a_stale_version_is_never_written(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk()
    desk.security.sign_in("olive", PASSWORDS["olive"])
    desk.unmask.submit(request(UnmaskKind.AUTHOR, PSEUDONYM, "u1"))
    desk.wait_state("u1", UnmaskState.PENDING)
    [read] = desk.unmask.requests()
    from dataclasses import replace

    first = replace(read, state=UnmaskState.DENIED, version=2)
    second = replace(read, state=UnmaskState.GRANTED, version=2)
    assert desk.unmask._update(read, first) is True
    assert desk.unmask._update(read, second) is False, "decided on a stale read"
    assert desk.unmask.requests()[0].state is UnmaskState.DENIED


def test_a_grant_that_ended_while_the_console_was_down_is_blurred_at_start(
    make_desk: Callable[..., Desk], audit: AuditLog, clock: Clock
) -> None:
    desk = make_desk(UnmaskRules(approval=False))
    desk.security.sign_in("olive", PASSWORDS["olive"])
    desk.unmask.submit(request(UnmaskKind.FACES, "cam-1", "u1", minutes=2))
    desk.wait(lambda: len(desk.blurs) == 1, "faces shown")
    desk.unmask.stop()
    assert desk.blurs[-1].blurred, "a stopping console blurs what it showed"
    clock.now = T0 + timedelta(hours=1)
    again = make_desk(UnmaskRules(approval=False))
    again.wait(lambda: any(b.blurred and b.camera_id == "cam-1" for b in again.blurs), "blur")
    again.wait_state("u1", UnmaskState.EXPIRED)
    assert [a for a, _t, _o in actions(audit)][-1] == "unmask.expire"


def test_unknown_targets_are_refused(make_desk: Callable[..., Desk]) -> None:
    desk = make_desk()
    desk.security.sign_in("olive", PASSWORDS["olive"])
    desk.unmask.submit(request(UnmaskKind.AUTHOR, "p1-ffffffffffff", "u1"))
    desk.unmask.submit(request(UnmaskKind.FACES, "door-7", "u2"))
    messages = [r.message for r in desk.wait_refused(2)]
    assert "pseudonym" in messages[0] and "camera" in messages[1]
