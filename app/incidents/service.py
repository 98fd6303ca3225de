"""The incident service: commanders' and operators' incident commands on their own thread.

Panels submit commands and return at once; this thread writes each change with its log line in
one transaction and publishes the incident as stored (``IncidentChanged``), or the reason it
was refused. It also keeps the log where the console knows what happened: every action on an
alert that belongs to an open incident arrives here from the hub and becomes a log line, so
nobody types what the system already recorded. SOP ticks on a single alert are stored here as
``sop-step`` alert actions.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.alerts.fusion import FusionCandidate
from app.alerts.service import FusionUpdate
from app.hub import Hub
from app.incidents import messages as m
from app.incidents.operations import IncidentOperations, IncidentRefusedError
from app.incidents.repository import IncidentRepository
from app.model import AlertAction, new_identifier, utc_now
from app.storage import RecordStore, StorageError

log = logging.getLogger(__name__)

SNAPSHOT_DAYS = 7


@dataclass(frozen=True, slots=True)
class _Actions:
    actions: tuple[AlertAction, ...]


@dataclass(frozen=True, slots=True)
class _Reload:
    """Incidents another workstation changed (``None``: all of them, after an outage)."""

    incident_ids: tuple[str, ...] | None


class IncidentService:
    def __init__(
        self, store: RecordStore, hub: Hub, accept: Callable[[Sequence[Any]], int]
    ) -> None:
        """``accept`` stores and publishes records (``Ingest.accept``): SOP ticks go the way
        every record goes."""
        self.hub = hub
        self.accept = accept
        self.repository = IncidentRepository(store)
        self._candidates: dict[str, FusionCandidate] = {}
        self.operations = IncidentOperations(self.repository, self._candidates.get)
        self._jobs: queue.Queue[object] = queue.Queue()
        # Actions another workstation took (and logged in its incidents): not logged again.
        self._remote_lock = threading.Lock()
        self._remote_actions: set[str] = set()
        self._subscriptions = [
            hub.subscribe(AlertAction, self._on_actions),
            hub.subscribe(FusionUpdate, self._on_fusion),
        ]
        self._handlers: dict[type, Callable[[Any], str]] = {
            m.OpenIncident: self.operations.open,
            m.AddIncidentAlerts: self.operations.add_alerts,
            m.AddIncidentNote: self.operations.note,
            m.SetIncidentState: self.operations.set_state,
            m.AddIncidentTask: self.operations.add_task,
            m.SetTaskDone: self.operations.task_done,
            m.AssignCommander: self.operations.assign,
        }
        self._thread = threading.Thread(target=self._run, name="incident-service", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()
        self._jobs.put(None)
        if self._thread.ident is not None:
            self._thread.join(5)

    def submit(self, command: object) -> None:
        """Queues a command; the result arrives on the hub."""
        if not isinstance(command, m.SERVICE_COMMANDS):
            raise TypeError(f"the incident service does not take {type(command).__name__}")
        self._jobs.put(command)

    def reload(self, incident_ids: Sequence[str]) -> None:
        """Publishes these incidents as stored now: another workstation sharing the database
        changed them. Read on this service's thread, in order with its own changes."""
        self._jobs.put(_Reload(tuple(incident_ids)))

    def resynchronise(self) -> None:
        """Publishes the whole incident picture again (changes may have been missed)."""
        self._jobs.put(_Reload(None))

    def remote_actions(self, action_ids: Sequence[str]) -> None:
        """Declares actions another workstation took, before they are published here: that
        workstation wrote their incident log lines already (the same lines, written twice at
        once, would collide in the shared database)."""
        with self._remote_lock:
            if len(self._remote_actions) > 10_000:  # bounded: ids are consumed as they pass
                self._remote_actions.clear()
            self._remote_actions.update(action_ids)

    def _on_actions(self, batch: Sequence[AlertAction]) -> None:
        with self._remote_lock:
            local = tuple(a for a in batch if a.identifier not in self._remote_actions)
            self._remote_actions.difference_update(a.identifier for a in batch)
        if local:
            self._jobs.put(_Actions(local))

    def _on_fusion(self, batch: Sequence[FusionUpdate]) -> None:
        self._jobs.put(batch[-1])

    # --- the thread ----------------------------------------------------------------------
    def _run(self) -> None:
        self._publish_snapshot()
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                self._do(job)
            except StorageError as exc:
                log.error("Incident change not stored: %s", exc)
                if not isinstance(job, _Actions | FusionUpdate | _Reload):
                    self.hub.publish(m.IncidentCommandRefused(job, str(exc)))
            except Exception:
                log.exception("Incident service failed on %r", job)

    def _do(self, job: object) -> None:
        if isinstance(job, FusionUpdate):
            self._candidates.clear()
            self._candidates.update((c.identifier, c) for c in job.candidates)
        elif isinstance(job, _Actions):
            self._publish_views(self.operations.log_actions(job.actions))
        elif isinstance(job, _Reload):
            if job.incident_ids is None:
                self._publish_snapshot()
            else:
                self._publish_views(job.incident_ids)
        elif isinstance(job, m.MarkSopStep):
            self._mark_sop_step(job)
        elif isinstance(job, m.SopProgressQuery):
            progress = self.repository.sop_progress(job.alert_id)
            self.hub.publish(m.SopProgress(job.alert_id, progress))
        else:
            self._command(job)

    def _command(self, command: object) -> None:
        try:
            incident_id = self._handlers[type(command)](command)
        except IncidentRefusedError as exc:
            log.info("Refused %s: %s", type(command).__name__, exc)
            self.hub.publish(m.IncidentCommandRefused(command, str(exc)))
            # Whoever was refused sees the incident as it is now (the "reload").
            target = getattr(command, "incident_id", None) or _task_incident(self, command)
            if target:
                self._publish_views([target])
            return
        self._publish_views([incident_id])

    def _mark_sop_step(self, command: m.MarkSopStep) -> None:
        if command.step < 0:
            log.error("SOP step %s of %s does not exist", command.step, command.alert_id)
            return
        action = AlertAction(
            identifier=new_identifier(),
            alert_identifier=command.alert_id,
            action=m.SOP_STEP_ACTION,
            by=command.by,
            time=utc_now(),
            details=(("step", str(command.step)), ("done", "true" if command.done else "false")),
        )
        self.accept([action])  # stored, then published: the incident log hears of it too
        progress = self.repository.sop_progress(command.alert_id)
        self.hub.publish(m.SopProgress(command.alert_id, progress))

    def _publish_views(self, incident_ids: Sequence[str]) -> None:
        for incident_id in incident_ids:
            view = self.repository.view(incident_id)
            if view is not None:
                self.hub.publish(view)

    def _publish_snapshot(self) -> None:
        try:
            since = utc_now() - timedelta(days=SNAPSHOT_DAYS)
            views = self.repository.views(self.repository.recent(since))
        except StorageError as exc:
            log.error("Cannot load the incidents: %s", exc)
            return
        self.hub.publish(m.IncidentsSnapshot(tuple(views)))


def _task_incident(service: IncidentService, command: object) -> str | None:
    task_id = getattr(command, "task_id", None)
    task = service.repository.task(task_id) if task_id else None
    return task.incident_identifier if task is not None else None
