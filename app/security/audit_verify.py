"""Checks the audit log's hash chain end to end and says where it is broken.

The log may hold millions of entries, so it is read in chunks by number (keyset pagination),
never loaded whole. Every broken place is reported, not only the first: an investigator wants
to see each edit and each gap, and one tampered entry must not hide a deletion further on.

Columns are read raw (time and detail as the database gives them) and parsed here, so that an
intruder who writes something unreadable into a row produces a "changed" finding instead of
an exception that stops the check.

Limits (by design, documented): an intruder who deletes the tail AND rewrites ``audit_head`` to
match, or who rewrites every entry from some point on, is not caught by the chain alone; a
copy of the head kept elsewhere (printed reports, a second database) closes that gap.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import String, select, type_coerce
from sqlalchemy.exc import SQLAlchemyError

from app.security.audit import GENESIS, HEAD_ID, entry_hash
from app.storage import RecordStore, StorageError
from app.storage.orm import AuditEntryRow, AuditHeadRow
from i18n import gettext as _

log = logging.getLogger(__name__)

CHUNK = 5000
# A log rewritten wholesale would otherwise give a report as long as the log itself.
MAX_PROBLEMS = 1000


class ProblemKind(StrEnum):
    CHANGED = "changed"  # the entry's content no longer matches its own hash
    MISSING_BEFORE = "missing-before"  # it does not follow on from the entry numbered before it
    MISSING_TAIL = "missing-tail"  # the head says the log goes further than it does
    GAP = "gap"  # numbers are missing
    HEAD_ALTERED = "head-altered"  # the head row does not match the last entry


@dataclass(frozen=True, slots=True)
class AuditProblem:
    """One broken place. ``seq`` is the entry concerned (for a gap or a missing tail, the first
    missing number); time, actor and action are known when the entry itself is there."""

    seq: int
    kind: ProblemKind
    time: datetime | None = None
    actor: str | None = None
    action: str | None = None
    # Numbers the message needs (last missing number, the head's number, ...).
    until: int = 0

    @property
    def message(self) -> str:
        """Translated when asked, so a report kept across a language switch reads right."""
        if self.kind is ProblemKind.CHANGED:
            return _("changed after it was written (its content no longer matches its hash)")
        if self.kind is ProblemKind.MISSING_BEFORE:
            return _(
                "does not follow on from entry {previous}: an entry before it was removed or "
                "replaced"
            ).format(previous=self.seq - 1)
        if self.kind is ProblemKind.GAP:
            if self.until == self.seq:
                return _("entry {first} is missing (removed from the log)").format(first=self.seq)
            return _("entries {first} to {last} are missing (removed from the log)").format(
                first=self.seq, last=self.until
            )
        if self.kind is ProblemKind.MISSING_TAIL:
            if self.until == self.seq:
                return _("entry {first} is missing at the end of the log").format(first=self.seq)
            return _("entries {first} to {last} are missing at the end of the log").format(
                first=self.seq, last=self.until
            )
        return _(
            "the log's head (entry {head}) does not match its last entry; the head was altered "
            "or entries were added past it"
        ).format(head=self.until)


@dataclass(slots=True)
class AuditReport:
    checked: int = 0
    problems: list[AuditProblem] = field(default_factory=list)
    # Problems beyond MAX_PROBLEMS: counted, not listed.
    more_problems: int = 0
    last_seq: int = 0
    last_time: datetime | None = None

    @property
    def ok(self) -> bool:
        return not self.problems and not self.more_problems

    def add(self, problem: AuditProblem) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)
        else:
            self.more_problems += 1


def utc_minutes(moment: datetime) -> str:
    """The command line's neutral time format: the log is shared by people in many zones."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def describe(problem: AuditProblem, when: Callable[[datetime], str] = utc_minutes) -> str:
    """ "entry 17 (2026-11-21 10:02 UTC, anna, alert.dismiss): changed after ..." for people;
    missing entries have no context to show, their message names their numbers."""
    if problem.kind in (ProblemKind.GAP, ProblemKind.MISSING_TAIL):
        return problem.message
    context = [
        part
        for part in (
            when(problem.time) if problem.time else None,
            problem.actor,
            problem.action,
        )
        if part
    ]
    if not context:
        return _("entry {seq}: {message}").format(seq=problem.seq, message=problem.message)
    return _("entry {seq} ({context}): {message}").format(
        seq=problem.seq, context=", ".join(context), message=problem.message
    )


@dataclass(frozen=True, slots=True)
class _Raw:
    """An entry as read; ``time`` is None when the stored value cannot be read as a time."""

    seq: int
    time: datetime | None
    actor: str
    workstation: str
    action: str
    target: str
    outcome: str
    detail: Any
    prev_hash: str
    hash: str
    readable: bool

    def recomputed(self) -> str | None:
        if not self.readable or self.time is None:
            return None
        return entry_hash(
            self.seq,
            self.time,
            self.actor,
            self.workstation,
            self.action,
            self.target,
            self.outcome,
            self.detail,
            self.prev_hash,
        )


