"""An incident's SOP checklist: the steps of every distinct kind of event among its alerts.

Steps are stored in English (the msgids of ``resources/alerts/sop_checklists.json``) and
translated when shown. A task's identifier names its incident, checklist and step
(``<incident>.sop.<checklist>.<n>``), so adding an alert of a kind already present creates
nothing new, and the panel can group steps by checklist without another column.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

from app.alerts.sop import FALLBACK, SopLibrary
from app.model import Alert, IncidentTask


@cache
def library() -> SopLibrary:
    return SopLibrary.load()


def checklist_key(event_type: str) -> str:
    """The checklist an event type follows: its own, or the generic one."""
    return event_type if library().has_checklist(event_type) else FALLBACK


def checklist_steps(event_type: str) -> tuple[str, ...]:
    """The English steps (msgids) for an event type."""
    return library().checklists[checklist_key(event_type)]


def sop_task_id(incident_id: str, key: str, number: int) -> str:
    return f"{incident_id}.sop.{key}.{number}"


def checklist_of(task: IncidentTask) -> str | None:
    """The checklist (event type, or ``unknown`` for the generic one) an SOP task belongs to."""
    if task.kind != "sop":
        return None
    parts = task.identifier.rsplit(".sop.", 1)
    return parts[1].rsplit(".", 1)[0] if len(parts) == 2 else None


def sop_tasks(
    incident_id: str, alerts: Sequence[Alert], existing: Sequence[IncidentTask]
) -> list[IncidentTask]:
    """The SOP steps the alerts call for that the incident does not have yet, placed after
    the existing tasks in checklist order."""
    have = {task.identifier for task in existing}
    position = max((task.position for task in existing), default=-1) + 1
    keys = list(dict.fromkeys(checklist_key(a.event_type) for a in alerts))
    tasks: list[IncidentTask] = []
    for key in keys:
        for number, step in enumerate(library().checklists[key]):
            identifier = sop_task_id(incident_id, key, number)
            if identifier in have:
                continue
            tasks.append(
                IncidentTask(
                    identifier=identifier,
                    incident_identifier=incident_id,
                    title=step,
                    kind="sop",
                    position=position,
                )
            )
            position += 1
    return tasks
