"""The append-only audit log: every entry hashed together with the one before it.

An entry's hash is SHA-256 over its number, time, actor, workstation, action, target, outcome,
detail (canonical JSON) and the previous entry's hash. Editing an entry breaks its own hash;
deleting one breaks the next entry's link; deleting the tail shows against ``audit_head``,
which remembers the last number and hash. The database also refuses UPDATE and DELETE on the
table (triggers, migration 0007); the chain catches whoever removes them first.

Appending takes the head row first (``UPDATE audit_head``), which serialises appenders on every
backend, workstations sharing one PostgreSQL included, so the chain never forks.

``record()`` is for the GUI thread and services: it queues the event and returns; a writer
thread appends queued events in batches (one transaction each). ``append()`` writes at once
(command-line tools, tests).
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from app.model import utc_now
from app.security.model import AuditEntry, AuditEvent, Outcome
from app.storage import RecordStore, StorageError
from app.storage.orm import AuditEntryRow, AuditHeadRow

log = logging.getLogger(__name__)

GENESIS = "0" * 64
HEAD_ID = 1
BATCH = 500


def entry_hash(
    seq: int,
    time: datetime,
    actor: str,
    workstation: str,
    action: str,
    target: str,
    outcome: str,
    detail: dict,
    prev_hash: str,
) -> str:
    document = json.dumps(
        [seq, time.isoformat(), actor, workstation, action, target, outcome, detail, prev_hash],
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(document.encode("utf-8")).hexdigest()


def _as_json(detail: dict) -> dict:
    """The detail as the database will give it back (JSON round trip), so the hash computed
    now is the hash recomputed at verification."""
    return json.loads(json.dumps(detail, ensure_ascii=False, default=str))


class AuditLog:
    def __init__(self, store: RecordStore, workstation: str = "") -> None:
        self.store = store
        self.workstation = workstation
        self._queue: queue.Queue[AuditEvent | None] = queue.Queue()
        self._idle = threading.Condition()
        self._pending = 0
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Writes what is queued, then stops: an accepted event is never dropped at exit."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(10)
            self._thread = None
        self._drain_now()

    def record(self, event: AuditEvent) -> None:
        """Queues ``event``; returns at once (safe on the GUI thread)."""
        with self._idle:
            self._pending += 1
        self._queue.put(event)
        if self._thread is None:
            log.debug("audit writer not started; %s waits in the queue", event.action)

    def flush(self, timeout: float = 10.0) -> bool:
        """Waits until every queued event is written; False on timeout."""
        if self._thread is None:
            self._drain_now()
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def append(self, events: Sequence[AuditEvent]) -> list[AuditEntry]:
        """Writes ``events`` now, in order, in one transaction; raises ``StorageError``."""
        if not events:
            return []
        now = utc_now()
        written: list[AuditEntry] = []
        try:
            with self.store.session() as session, session.begin():
                # Taking the head row first is the lock that keeps the chain single-file.
                session.execute(
                    update(AuditHeadRow)
                    .where(AuditHeadRow.id == HEAD_ID)
                    .values(seq=AuditHeadRow.seq)
                )
                head = session.get(AuditHeadRow, HEAD_ID, populate_existing=True)
                if head is None:
                    raise StorageError("the audit log has no head row (database not migrated)")
                seq, prev = head.seq, head.hash
                for event in events:
                    seq += 1
                    entry = self._entry(seq, prev, event, now)
                    session.add(_row(entry))
                    written.append(entry)
                    prev = entry.hash
                session.execute(
                    update(AuditHeadRow)
                    .where(AuditHeadRow.id == HEAD_ID)
                    .values(seq=seq, hash=prev)
                )
        except SQLAlchemyError as exc:
            raise StorageError(f"could not write {len(events)} audit entries: {exc}") from exc
        return written

    def entries(self, after: int = 0, limit: int = 1000) -> list[AuditEntry]:
        """Entries numbered above ``after``, oldest first."""
        query = (
            select(AuditEntryRow)
            .where(AuditEntryRow.seq > after)
            .order_by(AuditEntryRow.seq)
            .limit(limit)
        )
        with self.store.session() as session:
            return [_entry_of(row) for row in session.scalars(query)]

    def head(self) -> tuple[int, str]:
        with self.store.session() as session:
            head = session.get(AuditHeadRow, HEAD_ID)
            return (0, GENESIS) if head is None else (head.seq, head.hash)

    def _entry(self, seq: int, prev: str, event: AuditEvent, now: datetime) -> AuditEntry:
        time = event.time or now
        if time.tzinfo is not None:
            # Hashed as the database gives it back (UTC): a time given in another zone would
            # otherwise hash as "+02:00" now and "+00:00" at verification.
            time = time.astimezone(UTC)
        workstation = event.workstation or self.workstation
        detail = _as_json(event.detail)
        outcome = Outcome(event.outcome)
        digest = entry_hash(
            seq,
            time,
            event.actor,
            workstation,
            event.action,
            event.target,
            outcome.value,
            detail,
            prev,
        )
        return AuditEntry(
            seq,
            time,
            event.actor,
            workstation,
            event.action,
            event.target,
            outcome,
            detail,
            prev,
            digest,
        )

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            batch: list[AuditEvent] = []
            if first is None:
                stopping = True
            else:
                batch.append(first)
            while len(batch) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            self._write(batch)

    def _drain_now(self) -> None:
        batch: list[AuditEvent] = []
        while True:
            try:
                event = self._queue.get_nowait()
            except queue.Empty:
                break
            if event is not None:
                batch.append(event)
        self._write(batch)

    def _write(self, batch: list[AuditEvent]) -> None:
        if not batch:
            return
        try:
            self.append(batch)
        except (ValueError, TypeError) as exc:
            # One malformed event (an unknown outcome) must neither end the writer thread (every
            # later event would wait forever) nor take its whole batch down: one at a time.
            if len(batch) == 1:
                log.error(
                    "Audit entry not written: %s %s: %s", batch[0].actor, batch[0].action, exc
                )
            else:
                for event in batch:
                    self._write_one(event)
        except StorageError as exc:
            # Kept in the log file at least; the operator sees the store's own error elsewhere.
            log.error("Audit entries not written (%d): %s", len(batch), exc)
            for event in batch:
                log.error(
                    "Unwritten audit entry: %s %s %s", event.actor, event.action, event.target
                )
        finally:
            with self._idle:
                self._pending -= len(batch)
                self._idle.notify_all()

    def _write_one(self, event: AuditEvent) -> None:
        with self._idle:
            self._pending += 1  # _write counts it down again
        self._write([event])


def _row(entry: AuditEntry) -> AuditEntryRow:
    return AuditEntryRow(
        seq=entry.seq,
        time=entry.time,
        actor=entry.actor,
        workstation=entry.workstation,
        action=entry.action,
        target=entry.target,
        outcome=entry.outcome.value,
        detail=entry.detail,
        prev_hash=entry.prev_hash,
        hash=entry.hash,
    )


def _entry_of(row: AuditEntryRow) -> AuditEntry:
    return AuditEntry(
        row.seq,
        row.time,
        row.actor,
        row.workstation,
        row.action,
        row.target,
        Outcome(row.outcome),
        row.detail,
        row.prev_hash,
        row.hash,
    )
