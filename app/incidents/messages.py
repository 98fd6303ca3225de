"""What panels ask of the incident service, and what it answers on the hub.

Commands are submitted through ``Core.submit`` and return at once; the outcome arrives as an
``IncidentChanged`` (the whole incident as stored, with its log and tasks) or an
``IncidentCommandRefused`` whose message is translated and meant to be shown as it is.

Changes to the incident itself (state, commander, member alerts) carry the version the sender
last saw: a change based on an older version is refused instead of silently overwriting what
someone else did meanwhile (two workstations on one database included).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from app.model import Alert, Incident, IncidentEntry, IncidentTask, new_identifier


@dataclass(frozen=True, slots=True)
class OpenIncident:
    """Opens an incident from alerts (selected in the queue, or a fusion candidate's members).
    ``identifier`` is chosen by the sender so that it can select the incident when it comes."""

    title: str
    alert_ids: tuple[str, ...]
    by: str
    fusion_key: str | None = None
    description: str = ""
    identifier: str = field(default_factory=new_identifier)


@dataclass(frozen=True, slots=True)
class AddIncidentAlerts:
    incident_id: str
    alert_ids: tuple[str, ...]
    by: str
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class AddIncidentNote:
    """A note is only ever appended, so it needs no version: nobody's note overwrites another."""

    incident_id: str
    text: str
    by: str


@dataclass(frozen=True, slots=True)
class SetIncidentState:
    incident_id: str
    state: str
    by: str
    expected_version: int | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AddIncidentTask:
    incident_id: str
    title: str
    by: str


@dataclass(frozen=True, slots=True)
class SetTaskDone:
    """Ticks or unticks a task. Ticking a task someone ticked meanwhile is refused (the task's
    own state is the guard); with ``expected_version`` the incident's version is checked too."""

    task_id: str
    done: bool
    by: str
    expected_version: int | None = None


@dataclass(frozen=True, slots=True)
class AssignCommander:
    incident_id: str
    commander: str
    by: str
    expected_version: int | None


IncidentCommand = (
    OpenIncident
    | AddIncidentAlerts
    | AddIncidentNote
    | SetIncidentState
    | AddIncidentTask
    | SetTaskDone
    | AssignCommander
)


@dataclass(frozen=True, slots=True)
class IncidentChanged:
    """An incident as stored now: its log (oldest first), its tasks (SOP steps first, in
    checklist order, then free tasks) and its member alerts as they stand."""

    incident: Incident
    entries: tuple[IncidentEntry, ...] = ()
    tasks: tuple[IncidentTask, ...] = ()
    alerts: tuple[Alert, ...] = ()


@dataclass(frozen=True, slots=True)
class IncidentsSnapshot:
    """What the incidents panel starts from: open incidents and those of the last week."""

    incidents: tuple[IncidentChanged, ...]


@dataclass(frozen=True, slots=True)
class IncidentCommandRefused:
    command: object
    message: str


# --- SOP progress on a single alert (the alert details pane) ----------------------------------
@dataclass(frozen=True, slots=True)
class MarkSopStep:
    """Ticks (or unticks) step ``step`` (0-based) of an alert's SOP checklist. Stored as an
    ``AlertAction`` ``sop-step`` so that the log, the scorer and a restart all see it."""

    alert_id: str
    step: int
    done: bool
    by: str


@dataclass(frozen=True, slots=True)
class SopProgressQuery:
    alert_id: str


@dataclass(frozen=True, slots=True)
class SopProgress:
    """The steps of an alert's checklist that are ticked now (latest action per step wins)."""

    alert_id: str
    done: frozenset[int]


SOP_STEP_ACTION = "sop-step"

SERVICE_COMMANDS = (
    OpenIncident,
    AddIncidentAlerts,
    AddIncidentNote,
    SetIncidentState,
    AddIncidentTask,
    SetTaskDone,
    AssignCommander,
    MarkSopStep,
    SopProgressQuery,
)
