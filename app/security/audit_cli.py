"""``main.py audit verify`` and ``main.py audit show``: the audit log from a terminal.

Reading needs no sign-in here: whoever can read the database file can read the log anyway.
Each use is itself put on the record (actor "cli:<OS user>"), so an investigator sees who
looked and when.
"""

from __future__ import annotations

import getpass
import logging
import socket
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from app.security.audit import AuditLog
from app.security.audit_query import AuditFilter, newest
from app.security.audit_verify import AuditReport, describe, utc_minutes, verify
from app.security.model import AuditEntry, AuditEvent, Outcome
from app.storage import RecordStore, StorageError, create_engine_for, upgrade_schema
from i18n import gettext as _
from i18n import ngettext

log = logging.getLogger(__name__)


def cli_actor() -> str:
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        user = "unknown"
    return f"cli:{user}"


def open_store(url: str) -> tuple[Engine, RecordStore]:
    """Opens an existing database; a SQLite file that is not there is an error, not a new,
    empty (and trivially intact) log."""
    parsed = make_url(url) if url else None
    if parsed is not None and parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database not in (None, "", ":memory:") and not Path(database).expanduser().exists():
            raise StorageError(_("no database at {path}").format(path=database))
    engine = create_engine_for(url)
    try:
        upgrade_schema(engine)
    except StorageError:
        engine.dispose()
        raise
    return engine, RecordStore(engine)


def run_verify(url: str, workstation: str, out: TextIO, err: TextIO) -> bool:
    """Prints the verdict; True when the chain is intact. Raises ``StorageError``."""
    engine, store = open_store(url)
    try:
        report = verify(store)
        _print_report(report, out, err)
        _record(
            store,
            workstation,
            AuditEvent(
                cli_actor(),
                "audit.verify",
                outcome=Outcome.OK if report.ok else Outcome.FAILED,
                detail={
                    "entries": report.checked,
                    "problems": len(report.problems) + report.more_problems,
                },
            ),
            err,
        )
    finally:
        engine.dispose()
    return report.ok


def _print_report(report: AuditReport, out: TextIO, err: TextIO) -> None:
    if report.ok:
        if report.last_time is None:
            print(_("Audit log intact: no entries yet"), file=out)
        else:
            print(
                ngettext(
                    "Audit log intact: {count} entry, last #{seq} at {time}",
                    "Audit log intact: {count} entries, last #{seq} at {time}",
                    report.checked,
                ).format(
                    count=report.checked, seq=report.last_seq, time=utc_minutes(report.last_time)
                ),
                file=out,
            )
        return
    total = len(report.problems) + report.more_problems
    print(
        ngettext(
            "Audit log BROKEN: {problems} problem in {count} entries checked",
            "Audit log BROKEN: {problems} problems in {count} entries checked",
            total,
        ).format(problems=total, count=report.checked),
        file=err,
    )
    for problem in report.problems:
        print(describe(problem), file=err)
    if report.more_problems:
        print(
            ngettext(
                "... and {count} more problem",
                "... and {count} more problems",
                report.more_problems,
            ).format(count=report.more_problems),
            file=err,
        )


def run_show(
    url: str, workstation: str, last: int, where: AuditFilter, out: TextIO, err: TextIO
) -> int:
    """Prints the newest ``last`` matching entries, newest last; returns how many."""
    engine, store = open_store(url)
    try:
        entries = list(reversed(newest(store, last, where=where)))
        print_table(entries, out)
        detail = {"shown": len(entries), "last": last}
        detail.update({k: v for k, v in _filter_detail(where).items() if v})
        _record(store, workstation, AuditEvent(cli_actor(), "audit.show", detail=detail), err)
    finally:
        engine.dispose()
    return len(entries)


def _filter_detail(where: AuditFilter) -> dict[str, str]:
    return {
        "actor": where.actor,
        "action": where.action,
        "since": where.since.isoformat() if where.since else "",
    }


def print_table(
    entries: list[AuditEntry], out: TextIO, when: Callable[[datetime], str] | None = None
) -> None:
    if not entries:
        print(_("No audit entries match."), file=out)
        return
    when = when or (lambda t: t.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))
    header = [
        "#",
        _("Time (UTC)"),
        _("Actor"),
        _("Workstation"),
        _("Action"),
        _("Target"),
        _("Outcome"),
    ]
    rows = [
        [
            str(e.seq),
            when(e.time),
            e.actor,
            e.workstation,
            e.action,
            _shorten(e.target),
            e.outcome.value,
        ]
        for e in entries
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip(), file=out
        )


def _shorten(text: str, width: int = 48) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def workstation_of(configured: str) -> str:
    return configured or socket.gethostname()


def _record(store: RecordStore, workstation: str, event: AuditEvent, err: TextIO) -> None:
    """Synchronous: the process ends right after, and the record must be written first."""
    try:
        AuditLog(store, workstation).append([event])
    except StorageError as exc:
        log.error("Could not record %s in the audit log: %s", event.action, exc)
        print(
            _("warning: this look at the log could not be recorded: {reason}").format(reason=exc),
            file=err,
        )