class VerificationStopped(Exception):  # noqa: N818 - a request, not an error
    """``stopping()`` said to stop (the window closes during a long check)."""


def verify(
    store: RecordStore, chunk: int = CHUNK, stopping: Callable[[], bool] = lambda: False
) -> AuditReport:
    """Walks the whole chain; raises ``StorageError`` only when the database cannot be read,
    ``VerificationStopped`` when ``stopping()`` turns true (checked between chunks)."""
    try:
        return _verify(store, chunk, stopping)
    except SQLAlchemyError as exc:
        raise StorageError(f"could not read the audit log: {exc}") from exc


def _verify(store: RecordStore, chunk: int, stopping: Callable[[], bool]) -> AuditReport:
    report = AuditReport()
    prev_seq, prev_hash = 0, GENESIS
    while True:
        for entry in _entries_after(store, prev_seq, chunk, stopping):
            _check(report, entry, prev_seq, prev_hash)
            report.checked += 1
            report.last_seq, report.last_time = entry.seq, entry.time
            prev_seq, prev_hash = entry.seq, entry.hash
        head = _head(store)
        # Appenders write entries and head in one transaction: a head ahead of what was read
        # means either a new append landed meanwhile (read on) or the tail is gone.
        if head is not None and head[0] > prev_seq and _any_after(store, prev_seq):
            continue
        break
    if head is None:
        report.add(AuditProblem(prev_seq, ProblemKind.HEAD_ALTERED, until=0))
    elif head[0] > prev_seq:
        report.add(AuditProblem(prev_seq + 1, ProblemKind.MISSING_TAIL, until=head[0]))
    elif head[0] < prev_seq or head[1] != prev_hash:
        report.add(AuditProblem(prev_seq, ProblemKind.HEAD_ALTERED, until=head[0]))
    return report


def _check(report: AuditReport, entry: _Raw, prev_seq: int, prev_hash: str) -> None:
    def problem(kind: ProblemKind, seq: int | None = None, until: int = 0) -> AuditProblem:
        if seq is not None:  # about missing numbers, not about this entry
            return AuditProblem(seq, kind, until=until)
        return AuditProblem(entry.seq, kind, entry.time, entry.actor, entry.action, until)

    if entry.recomputed() != entry.hash:
        report.add(problem(ProblemKind.CHANGED))
    if entry.seq != prev_seq + 1:
        # The broken link that goes with a gap says nothing more than the gap itself.
        report.add(problem(ProblemKind.GAP, seq=prev_seq + 1, until=entry.seq - 1))
    elif entry.prev_hash != prev_hash:
        report.add(problem(ProblemKind.MISSING_BEFORE))


def _columns() -> list[Any]:
    table = AuditEntryRow.__table__
    raw = {"time", "detail"}
    return [
        type_coerce(column, String).label(column.name) if column.name in raw else column
        for column in table.columns
    ]


def _entries_after(
    store: RecordStore, after: int, chunk: int, stopping: Callable[[], bool]
) -> Iterator[_Raw]:
    """Entries above ``after`` in order, ``chunk`` rows per query."""
    table = AuditEntryRow.__table__
    while True:
        if stopping():
            raise VerificationStopped
        query = select(*_columns()).where(table.c.seq > after).order_by(table.c.seq).limit(chunk)
        with store.session() as session:
            rows = session.execute(query).all()
        for row in rows:
            yield _parse(row)
        if len(rows) < chunk:
            return
        after = rows[-1].seq


def _parse(row: Any) -> _Raw:
    time, detail, readable = row.time, row.detail, True
    if isinstance(time, str):
        try:
            time = datetime.fromisoformat(time)
        except ValueError:
            time, readable = None, False
    if isinstance(time, datetime):
        time = time.replace(tzinfo=UTC) if time.tzinfo is None else time.astimezone(UTC)
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            readable = False
    return _Raw(
        row.seq,
        time,
        row.actor,
        row.workstation,
        row.action,
        row.target,
        row.outcome,
        detail,
        row.prev_hash,
        row.hash,
        readable,
    )


def _head(store: RecordStore) -> tuple[int, str] | None:
    with store.session() as session:
        head = session.get(AuditHeadRow, HEAD_ID, populate_existing=True)
        return None if head is None else (head.seq, head.hash)


def _any_after(store: RecordStore, seq: int) -> bool:
    with store.session() as session:
        found = session.scalar(select(AuditEntryRow.seq).where(AuditEntryRow.seq > seq).limit(1))
        return found is not None
