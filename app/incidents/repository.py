"""Incidents in the store: one transaction per change, guarded by the incident's version.

A change to the incident itself is written as ``UPDATE incidents ... WHERE version =
:expected`` together with its log line; when no row matches, someone else (this workstation's
other panel, or another workstation on the same database) changed it first and nothing is
written. Log lines and tasks are only ever added or ticked, so they need no version.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime

from sqlalchemy import Select, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.alerts.repository import AlertRepository
from app.incidents.messages import SOP_STEP_ACTION, IncidentChanged
from app.incidents.states import CLOSED
from app.model import Incident, IncidentEntry, IncidentTask, utc_now
from app.storage import RecordStore, StorageError
from app.storage.changes import announce
from app.storage.codecs import from_row, to_row
from app.storage.orm import AlertActionRow, IncidentEntryRow, IncidentRow, IncidentTaskRow


class StaleVersionError(Exception):
    """The incident changed since the version the command was based on."""


class IncidentRepository:
    def __init__(self, store: RecordStore) -> None:
        self.store = store
        self.alerts = AlertRepository(store)

    # --- reading -------------------------------------------------------------------------
    def get(self, incident_id: str) -> Incident | None:
        return self.store.get(Incident, incident_id)

    def task(self, task_id: str) -> IncidentTask | None:
        return self.store.get(IncidentTask, task_id)

    def view(self, incident_id: str) -> IncidentChanged | None:
        incident = self.get(incident_id)
        return None if incident is None else self.views([incident])[0]

    def views(self, incidents: Sequence[Incident]) -> list[IncidentChanged]:
        """Each incident with its log, tasks and member alerts, in three queries in all."""
        ids = [i.identifier for i in incidents]
        entries: dict[str, list[IncidentEntry]] = defaultdict(list)
        tasks: dict[str, list[IncidentTask]] = defaultdict(list)
        with self.store.session() as session:
            for row in session.scalars(
                select(IncidentEntryRow)
                .where(IncidentEntryRow.incident_identifier.in_(ids))
                .order_by(IncidentEntryRow.time, IncidentEntryRow.stored)
            ):
                entries[row.incident_identifier].append(from_row(IncidentEntry, row))
            for row in session.scalars(
                select(IncidentTaskRow)
                .where(IncidentTaskRow.incident_identifier.in_(ids))
                .order_by(IncidentTaskRow.position)
            ):
                tasks[row.incident_identifier].append(from_row(IncidentTask, row))
        alerts = self.alerts.by_ids(a for i in incidents for a in i.alert_ids)
        return [
            IncidentChanged(
                incident,
                tuple(entries[incident.identifier]),
                tuple(sorted(tasks[incident.identifier], key=_task_order)),
                tuple(alerts[a] for a in incident.alert_ids if a in alerts),
            )
            for incident in incidents
        ]

    def recent(self, since: datetime) -> list[Incident]:
        """Every incident not closed, and those opened or closed since ``since``."""
        query = (
            select(IncidentRow)
            .where(
                or_(
                    IncidentRow.state != CLOSED,
                    IncidentRow.opened >= since,
                    IncidentRow.closed >= since,
                )
            )
            .order_by(IncidentRow.opened.desc())
        )
        return self._incidents(query)

    def open_with_alerts(self, alert_ids: Iterable[str]) -> list[Incident]:
        """Incidents not closed that hold any of ``alert_ids``. Few incidents are open at a
        time, so membership is checked here rather than in JSON SQL that differs by engine."""
        wanted = set(alert_ids)
        query = select(IncidentRow).where(IncidentRow.state != CLOSED)
        return [i for i in self._incidents(query) if wanted.intersection(i.alert_ids)]

    def last_changer(self, incident: Incident) -> str | None:
        """Who wrote the incident's current version, from its log."""
        query = (
            select(IncidentEntryRow)
            .where(IncidentEntryRow.incident_identifier == incident.identifier)
            .order_by(IncidentEntryRow.time.desc())
            .limit(200)
        )
        with self.store.session() as session:
            for row in session.scalars(query):
                if (row.details or {}).get("version") == incident.version:
                    return row.by
        return None

    def sop_progress(self, alert_id: str) -> frozenset[int]:
        """The alert's ticked checklist steps: the latest action per step wins."""
        query = (
            select(AlertActionRow)
            .where(
                AlertActionRow.alert_identifier == alert_id,
                AlertActionRow.action == SOP_STEP_ACTION,
            )
            .order_by(AlertActionRow.time, AlertActionRow.stored)
        )
        done: set[int] = set()
        with self.store.session() as session:
            for row in session.scalars(query):
                details = {str(k): str(v) for k, v in row.details or []}
                if not details.get("step", "").isdigit():
                    continue
                step = int(details["step"])
                (done.add if details.get("done") == "true" else done.discard)(step)
        return frozenset(done)

    def _incidents(self, query: Select[tuple[IncidentRow]]) -> list[Incident]:
        try:
            with self.store.session() as session:
                return [from_row(Incident, row) for row in session.scalars(query)]
        except SQLAlchemyError as exc:
            raise StorageError(f"could not read incidents: {exc}") from exc

    # --- writing -------------------------------------------------------------------------
    def create(
        self, incident: Incident, entries: Sequence[IncidentEntry], tasks: Sequence[IncidentTask]
    ) -> None:
        with self._writing() as session:
            session.add(IncidentRow(**to_row(incident, utc_now())))
            _add(session, entries, tasks)
            self._announce(session, [incident.identifier])

    def update(
        self,
        changed: Incident,
        expected: int,
        columns: Sequence[str],
        entries: Sequence[IncidentEntry],
        tasks: Sequence[IncidentTask] = (),
    ) -> None:
        """Writes ``columns`` of ``changed`` and version ``expected + 1``, only if the stored
        version is still ``expected``; raises ``StaleVersionError`` (and writes nothing) if not."""
        row = to_row(changed)
        values = {column: row[column] for column in columns}
        with self._writing() as session:
            result = session.execute(
                update(IncidentRow)
                .where(
                    IncidentRow.identifier == changed.identifier,
                    IncidentRow.version == expected,
                )
                .values(**values, version=expected + 1, stored=utc_now())
            )
            if result.rowcount != 1:
                raise StaleVersionError(changed.identifier)
            _add(session, entries, tasks)
            self._announce(session, [changed.identifier])

    def append(self, entries: Sequence[IncidentEntry], tasks: Sequence[IncidentTask] = ()) -> None:
        """Adds log lines and tasks that do not change the incident itself."""
        with self._writing() as session:
            _add(session, entries, tasks)
            self._announce(
                session,
                [e.incident_identifier for e in entries] + [t.incident_identifier for t in tasks],
            )

    def tick(
        self,
        task: IncidentTask,
        done_at: datetime | None,
        by: str,
        entry: IncidentEntry,
        expected_version: int | None,
    ) -> bool:
        """Ticks or unticks a task only if it is still the other way round (and, when asked,
        its incident is still at ``expected_version``); False when someone was first."""
        row = IncidentTaskRow
        guard = row.done.is_(None) if done_at is not None else row.done.is_not(None)
        with self._writing() as session:
            if expected_version is not None:
                version = session.scalar(
                    select(IncidentRow.version).where(
                        IncidentRow.identifier == task.incident_identifier
                    )
                )
                if version != expected_version:
                    raise StaleVersionError(task.incident_identifier)
            result = session.execute(
                update(row)
                .where(row.identifier == task.identifier, guard)
                .values(done=done_at, done_by=by if done_at is not None else None)
            )
            if result.rowcount != 1:
                return False
            _add(session, [entry], ())
            self._announce(session, [task.incident_identifier])
        return True

    def raise_priority(self, incident_id: str, priority: int) -> bool:
        """The incident follows its most urgent alert (an escalation), without a version
        bump: it is the console's bookkeeping, not a person's decision to overrule."""
        with self._writing() as session:
            result = session.execute(
                update(IncidentRow)
                .where(IncidentRow.identifier == incident_id, IncidentRow.priority > priority)
                .values(priority=priority)
            )
            if result.rowcount == 1:
                self._announce(session, [incident_id])
            return result.rowcount == 1

    def _announce(self, session: Session, incident_ids: Iterable[str]) -> None:
        """Tells the other workstations sharing the database, when the change commits."""
        announce(session, self.store.origin, "incident", dict.fromkeys(incident_ids))

    @contextmanager
    def _writing(self) -> Iterator[Session]:
        """One session and transaction; SQL errors become ``StorageError``."""
        try:
            with self.store.session() as session, session.begin():
                yield session
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise StorageError(f"could not store the incident change: {reason}") from exc


def _add(session: Session, entries: Iterable[IncidentEntry], tasks: Iterable[IncidentTask]) -> None:
    now = utc_now()
    for item in entries:
        session.merge(IncidentEntryRow(**to_row(item, now)))  # a repeated action: one line
    for task in tasks:
        session.merge(IncidentTaskRow(**to_row(task, now)))


def _task_order(task: IncidentTask) -> tuple[int, int]:
    return (0 if task.kind == "sop" else 1, task.position)
