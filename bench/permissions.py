"""Permission check cost: ``permits`` (the GUI asks it for every button) and the core's guard
``SecurityService.authorize`` (every command passes it), per call, for a few roles; and one
Argon2 sign-in for scale (it runs on a worker thread, never per action).

Run alone with ``python -m bench.permissions``; ``python -m bench`` runs it with the others.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import time as clock
from pathlib import Path

from app.alerts.lifecycle import Action
from app.alerts.service import AlertCommand
from app.hub import Hub
from app.model import Alert, Category, GeoPoint, Priority, utc_now
from app.security.accounts import AccountStore
from app.security.audit import AuditLog
from app.security.model import Account, Permission, ShiftWindow
from app.security.passwords import hash_password
from app.security.permissions import permits
from app.security.policy import load_policy
from app.security.service import SecurityService
from app.storage import RecordStore, create_engine_for, upgrade_schema
from app.timeline.messages import AddBookmark

Row = tuple[str, str, str]
CALLS = 20_000
PASSWORD = "bench-password-1"


def permission_benchmarks() -> list[Row]:
    return _permits_rows() + _authorize_rows()


def _timed(work: Callable[[], object], calls: int = CALLS) -> str:
    samples = []
    for _ in range(calls):
        started = time.perf_counter_ns()
        work()
        samples.append(time.perf_counter_ns() - started)
    samples.sort()
    p50 = statistics.median(samples) / 1000
    p95 = samples[int(len(samples) * 0.95)] / 1000
    return f"p50 {p50:.2f} µs, p95 {p95:.2f} µs"


def _permits_rows() -> list[Row]:
    policy = load_policy()
    now = utc_now()
    rows: list[Row] = []
    for role, organisation in (
        ("operator", "city-control"),
        ("supervisor", "city-control"),
        ("external-viewer", "transport-operator"),
    ):
        principal = policy.principal(Account(role, role, organisation, (role,)), now)
        rows.append(
            (
                "security",
                f"permits acknowledge, camera ({role})",
                _timed(lambda p=principal: permits(p, Permission.ACKNOWLEDGE, camera="cam-1")),
            )
        )
    week = frozenset(range(7))
    shifted = replace(
        policy.principal(Account("s", "s", "city-control", ("operator",)), now),
        shifts=(ShiftWindow(week, clock(7), clock(19)), ShiftWindow(week, clock(19), clock(7))),
    )
    rows.append(
        (
            "security",
            "permits acknowledge (operator, two shift windows)",
            _timed(lambda: permits(shifted, Permission.ACKNOWLEDGE)),
        )
    )
    return rows


def _authorize_rows() -> list[Row]:
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine_for(f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            upgrade_schema(engine)
            store = RecordStore(engine)
            hub = Hub()
            audit = AuditLog(store)
            security = SecurityService(store, hub, load_policy(), audit, "bench")
            accounts = AccountStore(store)
            shared_hash = hash_password(PASSWORD)
            for name, role, organisation in (
                ("sup", "supervisor", "city-control"),
                ("pc", "operator", "police"),
                ("ext", "external-viewer", "transport-operator"),
            ):
                accounts.add(name, name, organisation, (role,), shared_hash)
            started = time.perf_counter()
            security.sign_in("sup", PASSWORD)
            sign_in_ms = (time.perf_counter() - started) * 1000
            hub.publish(_alert("a-1"))
            rows: list[Row] = [("security", "sign-in (Argon2 verify)", f"{sign_in_ms:.0f} ms")]
            for name in ("sup", "pc", "ext"):
                security.sign_in(name, PASSWORD)
                ack = AlertCommand(Action.ACKNOWLEDGE, "a-1", name)
                mark = AddBookmark(utc_now(), "x", name)
                rows.append(
                    (
                        "security",
                        f"authorize alert acknowledge ({name}: routing)",
                        _timed(lambda c=ack: security.authorize(c)),
                    )
                )
                rows.append(
                    (
                        "security",
                        f"authorize bookmark ({name})",
                        _timed(lambda c=mark: security.authorize(c)),
                    )
                )
            audit.stop()  # sign-ins were queued
            security.stop()
            return rows
        finally:
            engine.dispose()


def _alert(identifier: str) -> Alert:
    return Alert(
        identifier=identifier,
        sender="bench@watchfloor",
        source_tool="bench",
        sent=utc_now(),
        event_type="knife",
        category=Category.SECURITY,
        headline="Bench alert",
        point=GeoPoint(59.91, 10.73),
        priority=Priority.P1,
    )


if __name__ == "__main__":
    for area, measure, result in permission_benchmarks():
        print(f"{area:<10} {measure:<52} {result}")
