"""What each incident command does: validate, build the change and its log lines, write them
in one transaction. Runs on the incident service's thread; raises ``IncidentRefusedError`` with a
translated message when a command cannot be carried out."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import datetime

from app.alerts.fusion import FusionCandidate
from app.incidents import log_text
from app.incidents.messages import (
    AddIncidentAlerts,
    AddIncidentNote,
    AddIncidentTask,
    AssignCommander,
    OpenIncident,
    SetIncidentState,
    SetTaskDone,
)
from app.incidents.repository import IncidentRepository, StaleVersionError
from app.incidents.sop_tasks import sop_tasks
from app.incidents.states import CLOSED, IncidentStateError, check_transition, is_open
from app.model import (
    Alert,
    AlertAction,
    Incident,
    IncidentEntry,
    IncidentTask,
    Priority,
    Status,
    new_identifier,
    utc_now,
)
from app.scenario.model import inject_of
from i18n import gettext


class IncidentRefusedError(Exception):
    """A command that cannot be carried out; ``str()`` is the translated reason."""


class IncidentOperations:
    def __init__(
        self,
        repository: IncidentRepository,
        candidate: Callable[[str], FusionCandidate | None] = lambda key: None,
    ) -> None:
        self.repository = repository
        self.candidate = candidate

    # --- commands ------------------------------------------------------------------------
    def open(self, command: OpenIncident) -> str:
        if self.repository.get(command.identifier) is not None:
            return command.identifier  # sent twice (a double click): already open
        title = command.title.strip()
        if not title:
            raise IncidentRefusedError(gettext("Give the incident a title."))
        alerts = self._alerts(command.alert_ids)
        status, exercise_id = _status_of(alerts)
        now, incident_id = utc_now(), command.identifier
        incident = Incident(
            identifier=incident_id,
            title=title,
            opened=now,
            priority=_priority(alerts),
            alert_ids=tuple(a.identifier for a in alerts),
            status=status,
            description=command.description.strip(),
            fusion_key=command.fusion_key,
            exercise_id=exercise_id,
        )
        entries = [
            log_text.entry(
                incident_id, "status", command.by, now, log_text.OPENED, {"title": title}, version=1
            ),
            *self._joined(incident_id, alerts, command.by, now, 1),
        ]
        candidate = self.candidate(command.fusion_key) if command.fusion_key else None
        if candidate is not None:
            entries.append(log_text.fusion_entry(incident_id, candidate, command.by, now))
        self.repository.create(incident, entries, sop_tasks(incident_id, alerts, ()))
        return incident_id

    def add_alerts(self, command: AddIncidentAlerts) -> str:
        incident = self._changeable(command.incident_id, command.expected_version)
        fresh = [a for a in dict.fromkeys(command.alert_ids) if a not in incident.alert_ids]
        if not fresh:
            raise IncidentRefusedError(gettext("These alerts are already in the incident."))
        added = self._alerts(fresh)
        members = list(self.repository.alerts.by_ids(incident.alert_ids).values()) + added
        status, exercise_id = _status_of(members)
        changed = dataclasses.replace(
            incident,
            alert_ids=(*incident.alert_ids, *(a.identifier for a in added)),
            priority=min(incident.priority, _priority(added)),
            status=status,
            exercise_id=incident.exercise_id or exercise_id,
        )
        now, version = utc_now(), incident.version + 1
        view = self.repository.view(incident.identifier)
        tasks = sop_tasks(incident.identifier, added, view.tasks if view else ())
        entries = self._joined(incident.identifier, added, command.by, now, version)
        columns = ("alert_ids", "priority", "status", "exercise_id")
        self._update(changed, incident.version, columns, entries, tasks)
        return incident.identifier

    def note(self, command: AddIncidentNote) -> str:
        self._incident(command.incident_id)
        text = command.text.strip()
        if not text:
            raise IncidentRefusedError(gettext("Write the note first."))
        self.repository.append([log_text.note(command.incident_id, text, command.by, utc_now())])
        return command.incident_id

    def set_state(self, command: SetIncidentState) -> str:
        incident = self._current(command.incident_id, command.expected_version)
        try:
            check_transition(incident.state, command.state)
        except IncidentStateError as exc:
            raise IncidentRefusedError(str(exc)) from exc
        now, version = utc_now(), incident.version + 1
        changed = dataclasses.replace(
            incident, state=command.state, closed=now if command.state == CLOSED else None
        )
        params = {"reason": command.reason.strip()} if command.reason.strip() else {}
        message = log_text.STATE_CHANGES[command.state]
        line = log_text.entry(
            incident.identifier,
            "status",
            command.by,
            now,
            message,
            params,
            version=version,
            state=command.state,
            previous=incident.state,
        )
        self._update(changed, incident.version, ("state", "closed"), [line])
        return incident.identifier

    def assign(self, command: AssignCommander) -> str:
        incident = self._changeable(command.incident_id, command.expected_version)
        commander = command.commander.strip()
        if not commander:
            raise IncidentRefusedError(gettext("Name the incident commander."))
        if commander == incident.commander:
            raise IncidentRefusedError(
                gettext("{name} is already the commander.").format(name=commander)
            )
        now, version = utc_now(), incident.version + 1
        line = log_text.entry(
            incident.identifier,
            "commander",
            command.by,
            now,
            log_text.COMMANDER,
            {"commander": commander},
            version=version,
            previous=incident.commander,
        )
        changed = dataclasses.replace(incident, commander=commander)
        self._update(changed, incident.version, ("commander",), [line])
        return incident.identifier

    def add_task(self, command: AddIncidentTask) -> str:
        incident = self._changeable(command.incident_id, None)
        title = command.title.strip()
        if not title:
            raise IncidentRefusedError(gettext("Describe the task first."))
        view = self.repository.view(incident.identifier)
        position = max((t.position for t in view.tasks), default=-1) + 1 if view else 0
        task = IncidentTask(
            identifier=new_identifier(),
            incident_identifier=incident.identifier,
            title=title,
            position=position,
        )
        line = log_text.entry(
            incident.identifier,
            "task",
            command.by,
            utc_now(),
            log_text.TASK_ADDED,
            {"title": title},
            task_id=task.identifier,
        )
        self.repository.append([line], [task])
        return incident.identifier

    def task_done(self, command: SetTaskDone) -> str:
        task = self.repository.task(command.task_id)
        if task is None:
            raise IncidentRefusedError(gettext("That task is no longer in the store."))
        self._changeable(task.incident_identifier, None)
        now = utc_now()
        sop = task.kind == "sop"
        done_text, undone_text = (
            (log_text.SOP_DONE, log_text.SOP_UNDONE)
            if sop
            else (log_text.TASK_DONE, log_text.TASK_UNDONE)
        )
        line = log_text.entry(
            task.incident_identifier,
            "sop" if sop else "task",
            command.by,
            now,
            done_text if command.done else undone_text,
            {"title": task.title},
            translate=("title",) if sop else (),
            task_id=task.identifier,
            done=command.done,
        )
        try:
            ticked = self.repository.tick(
                task, now if command.done else None, command.by, line, command.expected_version
            )
        except StaleVersionError:
            raise self._stale(task.incident_identifier) from None
        if not ticked:
            latest = self.repository.task(task.identifier)
            if command.done and latest is not None and latest.done_by:
                raise IncidentRefusedError(
                    gettext("{name} marked this task done meanwhile.").format(name=latest.done_by)
                )
            raise IncidentRefusedError(
                gettext("This task was changed meanwhile; look at it again.")
            )
        return task.incident_identifier

    # --- the automatic log ---------------------------------------------------------------
    def log_actions(self, actions: Sequence[AlertAction]) -> list[str]:
        """Logs actions on alerts that belong to open incidents; returns the incidents whose
        log grew."""
        incidents = self.repository.open_with_alerts(a.alert_identifier for a in actions)
        if not incidents:
            return []
        alerts = self.repository.alerts.by_ids(a.alert_identifier for a in actions)
        entries: list[IncidentEntry] = []
        changed: list[str] = []
        for incident in incidents:
            for action in actions:
                if action.alert_identifier not in incident.alert_ids:
                    continue
                alert = alerts.get(action.alert_identifier)
                entries.append(log_text.action_entry(incident.identifier, action, alert))
                if alert is not None and alert.priority < incident.priority:
                    self.repository.raise_priority(incident.identifier, int(alert.priority))
                if incident.identifier not in changed:
                    changed.append(incident.identifier)
        self.repository.append(entries)
        return changed

    # --- helpers -------------------------------------------------------------------------
    def _incident(self, incident_id: str) -> Incident:
        incident = self.repository.get(incident_id)
        if incident is None:
            raise IncidentRefusedError(gettext("That incident is no longer in the store."))
        return incident

    def _current(self, incident_id: str, expected: int | None) -> Incident:
        """The incident, refused as stale when it is no longer at ``expected``."""
        incident = self._incident(incident_id)
        if expected is not None and expected != incident.version:
            raise self._stale(incident_id)
        return incident

    def _changeable(self, incident_id: str, expected: int | None) -> Incident:
        incident = self._current(incident_id, expected)
        if not is_open(incident.state):
            raise IncidentRefusedError(gettext("The incident is closed; reopen it to change it."))
        return incident

    def _update(
        self,
        changed: Incident,
        expected: int,
        columns: Sequence[str],
        entries: Sequence[IncidentEntry],
        tasks: Sequence[IncidentTask] = (),
    ) -> None:
        try:
            self.repository.update(changed, expected, columns, entries, tasks)
        except StaleVersionError:
            raise self._stale(changed.identifier) from None

    def _stale(self, incident_id: str) -> IncidentRefusedError:
        current = self.repository.get(incident_id)
        who = self.repository.last_changer(current) if current is not None else None
        if who:
            return IncidentRefusedError(
                gettext(
                    "Not changed: {name} changed this incident meanwhile. "
                    "Reload it, check the change and try again."
                ).format(name=who)
            )
        return IncidentRefusedError(
            gettext(
                "Not changed: this incident was changed meanwhile. "
                "Reload it, check the change and try again."
            )
        )

    def _alerts(self, alert_ids: Sequence[str]) -> list[Alert]:
        found = self.repository.alerts.by_ids(alert_ids)
        alerts = [found[a] for a in dict.fromkeys(alert_ids) if a in found]
        if alert_ids and not alerts:
            raise IncidentRefusedError(gettext("None of these alerts is in the store any more."))
        return alerts

    def _joined(
        self,
        incident_id: str,
        alerts: Sequence[Alert],
        by: str,
        now: datetime,
        version: int,
    ) -> list[IncidentEntry]:
        return [
            log_text.entry(
                incident_id,
                "alert",
                by,
                now,
                log_text.ALERT_ADDED,
                {"alert": alert.headline},
                version=version,
                alert_id=alert.identifier,
            )
            for alert in alerts
        ]


def _priority(alerts: Sequence[Alert]) -> Priority:
    """The most urgent alert's priority (P3 for an incident opened without alerts)."""
    return min((a.priority for a in alerts), default=Priority.P3)


def _status_of(alerts: Sequence[Alert]) -> tuple[Status, str | None]:
    """Exercise when its alerts are exercise data, with the exercise run they came from.
    Exercise and real alerts never share an incident: a drill must not steer a real response."""
    exercise = [a for a in alerts if a.status is Status.EXERCISE]
    if exercise and len(exercise) != len(alerts):
        raise IncidentRefusedError(
            gettext("Exercise alerts and real alerts cannot share an incident.")
        )
    if not exercise:
        return Status.ACTUAL, None
    runs = [run for a in exercise if (run := inject_of(a.identifier)) is not None]
    return Status.EXERCISE, runs[0][0] if runs else None
