"""What each command the core takes requires: a permission, its scope, and its audit name.

One table for every command type ``Core.submit`` accepts, so no command goes unchecked: a
command type missing here is refused (a new service must add its commands, on purpose).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.alerts.lifecycle import Action
from app.alerts.service import AlertCommand
from app.incidents.messages import (
    AddIncidentAlerts,
    AddIncidentNote,
    AddIncidentTask,
    AssignCommander,
    MarkSopStep,
    OpenIncident,
    SetIncidentState,
    SetTaskDone,
    SopProgressQuery,
)
from app.map.zones import DeleteZone, SaveZone
from app.replay.messages import ExerciseCommand
from app.security.model import (
    DecideUnmask,
    EndUnmask,
    Permission,
    RequestUnmask,
    UnmaskKind,
)
from app.timeline.messages import AddBookmark, DeleteBookmark
from app.video.messages import MarkDetection, SelectModel, SetFaceBlur
from i18n import N_

# Refusal reasons that do not depend on the person (msgids, translated where shown).
FACES_ONLY_BY_UNMASK = N_("Faces are shown only through an approved unmask request")

_ALERT_PERMISSIONS = {
    Action.ACKNOWLEDGE: Permission.ACKNOWLEDGE,
    Action.DISMISS: Permission.DISMISS,
    Action.ESCALATE: Permission.ESCALATE,
}


@dataclass(frozen=True, slots=True)
class Requirement:
    """``permission`` None: only a signed-in person; ``any_of`` widens it to one of several.
    ``alert``: the alert the command touches, which the person must be able to see.
    ``refusal``: always refused, with this msgid. ``audit``: False when the guard need not
    record an accepted command: read-only queries, and unmask commands (the unmask service
    records each step itself, with its outcome). Refusals are always recorded."""

    action: str
    target: str = ""
    permission: Permission | None = None
    any_of: tuple[Permission, ...] = ()
    camera: str | None = None
    zone: str | None = None
    alert: str | None = None
    refusal: str | None = None
    audit: bool = True
    # DecideUnmask at the requester's desk: the approver is not the signed-in person.
    other_person: bool = False


def requirement(command: object) -> Requirement | None:
    """What ``command`` needs; None for a command type nobody declared (refused)."""
    if isinstance(command, AlertCommand):
        permission = _ALERT_PERMISSIONS.get(command.action, Permission.TRIAGE)
        return Requirement(
            f"alert.{command.action.value}",
            command.identifier,
            permission,
            alert=command.identifier,
        )
    if isinstance(command, MarkSopStep):
        return Requirement(
            "alert.sop_step", command.alert_id, Permission.TRIAGE, alert=command.alert_id
        )
    if isinstance(command, SopProgressQuery):
        return Requirement(
            "alert.sop_progress", command.alert_id, alert=command.alert_id, audit=False
        )
    if isinstance(command, _INCIDENT_COMMANDS):
        target = getattr(command, "incident_id", "") or getattr(command, "identifier", "")
        if isinstance(command, SetTaskDone):
            target = command.task_id
        return Requirement(
            f"incident.{_snake(type(command).__name__)}", target, Permission.INCIDENTS
        )
    if isinstance(command, SaveZone):
        identifier = command.zone.identifier
        return Requirement("zone.save", identifier, Permission.CONFIGURE, zone=identifier)
    if isinstance(command, DeleteZone):
        return Requirement(
            "zone.delete", command.identifier, Permission.CONFIGURE, zone=command.identifier
        )
    if isinstance(command, SelectModel):
        return Requirement(
            "video.select_model", command.camera_id, Permission.CONFIGURE, camera=command.camera_id
        )
    if isinstance(command, MarkDetection):
        return Requirement(
            "video.mark_detection",
            command.alert_identifier,
            Permission.TRIAGE,
            alert=command.alert_identifier,
        )
    if isinstance(command, SetFaceBlur):
        if not command.blurred:
            return Requirement("video.unblur", command.camera_id, refusal=FACES_ONLY_BY_UNMASK)
        return Requirement("video.blur", command.camera_id)
    if isinstance(command, ExerciseCommand):
        return Requirement(
            f"exercise.{command.action}", str(command.value or ""), Permission.EXERCISES
        )
    if isinstance(command, AddBookmark):
        return Requirement("bookmark.add", command.time.isoformat(), Permission.BOOKMARK)
    if isinstance(command, DeleteBookmark):
        return Requirement("bookmark.delete", command.identifier, Permission.BOOKMARK)
    return _unmask(command)


def _unmask(command: object) -> Requirement | None:
    if isinstance(command, RequestUnmask):
        camera = command.target if command.kind == UnmaskKind.FACES else None
        return Requirement(
            "unmask.request", command.target, Permission.UNMASK, camera=camera, audit=False
        )
    if isinstance(command, DecideUnmask):
        action = "unmask.approve" if command.approve else "unmask.deny"
        return Requirement(
            action, command.request_id, Permission.APPROVE_UNMASK, other_person=True, audit=False
        )
    if isinstance(command, EndUnmask):
        return Requirement(
            "unmask.end",
            command.request_id,
            any_of=(Permission.UNMASK, Permission.APPROVE_UNMASK),
            audit=False,
        )
    return None


_INCIDENT_COMMANDS = (
    OpenIncident,
    AddIncidentAlerts,
    AddIncidentNote,
    SetIncidentState,
    AddIncidentTask,
    SetTaskDone,
    AssignCommander,
)


def _snake(name: str) -> str:
    """``SetIncidentState`` -> ``set_incident_state``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
