"""The audit log: a single-file hash chain that the database guards and verification checks.

Tampering is done as an intruder would: with raw sqlite3 on the database file, after dropping
the append-only triggers. Every case checks that ``verify`` names the right entry and kind.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

import main
from app.security.audit import GENESIS, AuditLog, entry_hash
from app.security.audit_verify import ProblemKind, VerificationStopped, describe, verify
from app.security.model import AuditEvent, Outcome
from app.storage import RecordStore, StorageError, create_engine_for, upgrade_schema
from tests.conftest import REPO

T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "audit.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[RecordStore]:
    engine = create_engine_for(f"sqlite:///{db_path}")
    upgrade_schema(engine)
    yield RecordStore(engine)
    engine.dispose()


def event(number: int, actor: str = "anna", action: str = "alert.dismiss") -> AuditEvent:
    return AuditEvent(
        actor,
        action,
        target=f"alert-{number}",
        detail={"reason": f"false alarm {number}", "note": "Ærlig talt, نعم"},
        workstation="desk-1",
        time=T0 + timedelta(minutes=number),
    )


def write_log(store: RecordStore, count: int = 10) -> AuditLog:
    audit = AuditLog(store, "desk-1")
    audit.append([event(n) for n in range(1, count + 1)])
    return audit


def intruder(db_path: Path) -> sqlite3.Connection:
    """A raw connection with the append-only guards removed, as someone with file access."""
    connection = sqlite3.connect(db_path)
    connection.execute("DROP TRIGGER audit_log_no_update")
    connection.execute("DROP TRIGGER audit_log_no_delete")
    return connection


def kinds(report) -> list[tuple[int, ProblemKind]]:
    return [(problem.seq, problem.kind) for problem in report.problems]


# --- appending ------------------------------------------------------------------------------


def test_an_untouched_log_verifies_with_every_entry_checked(store: RecordStore) -> None:
    write_log(store, 25)
    report = verify(store, chunk=7)  # several chunks, one partial
    assert report.ok and report.checked == 25
    assert report.last_seq == 25 and report.last_time == T0 + timedelta(minutes=25)


def test_an_empty_log_is_intact(store: RecordStore) -> None:
    report = verify(store)
    assert report.ok and report.checked == 0 and report.last_time is None


def test_entries_chain_from_genesis_and_the_head_follows(store: RecordStore) -> None:
    audit = write_log(store, 3)
    entries = audit.entries()
    assert [e.seq for e in entries] == [1, 2, 3]
    assert entries[0].prev_hash == GENESIS
    assert entries[1].prev_hash == entries[0].hash and entries[2].prev_hash == entries[1].hash
    assert audit.head() == (3, entries[2].hash)
    first = entries[0]
    assert first.hash == entry_hash(
        1,
        first.time,
        "anna",
        "desk-1",
        "alert.dismiss",
        "alert-1",
        "ok",
        first.detail,
        GENESIS,
    )


def test_a_time_given_in_another_zone_still_verifies(store: RecordStore) -> None:
    """Regression: the hash used the given offset, the database gives back UTC."""
    oslo = timezone(timedelta(hours=1))
    AuditLog(store).append(
        [AuditEvent("anna", "sign-in", time=datetime(2026, 11, 21, 11, tzinfo=oslo))]
    )
    assert verify(store).ok


def test_threads_and_two_logs_on_one_file_keep_one_chain(db_path: Path, store: RecordStore) -> None:
    """Two AuditLog instances (two processes' worth: separate engines) and several threads
    append at once; the chain never forks and no entry is lost."""
    other_engine = create_engine_for(f"sqlite:///{db_path}")
    try:
        logs = [AuditLog(store, "desk-1"), AuditLog(RecordStore(other_engine), "desk-2")]
        for audit in logs:
            audit.start()
        per_thread, threads = 40, []

        def work(audit: AuditLog, name: str) -> None:
            for n in range(per_thread):
                if n % 4 == 0:
                    audit.append([AuditEvent(name, "bookmark.add", target=str(n))])
                else:
                    audit.record(AuditEvent(name, "alert.acknowledge", target=str(n)))

        for index in range(6):
            audit = logs[index % 2]
            threads.append(threading.Thread(target=work, args=(audit, f"user-{index}")))
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert all(audit.flush(60) for audit in logs)
        for audit in logs:
            audit.stop()
    finally:
        other_engine.dispose()
    report = verify(store)
    assert report.ok, [describe(p) for p in report.problems]
    assert report.checked == 6 * per_thread
    entries = AuditLog(store).entries(limit=10_000)
    assert [e.seq for e in entries] == list(range(1, 6 * per_thread + 1))
    assert {e.workstation for e in entries} == {"desk-1", "desk-2"}


def test_stop_and_flush_never_drop_queued_events(store: RecordStore) -> None:
    audit = AuditLog(store, "desk-1")
    audit.record(event(1))  # before start: waits in the queue
    audit.start()
    for n in range(2, 302):
        audit.record(event(n))
    audit.stop()  # right away: what was accepted is written before it returns
    assert audit.head()[0] == 301
    audit.record(event(302))  # after stop: flush writes it
    assert audit.flush(30)
    assert audit.head()[0] == 302
    assert verify(store).ok


def test_a_failing_database_loses_the_batch_but_not_the_writer(
    store: RecordStore, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """While the head row is gone, appends fail (logged); the writer thread keeps going."""
    audit = AuditLog(store, "desk-1")
    audit.start()
    try:
        raw = sqlite3.connect(db_path)
        raw.execute("DELETE FROM audit_head")
        raw.commit()
        audit.record(event(1))
        assert audit.flush(30)
        assert "Audit entries not written" in caplog.text
        raw.execute(f"INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '{GENESIS}')")
        raw.commit()
        raw.close()
        audit.record(event(2))
        assert audit.flush(30)
        assert [e.target for e in audit.entries()] == ["alert-2"]
    finally:
        audit.stop()


def test_a_malformed_event_does_not_stop_the_writer(store: RecordStore) -> None:
    audit = AuditLog(store, "desk-1")
    audit.start()
    try:
        audit.record(event(1))
        audit.record(AuditEvent("anna", "alert.dismiss", outcome="maybe"))  # type: ignore[arg-type]
        audit.record(event(2))
        assert audit.flush(30)
        audit.record(event(3))
        assert audit.flush(30)
        # Only the malformed one is lost, whichever batch it shared.
        assert [e.target for e in audit.entries()] == ["alert-1", "alert-2", "alert-3"]
    finally:
        audit.stop()


# --- the database's own guard ---------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    ["UPDATE audit_log SET actor = 'mallory' WHERE seq = 2", "DELETE FROM audit_log WHERE seq = 2"],
)
def test_the_database_refuses_to_change_or_remove_entries(
    store: RecordStore, db_path: Path, statement: str
) -> None:
    write_log(store, 3)
    connection = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        connection.execute(statement)
    connection.close()
    assert verify(store).ok


# --- tamper detection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("detail", '{"reason": "approved by me", "note": "x"}'),
        ("actor", "mallory"),
        ("time", "2026-11-21 09:00:00.000000"),
        ("outcome", "refused"),
        ("target", "alert-99"),
        ("time", "not a time at all"),
    ],
)
def test_an_edited_entry_is_named(
    store: RecordStore, db_path: Path, column: str, value: str
) -> None:
    write_log(store, 10)
    connection = intruder(db_path)
    connection.execute(f"UPDATE audit_log SET {column} = ? WHERE seq = 4", (value,))
    connection.commit()
    connection.close()
    report = verify(store)
    assert not report.ok
    assert kinds(report) == [(4, ProblemKind.CHANGED)]
    assert report.checked == 10
    text = describe(report.problems[0])
    assert text.startswith("entry 4 (") and "changed after it was written" in text


def test_the_message_names_time_actor_and_action(store: RecordStore, db_path: Path) -> None:
    write_log(store, 3)
    connection = intruder(db_path)
    connection.execute("UPDATE audit_log SET target = 'x' WHERE seq = 2")
    connection.commit()
    connection.close()
    (problem,) = verify(store).problems
    assert describe(problem) == (
        "entry 2 (2026-11-21 10:02 UTC, anna, alert.dismiss): changed after it was written "
        "(its content no longer matches its hash)"
    )


def test_a_deleted_middle_entry_is_a_gap(store: RecordStore, db_path: Path) -> None:
    write_log(store, 10)
    connection = intruder(db_path)
    connection.execute("DELETE FROM audit_log WHERE seq IN (5, 6)")
    connection.commit()
    connection.close()
    report = verify(store)
    assert kinds(report) == [(5, ProblemKind.GAP)]
    assert describe(report.problems[0]) == "entries 5 to 6 are missing (removed from the log)"
    assert report.checked == 8


def test_a_deleted_first_entry_is_a_gap(store: RecordStore, db_path: Path) -> None:
    write_log(store, 4)
    connection = intruder(db_path)
    connection.execute("DELETE FROM audit_log WHERE seq = 1")
    connection.commit()
    connection.close()
    assert kinds(verify(store)) == [(1, ProblemKind.GAP)]


def test_a_deleted_tail_shows_against_the_head(store: RecordStore, db_path: Path) -> None:
    write_log(store, 10)
    connection = intruder(db_path)
    connection.execute("DELETE FROM audit_log WHERE seq >= 8")
    connection.commit()
    connection.close()
    report = verify(store)
    assert kinds(report) == [(8, ProblemKind.MISSING_TAIL)]
    assert "entries 8 to 10 are missing at the end" in describe(report.problems[0])


def test_a_forged_head_is_caught(store: RecordStore, db_path: Path) -> None:
    write_log(store, 5)
    connection = sqlite3.connect(db_path)  # the head has no guard; the chain checks it
    connection.execute("UPDATE audit_head SET hash = ?", ("f" * 64,))
    connection.commit()
    connection.close()
    assert kinds(verify(store)) == [(5, ProblemKind.HEAD_ALTERED)]


def test_entries_added_past_the_head_are_caught(store: RecordStore, db_path: Path) -> None:
    """An intruder appends a well-hashed entry but cannot (or forgets to) move the head."""
    audit = write_log(store, 3)
    last = audit.entries()[-1]
    time = T0 + timedelta(hours=1)
    digest = entry_hash(4, time, "mallory", "desk-9", "sign-in", "", "ok", {}, last.hash)
    connection = intruder(db_path)
    connection.execute(
        "INSERT INTO audit_log VALUES (4, ?, 'mallory', 'desk-9', 'sign-in', '', 'ok', '{}', ?, ?)",
        (time.replace(tzinfo=None).isoformat(" "), last.hash, digest),
    )
    connection.commit()
    connection.close()
    assert kinds(verify(store)) == [(4, ProblemKind.HEAD_ALTERED)]


def test_a_rehashed_forgery_breaks_the_next_link(store: RecordStore, db_path: Path) -> None:
    """The intruder edits entry 5 and recomputes its hash, but not the entries after it."""
    audit = write_log(store, 8)
    fifth = audit.entries(after=4, limit=1)[0]
    forged = entry_hash(
        5,
        fifth.time,
        "mallory",
        fifth.workstation,
        fifth.action,
        fifth.target,
        fifth.outcome.value,
        fifth.detail,
        fifth.prev_hash,
    )
    connection = intruder(db_path)
    connection.execute("UPDATE audit_log SET actor = 'mallory', hash = ? WHERE seq = 5", (forged,))
    connection.commit()
    connection.close()
    report = verify(store)
    assert kinds(report) == [(6, ProblemKind.MISSING_BEFORE)]
    assert "does not follow on from entry 5" in describe(report.problems[0])


def test_reordered_entries_are_caught(store: RecordStore, db_path: Path) -> None:
    """Swapping two entries' numbers changes both (the number is hashed) and breaks links."""
    write_log(store, 6)
    connection = intruder(db_path)
    connection.execute("UPDATE audit_log SET seq = -3 WHERE seq = 3")
    connection.execute("UPDATE audit_log SET seq = 3 WHERE seq = 4")
    connection.execute("UPDATE audit_log SET seq = 4 WHERE seq = -3")
    connection.commit()
    connection.close()
    report = verify(store)
    found = kinds(report)
    assert (3, ProblemKind.CHANGED) in found and (4, ProblemKind.CHANGED) in found
    assert (3, ProblemKind.MISSING_BEFORE) in found
    assert {seq for seq, _ in found} <= {3, 4, 5}


def test_every_broken_place_is_reported_not_only_the_first(
    store: RecordStore, db_path: Path
) -> None:
    write_log(store, 30)
    connection = intruder(db_path)
    connection.execute("UPDATE audit_log SET actor = 'mallory' WHERE seq IN (3, 17)")
    connection.execute("DELETE FROM audit_log WHERE seq = 10")
    connection.execute("DELETE FROM audit_log WHERE seq >= 29")
    connection.commit()
    connection.close()
    report = verify(store, chunk=4)
    assert kinds(report) == [
        (3, ProblemKind.CHANGED),
        (10, ProblemKind.GAP),
        (17, ProblemKind.CHANGED),
        (29, ProblemKind.MISSING_TAIL),
    ]
    assert report.checked == 27


def test_a_long_check_stops_when_asked(store: RecordStore) -> None:
    write_log(store, 30)
    asked = iter([False, False, True])
    with pytest.raises(VerificationStopped):
        verify(store, chunk=5, stopping=lambda: next(asked))


def test_an_unreadable_database_raises_storage_error(tmp_path: Path) -> None:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated
    try:
        with pytest.raises(StorageError):
            verify(RecordStore(engine))
    finally:
        engine.dispose()


# --- the command line -----------------------------------------------------------------------


def run_main(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_audit_verify_says_intact_and_records_itself(
    store: RecordStore, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(store, 12)
    code, out, _err = run_main(capsys, "--db", f"sqlite:///{db_path}", "audit", "verify")
    assert code == main.EXIT_OK
    assert out.strip() == "Audit log intact: 12 entries, last #12 at 2026-11-21 10:12 UTC"
    last = AuditLog(store).entries(after=12)
    assert [(e.action, e.outcome) for e in last] == [("audit.verify", Outcome.OK)]
    assert last[0].actor.startswith("cli:") and last[0].detail == {"entries": 12, "problems": 0}
    assert verify(store).ok  # its own record continues the chain


def test_audit_verify_lists_each_problem_and_exits_refused(
    store: RecordStore, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_log(store, 20)
    connection = intruder(db_path)
    connection.execute("UPDATE audit_log SET detail = '{}' WHERE seq = 17")
    connection.execute("DELETE FROM audit_log WHERE seq = 9")
    connection.commit()
    connection.close()
    code, _out, err = run_main(capsys, "--db", f"sqlite:///{db_path}", "audit", "verify")
    assert code == main.EXIT_REFUSED
    assert "entry 9 is missing (removed from the log)" in err
    assert "entry 17 (2026-11-21 10:17 UTC, anna, alert.dismiss): changed after" in err
    recorded = AuditLog(store).entries(after=20)
    assert [(e.action, e.outcome) for e in recorded] == [("audit.verify", Outcome.FAILED)]


def test_audit_verify_on_a_missing_database_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nowhere" / "none.db"
    code, _out, err = run_main(capsys, "--db", f"sqlite:///{missing}", "audit", "verify")
    assert code == main.EXIT_CONFIG
    assert "no database at" in err
    assert not missing.exists()


def test_audit_verify_on_a_file_that_is_no_database_is_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database" * 100)
    code, _out, _err = run_main(capsys, "--db", f"sqlite:///{junk}", "audit", "verify")
    assert code == main.EXIT_CONFIG


def test_audit_show_filters_and_prints_newest_last(
    store: RecordStore, db_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = AuditLog(store, "desk-1")
    audit.append([event(n) for n in range(1, 6)])
    audit.append([event(n, actor="ben", action="incident.open") for n in range(6, 9)])
    url = f"sqlite:///{db_path}"
    code, out, _err = run_main(capsys, "--db", url, "audit", "show", "--last", "2")
    assert code == main.EXIT_OK
    lines = out.strip().splitlines()
    assert lines[0].split()[:3] == ["#", "Time", "(UTC)"]
    assert [line.split()[0] for line in lines[2:]] == ["7", "8"]  # newest last
    _code, out, _err = run_main(capsys, "--db", url, "audit", "show", "--actor", "anna")
    assert [line.split()[0] for line in out.strip().splitlines()[2:]] == ["1", "2", "3", "4", "5"]
    _code, out, _err = run_main(
        capsys, "--db", url, "audit", "show", "--action", "incident.", "--since", "2026-11-21T10:07"
    )
    assert [line.split()[0] for line in out.strip().splitlines()[2:]] == ["7", "8"]
    shows = [e for e in AuditLog(store).entries() if e.action == "audit.show"]
    assert len(shows) == 3
    assert shows[-1].detail["action"] == "incident."


def test_audit_show_rejects_a_bad_time(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        main.main(["audit", "show", "--since", "yesterday"])
    assert stopped.value.code == main.EXIT_USAGE
    assert "not an ISO time" in capsys.readouterr().err


def test_audit_verify_as_a_real_process(store: RecordStore, db_path: Path) -> None:
    """The exit code a script sees, from a real process."""
    write_log(store, 2)
    connection = intruder(db_path)
    connection.execute("DELETE FROM audit_log WHERE seq = 2")
    connection.commit()
    connection.close()
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--db", f"sqlite:///{db_path}", "audit", "verify"],
        cwd=REPO,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 5, result.stderr
    assert "removed from the log" not in result.stderr  # a deleted tail is not a gap
    assert "entry 2 is missing at the end of the log" in result.stderr
