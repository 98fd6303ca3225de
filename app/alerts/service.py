"""The alert centre's worker: operators' commands, fusion and flood watch, off every other
thread.

Panels submit commands and return at once; this thread applies them through the lifecycle,
writes them (triage, action record, owed update to the tool) in one transaction, and publishes
the changed alert on the hub. It also recomputes fusion candidates and the flood state at most
once a second while alerts arrive, so ingest never pays for them.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from app.alerts import lifecycle
from app.alerts.flood import FloodMonitor, FloodState
from app.alerts.fusion import FusionCandidate, FusionRules, fuse
from app.alerts.lifecycle import Action, LifecycleError, is_open
from app.alerts.repository import AlertRepository, StaleAlert
from app.hub import Hub
from app.model import Alert, AlertAction, Status, utc_now
from app.storage import StorageError
from app.terminology import Terminology
from app.toolapi.schema import ActionOut
from i18n import N_, format_time, gettext

log = logging.getLogger(__name__)

RECOMPUTE_EVERY_S = 1.0
SNAPSHOT_HOURS = 24


@dataclass(frozen=True, slots=True)
class AlertCommand:
    action: Action
    identifier: str
    by: str
    reason: str = ""
    until: datetime | None = None
    to: str | None = None
    # The alert's version as the operator saw it; None: as stored when the command is applied.
    # With it, an action on an alert someone else changed meanwhile is refused, not applied
    # to a state the operator never saw.
    version: int | None = None


# What another operator did first, one whole sentence per action for the translators.
_CHANGED_ELSEWHERE = {
    Action.ACKNOWLEDGE: N_(
        "{operator} acknowledged this alert at {time} on another workstation; "
        "your action was not applied."
    ),
    Action.START: N_(
        "{operator} started work on this alert at {time} on another workstation; "
        "your action was not applied."
    ),
    Action.RESOLVE: N_(
        "{operator} resolved this alert at {time} on another workstation; "
        "your action was not applied."
    ),
    Action.DISMISS: N_(
        "{operator} dismissed this alert at {time} on another workstation; "
        "your action was not applied."
    ),
    Action.ASSIGN: N_(
        "{operator} assigned this alert at {time} on another workstation; "
        "your action was not applied."
    ),
    Action.ESCALATE: N_(
        "{operator} escalated this alert at {time} on another workstation; "
        "your action was not applied."
    ),
    Action.SHELVE: N_(
        "{operator} shelved this alert at {time} on another workstation; "
        "your action was not applied."
    ),
    Action.UNSHELVE: N_(
        "{operator} unshelved this alert at {time} on another workstation; "
        "your action was not applied."
    ),
    Action.REOPEN: N_(
        "{operator} reopened this alert at {time} on another workstation; "
        "your action was not applied."
    ),
}
_CHANGED_UNKNOWN = N_("This alert was changed on another workstation; your action was not applied.")


def changed_elsewhere_message(last: AlertAction | None) -> str:
    """Why an action on an alert that changed meanwhile was refused: who did what, when."""
    try:
        template = _CHANGED_ELSEWHERE[Action(last.action)] if last is not None else None
    except ValueError:
        template = None
    if last is None or template is None:
        return gettext(_CHANGED_UNKNOWN)
    local = last.time.astimezone()
    return gettext(template).format(
        operator=last.by, time=format_time(local, "short", local.tzinfo)
    )


@dataclass(frozen=True, slots=True)
class CommandRefused:
    command: AlertCommand
    message: str


@dataclass(frozen=True, slots=True)
class AlertSnapshot:
    """The alerts the queue starts from (open ones and the last day's), loaded off the GUI."""

    alerts: tuple[Alert, ...]


@dataclass(frozen=True, slots=True)
class FusionUpdate:
    candidates: tuple[FusionCandidate, ...]


@dataclass(frozen=True, slots=True)
class ConnectorRoute:
    connector_id: str
    simulated: bool


class AlertService:
    def __init__(
        self,
        repository: AlertRepository,
        hub: Hub,
        terms: Terminology,
        fusion_rules: FusionRules,
        flood_threshold: int,
        route: Callable[[str], ConnectorRoute | None],
        flood_window_s: float = 600.0,
    ) -> None:
        self.repository = repository
        self.hub = hub
        self.terms = terms
        self.fusion_rules = fusion_rules
        self.flood = FloodMonitor(flood_threshold, flood_window_s)
        self.route = route
        self._jobs: queue.Queue[object] = queue.Queue()
        self._stop = threading.Event()
        self._dirty = False  # new alerts since the last recompute (this thread only)
        self._last_candidates: tuple[FusionCandidate, ...] = ()
        self._last_flood: FloodState | None = None
        self._window: dict[str, Alert] = {}
        self._subscription = hub.subscribe(Alert, self._on_alerts)
        self._thread = threading.Thread(target=self._run, name="alert-service", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._jobs.put(None)
        if self._thread.ident is not None:
            self._thread.join(5)
        self._subscription.cancel()

    def submit(self, command: AlertCommand) -> None:
        """Queues an operator's command; the result arrives on the hub (alert or refusal)."""
        self._jobs.put(command)

    def _on_alerts(self, batch: Sequence[Alert]) -> None:
        self._jobs.put(tuple(batch))

    def _run(self) -> None:
        self._publish_snapshot()
        next_recompute = 0.0
        while not self._stop.is_set():
            try:
                job = self._jobs.get(timeout=RECOMPUTE_EVERY_S)
            except queue.Empty:
                job = None
            if isinstance(job, AlertCommand):
                self._apply(job)
            elif isinstance(job, tuple):
                now = utc_now()
                for alert in job:
                    if alert.identifier not in self._window:
                        self.flood.observe(alert, at=now)
                self._remember(job)
                self._dirty = True
            clock = time.monotonic()
            if clock >= next_recompute and (self._dirty or self._showing_something()):
                self._dirty = False
                next_recompute = clock + RECOMPUTE_EVERY_S
                self._recompute()

    def _showing_something(self) -> bool:
        """A flood or fusion candidates on screen also change with time alone (their windows
        pass), so they are recomputed even when no alert arrives."""
        flooding = self._last_flood is not None and self._last_flood.flooding
        return flooding or bool(self._last_candidates)

    def _publish_snapshot(self) -> None:
        try:
            alerts = self.repository.recent(utc_now() - timedelta(hours=SNAPSHOT_HOURS))
        except StorageError as exc:
            log.error("Cannot load the alert queue: %s", exc)
            return
        self.hub.publish(AlertSnapshot(tuple(alerts)))
        for alert in alerts:
            self.flood.observe(alert, at=alert.last_seen or alert.sent)
        self._remember(alerts)
        self._dirty = True

    def _apply(self, command: AlertCommand) -> None:
        alert = self.repository.by_ids([command.identifier]).get(command.identifier)
        if alert is None:
            self._refuse(command, gettext("That alert is no longer in the store."))
            return
        if command.version is not None and command.version != alert.version:
            self._refuse_stale(command, StaleAlert(alert, self._last_action(alert)))
            return
        now = utc_now()
        try:
            change = _OPERATIONS[command.action](alert, command, now)
        except LifecycleError as exc:
            self._refuse(command, str(exc))
            return
        try:
            stored = self.repository.apply(change, self._owed_update(change, command.action))
        except StaleAlert as stale:
            self._refuse_stale(command, stale)
            return
        except StorageError as exc:
            self._refuse(command, str(exc))
            return
        self.hub.publish(stored, change.action)

    def _last_action(self, alert: Alert) -> AlertAction | None:
        try:
            return self.repository.last_action(alert.identifier, {a.value for a in Action})
        except (StorageError, SQLAlchemyError):
            return None

    def _refuse_stale(self, command: AlertCommand, stale: StaleAlert) -> None:
        """Another workstation acted first: the operator is told who did what, and the
        queue is given the alert as it is now, so it shows the truth."""
        self._refuse(command, changed_elsewhere_message(stale.last_action))
        if stale.current is not None:
            self.hub.publish(stale.current)

    def _owed_update(
        self, change: lifecycle.AlertChange, action: Action
    ) -> tuple[str, dict] | None:
        """The update the raising tool must hear of, if it is a connected tool; exercise data
        only ever goes back to simulated tools."""
        verb = lifecycle.push_back_verb(action)
        route = self.route(change.alert.source_tool)
        if verb is None or route is None:
            return None
        if change.alert.status is not Status.ACTUAL and not route.simulated:
            return None
        raw_identifier = change.alert.identifier.split(":", 1)[-1]
        payload = ActionOut(
            action_id=change.action.identifier,
            alert_identifier=raw_identifier,
            action=verb,
            by=change.action.by,
            at=change.action.time,
            reason=change.action.reason,
        )
        return route.connector_id, payload.model_dump(mode="json")

    def _refuse(self, command: AlertCommand, message: str) -> None:
        log.info("Refused %s on %s: %s", command.action, command.identifier, message)
        self.hub.publish(CommandRefused(command, message))

    def _remember(self, alerts: Sequence[Alert]) -> None:
        """Keeps the open alerts fusion looks at in memory, fed by the hub: no store query
        every second while thousands of alerts arrive."""
        for alert in alerts:
            if is_open(alert):
                self._window[alert.identifier] = alert
            else:
                self._window.pop(alert.identifier, None)

    def _recompute(self) -> None:
        now = utc_now()
        oldest = now - timedelta(seconds=self.fusion_rules.lookback_s)
        self._window = {
            key: a for key, a in self._window.items() if (a.last_seen or a.sent) >= oldest
        }
        candidates = tuple(fuse(list(self._window.values()), self.fusion_rules, self.terms, now))
        if _signature(candidates) != _signature(self._last_candidates):
            self._last_candidates = candidates
            self.hub.publish(FusionUpdate(candidates))
        flood = self.flood.state(now)
        if self._last_flood is None or (flood.flooding, flood.count) != (
            self._last_flood.flooding,
            self._last_flood.count,
        ):
            self._last_flood = flood
            self.hub.publish(flood)


def _signature(candidates: Sequence[FusionCandidate]) -> tuple:
    return tuple((c.identifier, round(c.confidence, 3), c.priority) for c in candidates)


_OPERATIONS: dict[Action, Callable[[Alert, AlertCommand, datetime], lifecycle.AlertChange]] = {
    Action.ACKNOWLEDGE: lambda a, c, now: lifecycle.acknowledge(a, c.by, now, reason=c.reason),
    Action.START: lambda a, c, now: lifecycle.start(a, c.by, now, reason=c.reason),
    Action.RESOLVE: lambda a, c, now: lifecycle.resolve(a, c.by, now, reason=c.reason),
    Action.DISMISS: lambda a, c, now: lifecycle.dismiss(a, c.by, now, c.reason),
    Action.ASSIGN: lambda a, c, now: lifecycle.assign(a, c.by, now, c.to or "", reason=c.reason),
    Action.ESCALATE: lambda a, c, now: lifecycle.escalate(a, c.by, now, reason=c.reason),
    Action.SHELVE: lambda a, c, now: lifecycle.shelve(a, c.by, now, c.until or now, c.reason),
    Action.UNSHELVE: lambda a, c, now: lifecycle.unshelve(a, c.by, now, reason=c.reason),
    Action.REOPEN: lambda a, c, now: lifecycle.reopen(a, c.by, now, c.reason),
}
