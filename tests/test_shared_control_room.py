"""The shared control room: several workstations on one real PostgreSQL database.

Every test here runs against a PostgreSQL server the suite starts itself (tests/postgres.py),
each on a fresh empty database: migrations from empty, changes pushed from one workstation's
core to another's hub (LISTEN/NOTIFY), concurrent acknowledgement with optimistic locking, and
the listener surviving the server going away. Select them with ``-m postgres``.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, inspect, select, text

from app.alerts.lifecycle import Action
from app.alerts.service import AlertCommand, AlertSnapshot, CommandRefused
from app.incidents.messages import AddIncidentNote, IncidentChanged, OpenIncident
from app.map.zones import DeleteZone, SaveZone, ZoneRemoved
from app.model import (
    Alert,
    AlertAction,
    AlertState,
    Detection,
    GeoPoint,
    Observation,
    Post,
    Sensor,
    Status,
    Track,
    Zone,
    utc_now,
)
from app.storage import RecordStore, create_engine_for, upgrade_schema
from app.storage.changes import CHANNEL
from app.storage.engine import alembic_config
from app.storage.listener import ChangeListener
from app.storage.orm import AlertActionRow, AlertRow, Base, IncidentEntryRow
from tests.factories import alert, one_of_each, signed_in, submit_as

pytestmark = pytest.mark.postgres

REPO = Path(__file__).resolve().parents[1]

log = logging.getLogger(__name__)

DEADLINE_S = 10.0  # generous for a loaded 2-core CI machine; the target is 1 s (bench/)
ROUNDS = 20


# --- helpers -------------------------------------------------------------------------------
class Seen:
    """Everything a hub publishes, with the monotonic time it arrived."""

    def __init__(self, hub: Any) -> None:
        self.items: list[tuple[float, Any]] = []
        self._changed = threading.Condition()
        self._subscription = hub.subscribe(object, self._on_batch)

    def _on_batch(self, batch: list[Any]) -> None:
        now = time.monotonic()
        with self._changed:
            self.items += [(now, m) for m in batch]
            self._changed.notify_all()

    def of(self, kind: type) -> list[Any]:
        with self._changed:
            return [m for _, m in self.items if isinstance(m, kind)]

    def wait_for(
        self, predicate: Callable[[Any], bool], timeout: float = DEADLINE_S
    ) -> tuple[float, Any]:
        """The first published message matching ``predicate`` (and when it came)."""

        def found() -> tuple[float, Any] | None:
            return next(((t, m) for t, m in self.items if predicate(m)), None)

        with self._changed:
            assert self._changed.wait_for(lambda: found() is not None, timeout), "timed out"
            result = found()
            assert result is not None
            return result


def wait_until(condition: Callable[[], bool], timeout: float = DEADLINE_S) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def fresh_alert(n: int, **changes: Any) -> Alert:
    """A new alert no dedup rule folds into another (its own tool), sent now."""
    values: dict[str, Any] = dict(
        sent=utc_now(), source_tool=f"tool-{n}", status=Status.ACTUAL, area=None
    )
    values.update(changes)
    return alert(f"pg-{n}", **values)


def submit(core: Any, command_: object) -> None:
    """Through the core's own entry, as a panel submits, by the person the command names
    signed in at that console (the core refuses commands from nobody)."""
    submit_as(core, command_)


@pytest.fixture
def make_core(postgres_url: str) -> Iterator[Callable[[], Any]]:
    from app.runtime import Core
    from app.settings import Settings

    cores: list[Any] = []

    def make() -> Any:
        core = Core(Settings(database_url=postgres_url, demo=False))
        seen = Seen(core.hub)
        core.seen = seen
        cores.append(core)
        core.start()
        assert core.listener is not None, "a core on PostgreSQL listens for changes"
        assert core.listener.wait_connected(DEADLINE_S)
        return core

    yield make
    for core in cores:
        core.stop()


@pytest.fixture
def two_cores(make_core) -> tuple[Any, Any]:
    return make_core(), make_core()


# --- migrations ----------------------------------------------------------------------------
def test_migrations_run_from_empty_and_back(postgres_url: str) -> None:
    engine = create_engine_for(postgres_url)
    try:
        assert inspect(engine).get_table_names() == []
        upgrade_schema(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"alerts", "alert_actions", "incidents", "zones", "users", "audit_log"} <= tables
        with engine.connect() as connection:
            # ``alembic check``: the models and the migrations describe the same schema.
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
            assert connection.scalar(text("SELECT version_num FROM alembic_version"))
        config = alembic_config(engine)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        upgrade_schema(engine)
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
        store = RecordStore(engine)
        store.save([fresh_alert(1)])
        assert store.get(Alert, "pg-1").version == 0
    finally:
        engine.dispose()


def test_consoles_starting_together_migrate_once(postgres_url: str) -> None:
    """Three workstations (processes) upgrading one empty database at the same moment all
    start: the advisory lock lets one migrate while the others wait, then find it done."""
    script = (
        "import sys; from app.storage import create_engine_for, upgrade_schema; "
        "upgrade_schema(create_engine_for(sys.argv[1]))"
    )
    starts = [
        subprocess.Popen(
            [sys.executable, "-c", script, postgres_url],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(3)
    ]
    try:
        outputs = [start.communicate(timeout=90)[0] for start in starts]
    finally:
        for start in starts:
            start.kill()
    assert [start.returncode for start in starts] == [0, 0, 0], outputs
    engine = create_engine_for(postgres_url)
    try:
        with engine.connect() as connection:
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    finally:
        engine.dispose()


# --- the listener on its own ---------------------------------------------------------------
@pytest.fixture
def two_stores(postgres_url: str) -> Iterator[tuple[RecordStore, RecordStore]]:
    engine = create_engine_for(postgres_url)
    upgrade_schema(engine)
    other = create_engine_for(postgres_url)
    yield RecordStore(engine), RecordStore(other)
    engine.dispose()
    other.dispose()


class Heard:
    def __init__(self) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.resyncs = 0
        self._lock = threading.Lock()

    def handler(self, kind: str) -> Callable[[list[str]], None]:
        def handle(ids: list[str]) -> None:
            with self._lock:
                self.calls.append((kind, ids))

        return handle

    def resync(self) -> None:
        with self._lock:
            self.resyncs += 1

    def ids(self, kind: str) -> list[str]:
        with self._lock:
            return [i for k, ids in self.calls if k == kind for i in ids]


def test_a_commit_is_heard_by_the_others_not_by_itself(postgres_url, two_stores) -> None:
    a, b = two_stores
    heard_at_b, heard_at_a = Heard(), Heard()
    kinds = ("alert", "zone", "alert-action")
    at_b = ChangeListener(postgres_url, b.origin, {k: heard_at_b.handler(k) for k in kinds})
    at_a = ChangeListener(postgres_url, a.origin, {k: heard_at_a.handler(k) for k in kinds})
    with running(at_a, at_b):
        a.save([fresh_alert(1), fresh_alert(2)])
        wait_until(lambda: heard_at_b.ids("alert") == ["pg-1", "pg-2"])
        # A rolled-back write is never announced: pg_notify is transactional.
        with a.engine.connect() as connection:  # closed without commit: rolled back
            connection.execute(select(func.pg_notify(CHANNEL, '{"o":"x","k":"zone","i":["z"]}')))
        zone = Zone(identifier="z-9", name="Gate", kind="restricted", polygon=_square())
        a.save([zone])
        wait_until(lambda: heard_at_b.ids("zone") == ["z-9"])
        assert a.delete(Zone, "z-9")
        wait_until(lambda: heard_at_b.ids("zone") == ["z-9", "z-9"])
        wait_until(lambda: at_a.received >= 3)
    assert heard_at_a.calls == []  # its own announcements were all received, and ignored


def test_the_listener_reconnects_after_a_server_restart(
    postgres_server, postgres_url, two_stores
) -> None:
    a, b = two_stores
    heard = Heard()
    listener = ChangeListener(
        postgres_url, b.origin, {"alert": heard.handler("alert")}, [heard.resync]
    )
    with running(listener):
        a.save([fresh_alert(1)])
        wait_until(lambda: heard.ids("alert") == ["pg-1"])
        postgres_server.restart()
        wait_until(lambda: listener.connections >= 2 and listener.connected.is_set(), 60)
        assert heard.resyncs == 1  # what was missed while away is loaded again
        a.save([fresh_alert(2)])  # the engine's pool pre-pings: the write reconnects too
        wait_until(lambda: heard.ids("alert") == ["pg-1", "pg-2"])


@contextmanager
def running(*listeners: ChangeListener) -> Iterator[None]:
    for listener in listeners:
        listener.start()
    try:
        for listener in listeners:
            assert listener.wait_connected(DEADLINE_S)
        yield
    finally:
        for listener in listeners:
            listener.stop()


def _square() -> tuple[GeoPoint, ...]:
    return (
        GeoPoint(59.91, 10.73),
        GeoPoint(59.92, 10.73),
        GeoPoint(59.92, 10.74),
        GeoPoint(59.91, 10.73),
    )


# --- two consoles on one database ----------------------------------------------------------
def test_an_alert_ingested_at_one_console_appears_at_the_other(two_cores) -> None:
    a, b = two_cores
    committed = time.monotonic()
    a.ingest.accept([fresh_alert(1)])
    arrived, shown = b.seen.wait_for(lambda m: isinstance(m, Alert) and m.identifier == "pg-1")
    log.info("alert propagated in %.1f ms", (arrived - committed) * 1000)
    assert shown.headline == "Knife detected near the stage" and shown.state is AlertState.NEW


def test_an_acknowledgement_at_one_console_appears_at_the_other(two_cores) -> None:
    a, b = two_cores
    a.ingest.accept([fresh_alert(1)])
    b.seen.wait_for(lambda m: isinstance(m, Alert) and m.identifier == "pg-1")
    submit(a, AlertCommand(Action.ACKNOWLEDGE, "pg-1", by="anna"))
    _, shown = b.seen.wait_for(
        lambda m: isinstance(m, Alert) and m.state is AlertState.ACKNOWLEDGED
    )
    assert shown.identifier == "pg-1" and shown.version == 1
    _, action = b.seen.wait_for(lambda m: isinstance(m, AlertAction))
    assert (action.alert_identifier, action.action, action.by) == ("pg-1", "acknowledge", "anna")


def test_an_incident_opened_at_one_console_appears_at_the_other(two_cores) -> None:
    a, b = two_cores
    a.ingest.accept([fresh_alert(1)])
    b.seen.wait_for(lambda m: isinstance(m, Alert) and m.identifier == "pg-1")
    opening = OpenIncident("Knife at the stage", ("pg-1",), by="anna")
    submit(a, opening)
    _, changed = b.seen.wait_for(
        lambda m: isinstance(m, IncidentChanged) and m.incident.identifier == opening.identifier
    )
    assert changed.incident.title == "Knife at the stage"
    assert [x.identifier for x in changed.alerts] == ["pg-1"]


def test_an_action_on_an_incident_alert_is_logged_once_and_shown_at_both(
    postgres_server, two_cores, caplog
) -> None:
    """The acting console writes the incident's log line; the other shows it and does not
    write it again (the same line, written by both at once, would collide)."""
    import psycopg

    a, b = two_cores
    a.ingest.accept([fresh_alert(1)])
    b.seen.wait_for(lambda m: isinstance(m, Alert) and m.identifier == "pg-1")
    opening = OpenIncident("Knife at the stage", ("pg-1",), by="anna")
    submit(a, opening)
    b.seen.wait_for(lambda m: isinstance(m, IncidentChanged))
    with psycopg.connect(postgres_server.dsn(a.engine.url.database), autocommit=True) as spy:
        spy.execute(f"LISTEN {CHANNEL}")
        spy.execute("LISTEN test_sentinel")
        submit(a, AlertCommand(Action.ACKNOWLEDGE, "pg-1", by="anna"))

        def logged(m: Any) -> bool:
            return isinstance(m, IncidentChanged) and any(
                e.details.get("action") == "acknowledge" for e in m.entries
            )

        for core in (a, b):
            core.seen.wait_for(logged)
        # B's incident service works in order: once its note is announced, any log line it
        # wrote for anna's action would have been announced before it.
        submit(b, AddIncidentNote(opening.identifier, "On my way", by="bruno"))
        b.seen.wait_for(
            lambda m: isinstance(m, IncidentChanged) and any(e.kind == "note" for e in m.entries)
        )
        from_b = _announced_before_sentinel(spy, b.store.origin, "incident")
    assert from_b == 1  # the note only
    # Nor tried to and collided with A's line (the other way the same line would show).
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text
    with a.store.session() as session:
        lines = session.scalars(
            select(IncidentEntryRow).where(
                IncidentEntryRow.incident_identifier == opening.identifier
            )
        ).all()
    assert [(line.details or {}).get("action") for line in lines].count("acknowledge") == 1


def _announced_before_sentinel(spy: Any, origin: str, kind: str) -> int:
    """How many ``kind`` changes ``origin`` announced so far. PostgreSQL delivers
    notifications in commit order, so everything committed before the sentinel is heard first."""
    import psycopg

    from app.storage.listener import parse

    with psycopg.connect(spy.info.dsn, autocommit=True) as other:
        other.execute("NOTIFY test_sentinel, 'sentinel'")
    count = 0
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        for notify in spy.notifies(timeout=0.2):
            if notify.payload == "sentinel":
                return count
            parsed = parse(notify.payload)
            if parsed is not None and parsed[:2] == (origin, kind):
                count += 1
    raise AssertionError("the sentinel never arrived")


def test_a_zone_saved_and_deleted_at_one_console_follows_at_the_other(two_cores) -> None:
    a, b = two_cores
    zone = Zone(identifier="z-1", name="Backstage", kind="restricted", polygon=_square())
    submit(a, SaveZone(zone, by="anna"))
    _, shown = b.seen.wait_for(lambda m: isinstance(m, Zone) and m.identifier == "z-1")
    assert shown == zone
    submit(a, DeleteZone("z-1", by="anna"))
    b.seen.wait_for(lambda m: isinstance(m, ZoneRemoved) and m.identifier == "z-1")


@pytest.mark.parametrize("as_seen", [True, False], ids=["version-as-seen", "no-version"])
def test_concurrent_acknowledgement_never_loses_an_update(two_cores, as_seen: bool) -> None:
    """Both operators press acknowledge on the same alert at once, ROUNDS times: exactly one
    wins, the other is told who was first, one action row is written, and the loser's queue
    is given the alert as it is now. With ``as_seen`` the commands carry the version each
    operator saw (the conflict is caught before or by the guarded UPDATE); without, both read
    the stored alert and only the guarded UPDATE keeps the second from overwriting the first."""
    a, b = two_cores
    signed_in(a, "anna")  # before the race: signing in (Argon2) must not stagger it
    signed_in(b, "bruno")
    for n in range(ROUNDS):
        _race(a, b, n, as_seen)


def _race(a: Any, b: Any, n: int, as_seen: bool) -> None:
    identifier = f"pg-{n}"
    names = {id(a): "anna", id(b): "bruno"}
    a.ingest.accept([fresh_alert(n)])
    b.seen.wait_for(lambda m: isinstance(m, Alert) and m.identifier == identifier)
    version = 0 if as_seen else None
    commands = {
        id(core): AlertCommand(Action.ACKNOWLEDGE, identifier, names[id(core)], version=version)
        for core in (a, b)
    }
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda core: submit(core, commands[id(core)]), (a, b)))

    def outcome(core: Any) -> str | None:
        mine = commands[id(core)]
        if any(r.command is mine for r in core.seen.of(CommandRefused)):
            return "refused"
        if any(
            x.alert_identifier == identifier and x.by == names[id(core)]
            for x in core.seen.of(AlertAction)
        ):
            return "applied"
        return None

    wait_until(lambda: outcome(a) is not None and outcome(b) is not None)
    outcomes = sorted([outcome(a), outcome(b)])
    assert outcomes == ["applied", "refused"], f"round {n}: {outcomes}"
    winner, loser = (a, b) if outcome(a) == "applied" else (b, a)
    refusal = next(r for r in loser.seen.of(CommandRefused) if r.command is commands[id(loser)])
    told = f"{names[id(winner)]} acknowledged this alert at"
    if as_seen:
        assert refusal.message.startswith(told), refusal.message
        assert refusal.message.endswith("your action was not applied."), refusal.message
    else:  # read before or after the winner's commit: either way the operator is told
        assert refusal.message.startswith(told) or refusal.message == (
            "Cannot acknowledge an alert that is acknowledged."
        ), refusal.message
    with a.store.session() as session:
        rows = session.scalars(
            select(AlertActionRow).where(
                AlertActionRow.alert_identifier == identifier,
                AlertActionRow.action == "acknowledge",
            )
        ).all()
        stored = session.get(AlertRow, identifier)
        assert [r.by for r in rows] == [names[id(winner)]]
        assert (stored.state, stored.version) == ("acknowledged", 1)
    # Both queues show the truth: the alert acknowledged by the winner.
    for core in (winner, loser):
        core.seen.wait_for(
            lambda m: (
                isinstance(m, Alert)
                and m.identifier == identifier
                and m.state is AlertState.ACKNOWLEDGED
                and m.version == 1
            )
        )


def test_a_console_keeps_hearing_after_its_connection_is_cut(postgres_server, two_cores) -> None:
    a, b = two_cores
    database = b.engine.url.database
    assert postgres_server.terminate_backends(database, "watchfloor-listener") >= 1
    wait_until(lambda: b.listener.connections >= 2 and b.listener.connected.is_set(), 60)
    # What was announced while it was away is lost: the queue is loaded again.
    wait_until(lambda: len(b.seen.of(AlertSnapshot)) == 2)  # at start, and after reconnecting
    a.ingest.accept([fresh_alert(1)])
    b.seen.wait_for(lambda m: isinstance(m, Alert) and m.identifier == "pg-1")


def test_tracks_are_shared_but_raw_posts_and_readings_are_not(two_cores) -> None:
    """Posts and sensor readings feed each console's own detectors on the hub: republished,
    they would raise every alert twice. The alerts they raise are shared instead."""
    a, b = two_cores
    records = {type(r): r for r in one_of_each()}
    a.store.save([records[Post], records[Observation], records[Sensor]])
    a.store.save([records[Detection]])
    a.store.save([records[Track]])  # announced last: heard after the others
    b.seen.wait_for(lambda m: isinstance(m, Detection) and m.identifier == "d-1")
    b.seen.wait_for(lambda m: isinstance(m, Track) and m.identifier == "t-1")
    assert b.seen.of(Post) == [] and b.seen.of(Observation) == [] and b.seen.of(Sensor) == []


def test_sqlite_announces_nothing_and_runs_no_listener(tmp_path) -> None:
    from app.runtime import Core
    from app.settings import Settings

    core = Core(Settings(database_url=f"sqlite:///{tmp_path / 'one.db'}", demo=False))
    core.start()
    try:
        assert core.listener is None
        assert core.ingest.accept([fresh_alert(1)]) == 1  # announce() is a no-op here
        assert core.store.get(Alert, "pg-1").version == 0
    finally:
        core.stop()


# --- optimistic locking, on the local store too ----------------------------------------------
def test_an_action_on_a_changed_alert_is_refused_with_who_did_what(record_store) -> None:
    from app.alerts import lifecycle
    from app.alerts.repository import AlertRepository, StaleAlert
    from app.alerts.service import changed_elsewhere_message

    repository = AlertRepository(record_store)
    record_store.save([fresh_alert(1)])
    seen = repository.by_ids(["pg-1"])["pg-1"]
    stored = repository.apply(lifecycle.acknowledge(seen, "anna", utc_now()), None)
    assert stored.version == 1 == repository.by_ids(["pg-1"])["pg-1"].version
    with pytest.raises(StaleAlert) as raised:  # bruno's start, based on the alert he saw
        repository.apply(lifecycle.start(seen, "bruno", utc_now()), None)
    assert raised.value.current.state is AlertState.ACKNOWLEDGED
    assert raised.value.current.version == 1
    message = changed_elsewhere_message(raised.value.last_action)
    assert message.startswith("anna acknowledged this alert at ")
    assert message.endswith(" on another workstation; your action was not applied.")
    assert record_store.count(AlertAction) == 1  # nothing of bruno's was written


def test_both_alert_decoders_carry_the_version(record_store) -> None:
    from app.alerts import lifecycle
    from app.alerts.repository import AlertRepository
    from app.storage.codecs import from_row
    from app.timeline.alert_rows import alert_from_row, stored_triage
    from app.timeline.review_alerts import _COLUMNS

    repository = AlertRepository(record_store)
    record_store.save([fresh_alert(1), fresh_alert(2, area=alert().area)])
    for identifier in ("pg-1", "pg-2"):
        seen = repository.by_ids([identifier])[identifier]
        repository.apply(lifecycle.acknowledge(seen, "anna", utc_now()), None)
    with record_store.session() as session:
        rows = {row.identifier: row for row in session.connection().execute(_COLUMNS)}
        for identifier in ("pg-1", "pg-2"):
            generic = from_row(Alert, session.get(AlertRow, identifier))
            assert generic.version == 1
            assert alert_from_row(rows[identifier], stored_triage(rows[identifier])) == generic
    # A tool re-delivering the alert keeps the operators' version.
    record_store.save([fresh_alert(1)])
    assert record_store.get(Alert, "pg-1").version == 1
