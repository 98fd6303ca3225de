"""Retention: records older than the configured period are removed, on a schedule.

What goes (all older than the cutoff): closed alerts (resolved or dismissed, last seen before
the cutoff) with their actions, unless an incident that is not closed holds them; detections,
observations, posts, tracks and track positions, unless a kept alert refers to them as
evidence; closed incidents (closed before the cutoff) with their log and tasks; outbox rows
their tool confirmed before the cutoff; the snapshot pictures of removed detections.

What stays: the audit log, always. It has its own legal retention (often years) and its hash
chain would be broken by any deletion; it is never touched here.

Deletes run in small batches, one transaction each, so a purge of millions of rows never holds
the database's write lock for long: the console keeps storing live alerts meanwhile.

Which records a kept alert refers to: video alerts name their detection in ``references`` and
their picture as a ``snapshot:`` evidence link; social alerts their post as ``post:<id>``.
Alerts are made at the time of what they refer to, so only alerts sent before the cutoff plus
a day of margin are read for references (reading every alert would cost more than the purge).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import delete, or_, select, tuple_
from sqlalchemy.exc import SQLAlchemyError

from app.incidents.states import CLOSED
from app.model import AlertState, utc_now
from app.security.model import AuditEvent, Outcome
from app.storage import RecordStore, StorageError
from app.storage.orm import (
    AlertActionRow,
    AlertRow,
    DetectionRow,
    IncidentEntryRow,
    IncidentRow,
    IncidentTaskRow,
    ObservationRow,
    OutboxRow,
    PostRow,
    TrackPositionRow,
    TrackRow,
)

log = logging.getLogger(__name__)

BATCH = 500
REFERENCE_MARGIN = timedelta(days=1)
FIRST_RUN_S = 30.0
_CLOSED_ALERT_STATES = (AlertState.RESOLVED.value, AlertState.DISMISSED.value)


class Auditor(Protocol):
    def record(self, event: AuditEvent) -> None: ...


class SnapshotFiles(Protocol):
    def path(self, uri: str) -> Path | None: ...


@dataclass(slots=True)
class PurgeResult:
    cutoff: datetime
    counts: dict[str, int] = field(default_factory=dict)
    snapshots: int = 0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(slots=True)
class _Kept:
    """What kept alerts hold on to as evidence: detection and post ids, snapshot URIs."""

    detections: set[str] = field(default_factory=set)
    posts: set[str] = field(default_factory=set)
    snapshots: set[str] = field(default_factory=set)


def purge(
    store: RecordStore,
    cutoff: datetime,
    audit: Auditor | None,
    actor: str = "system",
    snapshots: SnapshotFiles | None = None,
    batch: int = BATCH,
    stopping: Callable[[], bool] = lambda: False,
) -> PurgeResult:
    """Removes what is older than ``cutoff`` (see the module's docstring) and audits it; a
    failure is audited and logged, never raised: the schedule goes on."""
    result = PurgeResult(cutoff)
    try:
        _purge(store, cutoff, result, snapshots, batch, stopping)
    except _InterruptedError:
        result.error = "interrupted: the console stopped during the purge"
        log.info("Retention purge interrupted by shutdown; the next run goes on")
    except (SQLAlchemyError, StorageError, OSError) as exc:
        result.error = str(exc).splitlines()[0][:300] if str(exc) else type(exc).__name__
        log.exception("Retention purge up to %s failed", cutoff.isoformat())
    detail: dict[str, Any] = {
        "cutoff": cutoff.isoformat(),
        "counts": dict(result.counts),
        "snapshots": result.snapshots,
    }
    if result.error:
        detail["error"] = result.error
    if audit is not None:
        audit.record(
            AuditEvent(
                actor,
                "retention.purge",
                target=cutoff.isoformat(),
                outcome=Outcome.OK if result.ok else Outcome.FAILED,
                detail=detail,
            )
        )
    if result.ok:
        log.info(
            "Retention: removed %d record(s) older than %s %s",
            result.total,
            cutoff.isoformat(),
            result.counts,
        )
    return result


class _InterruptedError(Exception):
    """The console is stopping: the purge ends between two batches (the next run goes on)."""


def _purge(
    store: RecordStore,
    cutoff: datetime,
    result: PurgeResult,
    snapshots: SnapshotFiles | None,
    batch: int,
    stopping: Callable[[], bool],
) -> None:
    def go_on() -> None:
        if stopping():
            raise _InterruptedError

    counts = result.counts
    counts["alerts"], counts["alert_actions"] = _purge_alerts(
        store, cutoff, _held_alerts(store), batch, go_on
    )
    # Read after the alerts went: what purged alerts referred to is free now.
    kept = _evidence(store, cutoff)
    counts["incidents"], counts["incident_log"], counts["incident_tasks"] = _purge_incidents(
        store, cutoff, batch, go_on
    )
    detections, uris = _purge_detections(store, cutoff, kept, batch, go_on)
    counts["detections"] = detections
    tables: list[tuple[str, type, list[Any], Any]] = [
        ("posts", PostRow, [PostRow.time < cutoff, PostRow.identifier.not_in(kept.posts)], None),
        ("observations", ObservationRow, [ObservationRow.time < cutoff], None),
        ("tracks", TrackRow, [TrackRow.time < cutoff], None),
        (
            "outbox",
            OutboxRow,
            [OutboxRow.delivered.is_not(None), OutboxRow.delivered < cutoff],
            OutboxRow.action_id,
        ),
    ]
    for name, table, conditions, key in tables:
        counts[name] = _delete_batches(store, table, conditions, batch, go_on, key)
    counts["track_positions"] = _delete_positions(store, cutoff, batch, go_on)
    result.snapshots = _remove_snapshots(store, uris, snapshots)


def _held_alerts(store: RecordStore) -> set[str]:
    """Alerts an incident that is not closed holds (few incidents are open at a time)."""
    held: set[str] = set()
    with store.session() as session:
        for ids in session.scalars(
            select(IncidentRow.alert_ids).where(IncidentRow.state != CLOSED)
        ):
            held.update(str(i) for i in ids or ())
    return held


def _evidence(store: RecordStore, cutoff: datetime) -> _Kept:
    """What the remaining alerts that might refer to old records hold on to; read in pages,
    only the columns needed."""
    kept = _Kept()
    query = select(AlertRow.identifier, AlertRow.evidence, AlertRow.references).where(
        AlertRow.sent < cutoff + REFERENCE_MARGIN
    )
    after = ""
    while True:
        with store.session() as session:
            rows = session.execute(
                query.where(AlertRow.identifier > after).order_by(AlertRow.identifier).limit(2000)
            ).all()
        for row in rows:
            _collect(kept, row.evidence or (), row.references or ())
        if len(rows) < 2000:
            return kept
        after = rows[-1].identifier


def _collect(kept: _Kept, evidence: Iterable[Any], references: Iterable[Any]) -> None:
    for link in evidence:
        uri = str(link.get("uri", "")) if isinstance(link, dict) else ""
        if uri.startswith("post:"):
            kept.posts.add(uri[len("post:") :])
        elif uri.startswith("snapshot:"):
            kept.snapshots.add(uri)
    for reference in references:
        kept.detections.add(str(reference))


def _purgeable_alerts(cutoff: datetime) -> list[Any]:
    return [
        AlertRow.sent < cutoff,
        or_(AlertRow.last_seen.is_(None), AlertRow.last_seen < cutoff),
        AlertRow.state.in_(_CLOSED_ALERT_STATES),
    ]


def _purge_alerts(
    store: RecordStore, cutoff: datetime, held: set[str], batch: int, go_on: Callable[[], None]
) -> tuple[int, int]:
    alerts = actions = 0
    after = ""
    conditions = _purgeable_alerts(cutoff)
    while True:
        with store.session() as session, session.begin():
            ids = list(
                session.scalars(
                    select(AlertRow.identifier)
                    .where(*conditions, AlertRow.identifier > after)
                    .order_by(AlertRow.identifier)
                    .limit(batch)
                )
            )
            if not ids:
                break
            after = ids[-1]
            doomed = [i for i in ids if i not in held]
            if doomed:
                actions += session.execute(
                    delete(AlertActionRow).where(AlertActionRow.alert_identifier.in_(doomed))
                ).rowcount
                alerts += session.execute(
                    delete(AlertRow).where(AlertRow.identifier.in_(doomed))
                ).rowcount
        if len(ids) < batch:
            break
        go_on()
    return alerts, actions


def _purge_incidents(
    store: RecordStore, cutoff: datetime, batch: int, go_on: Callable[[], None]
) -> tuple[int, int, int]:
    incidents = entries = tasks = 0
    while True:
        with store.session() as session, session.begin():
            ids = list(
                session.scalars(
                    select(IncidentRow.identifier)
                    .where(IncidentRow.state == CLOSED, IncidentRow.closed < cutoff)
                    .limit(batch)
                )
            )
            if not ids:
                break
            entries += session.execute(
                delete(IncidentEntryRow).where(IncidentEntryRow.incident_identifier.in_(ids))
            ).rowcount
            tasks += session.execute(
                delete(IncidentTaskRow).where(IncidentTaskRow.incident_identifier.in_(ids))
            ).rowcount
            incidents += session.execute(
                delete(IncidentRow).where(IncidentRow.identifier.in_(ids))
            ).rowcount
        if len(ids) < batch:
            break
        go_on()
    return incidents, entries, tasks


def _purge_detections(
    store: RecordStore, cutoff: datetime, kept: _Kept, batch: int, go_on: Callable[[], None]
) -> tuple[int, set[str]]:
    removed, uris = 0, set()
    after = ""
    while True:
        with store.session() as session, session.begin():
            rows = session.execute(
                select(DetectionRow.identifier, DetectionRow.snapshot_uri)
                .where(DetectionRow.time < cutoff, DetectionRow.identifier > after)
                .order_by(DetectionRow.identifier)
                .limit(batch)
            ).all()
            if not rows:
                break
            after = rows[-1].identifier
            doomed = [
                row
                for row in rows
                if row.identifier not in kept.detections and row.snapshot_uri not in kept.snapshots
            ]
            if doomed:
                removed += session.execute(
                    delete(DetectionRow).where(
                        DetectionRow.identifier.in_([row.identifier for row in doomed])
                    )
                ).rowcount
                uris.update(row.snapshot_uri for row in doomed if row.snapshot_uri)
        if len(rows) < batch:
            break
        go_on()
    return removed, uris


def _delete_batches(
    store: RecordStore,
    table: type,
    conditions: list[Any],
    batch: int,
    go_on: Callable[[], None],
    key: Any = None,
) -> int:
    """Deletes the rows meeting ``conditions``, ``batch`` at a time."""
    key = key if key is not None else table.identifier  # type: ignore[attr-defined]
    removed = 0
    while True:
        with store.session() as session, session.begin():
            count = session.execute(
                delete(table).where(key.in_(select(key).where(*conditions).limit(batch)))
            ).rowcount
        removed += count
        if count < batch:
            return removed
        go_on()


def _delete_positions(
    store: RecordStore, cutoff: datetime, batch: int, go_on: Callable[[], None]
) -> int:
    row = TrackPositionRow
    removed = 0
    while True:
        with store.session() as session, session.begin():
            count = session.execute(
                delete(row).where(
                    tuple_(row.track_identifier, row.time).in_(
                        select(row.track_identifier, row.time).where(row.time < cutoff).limit(batch)
                    )
                )
            ).rowcount
        removed += count
        if count < batch:
            return removed
        go_on()


def _remove_snapshots(store: RecordStore, uris: set[str], snapshots: SnapshotFiles | None) -> int:
    """Deletes the pictures of removed detections that no remaining detection shows (one
    picture serves every detection of its frame)."""
    if snapshots is None or not uris:
        return 0
    removed = 0
    pending = sorted(uris)
    for start in range(0, len(pending), BATCH):
        chunk = pending[start : start + BATCH]
        with store.session() as session:
            still = set(
                session.scalars(
                    select(DetectionRow.snapshot_uri).where(DetectionRow.snapshot_uri.in_(chunk))
                )
            )
        for uri in chunk:
            path = snapshots.path(uri)
            if uri in still or path is None:
                continue
            try:
                path.unlink()
                removed += 1
            except FileNotFoundError:
                pass
            except OSError as exc:
                log.warning("Retention: cannot remove the snapshot %s: %s", path, exc)
    return removed


class RetentionService:
    """Runs ``purge`` shortly after start and then every ``interval_h`` hours, with the cutoff
    ``days`` before now; ``days`` 0 keeps everything (the thread is not even started)."""

    def __init__(
        self,
        store: RecordStore,
        audit: Auditor | None,
        days: float,
        interval_h: float,
        workstation: str = "",
        snapshots: SnapshotFiles | None = None,
        first_run_s: float = FIRST_RUN_S,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store, self.audit, self.snapshots = store, audit, snapshots
        self.days, self.interval_h = days, interval_h
        self.actor = f"system:{workstation}" if workstation else "system"
        self.first_run_s, self.clock = first_run_s, clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: PurgeResult | None = None

    @property
    def enabled(self) -> bool:
        return self.days > 0 and self.interval_h > 0

    def start(self) -> None:
        if not self.enabled:
            log.info("Retention: records are kept forever (retention_days is 0)")
            return
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="retention", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stops between batches at the latest after the current purge (a purge is short)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(30)
            self._thread = None

    def run_once(self) -> PurgeResult:
        cutoff = self.clock() - timedelta(days=self.days)
        self.last = purge(
            self.store,
            cutoff,
            self.audit,
            self.actor,
            self.snapshots,
            stopping=self._stopping.is_set,
        )
        return self.last

    def _run(self) -> None:
        wait = self.first_run_s
        while not self._stopping.wait(wait):
            try:
                self.run_once()
            except Exception:  # the schedule outlives any one failure
                log.exception("Retention run failed")
            wait = self.interval_h * 3600.0
