"""What a workstation does with another workstation's changes to the shared database.

The change listener (``app.storage.listener``) hears that records of some kind changed; the
handlers here load them as stored and publish them on this workstation's hub, exactly as if
they had been made here, so the panels need no notion of "remote".

What is republished, and what deliberately is not:

- alerts, and operators' actions with their alert: the shared queue is the point.
- incidents (through the incident service, so they are read in order with its own changes),
  zones (and their deletion), unmask requests (when that service exists).
- tracks and detections: only the map and the timeline subscribe to them.
- NOT posts, sensor observations or sensors: the social-media and sensor watches subscribe to
  them on the hub and raise alerts from them. Republishing them would make every workstation
  raise its own copy of each alert the first one already raised (and stored, and announced).
  Their alerts arrive as alerts; the raw readings stay with the workstation that ingested
  them, and any panel can read them from the shared store.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.alerts.repository import AlertRepository
from app.alerts.service import SNAPSHOT_HOURS, AlertSnapshot
from app.hub import Hub
from app.incidents.service import IncidentService
from app.map.zones import ZoneRemoved
from app.model import Detection, Track, Zone, utc_now
from app.security.unmask import UnmaskService
from app.storage import RecordStore
from app.storage.codecs import TABLES, from_row
from app.storage.listener import ChangeListener, Handler

log = logging.getLogger(__name__)

CHUNK = 500  # identifiers per IN (...)


class SharedRoom:
    def __init__(
        self,
        store: RecordStore,
        hub: Hub,
        alerts: AlertRepository,
        incidents: IncidentService,
        unmask: UnmaskService | None = None,
    ) -> None:
        self.store = store
        self.hub = hub
        self.alerts = alerts
        self.incidents = incidents
        self.unmask = unmask

    def listener(self, engine_url: str) -> ChangeListener:
        return ChangeListener(engine_url, self.store.origin, self.handlers(), self.resync_steps())

    def handlers(self) -> dict[str, Handler]:
        handlers: dict[str, Handler] = {
            "alert": self.on_alerts,
            "alert-action": self.on_alert_actions,
            "incident": self.incidents.reload,
            "zone": self.on_zones,
            TABLES[Track].__tablename__: self._republish(Track),
            TABLES[Detection].__tablename__: self._republish(Detection),
        }
        if self.unmask is not None:
            handlers["unmask"] = self.unmask.reload
        return handlers

    def resync_steps(self) -> list[Callable[[], None]]:
        """After an outage: the queue, the incidents and the zones as stored now."""
        return [self.resync_alerts, self.incidents.resynchronise, self.resync_zones]

    # --- handlers ------------------------------------------------------------------------
    def on_alerts(self, identifiers: list[str]) -> None:
        found = self.alerts.by_ids(identifiers)
        self.hub.publish_batch(found[i] for i in identifiers if i in found)

    def on_alert_actions(self, identifiers: list[str]) -> None:
        """Each action with its alert as stored now, as the acting workstation published
        them (the alert first, so the queue is right before the incident log reads it)."""
        actions = self.alerts.actions(identifiers)
        alerts = self.alerts.by_ids(a.alert_identifier for a in actions)
        self.incidents.remote_actions([a.identifier for a in actions])
        seen: set[str] = set()
        messages: list[Any] = []
        for action in actions:
            alert = alerts.get(action.alert_identifier)
            if alert is not None and alert.identifier not in seen:
                seen.add(alert.identifier)
                messages.append(alert)
        self.hub.publish_batch([*messages, *actions])

    def on_zones(self, identifiers: list[str]) -> None:
        found = {z.identifier: z for z in self.load(Zone, identifiers)}
        self.hub.publish_batch(found.get(i) or ZoneRemoved(i) for i in identifiers)

    def _republish(self, record_type: type) -> Handler:
        def republish(identifiers: list[str]) -> None:
            self.hub.publish_batch(self.load(record_type, identifiers))

        return republish

    def resync_alerts(self) -> None:
        since = utc_now() - timedelta(hours=SNAPSHOT_HOURS)
        self.hub.publish(AlertSnapshot(tuple(self.alerts.recent(since))))

    def resync_zones(self) -> None:
        """Every zone as stored (a deletion missed during the outage shows at the next
        start: the map keeps a zone until told it is gone)."""
        self.hub.publish_batch(self.store.all(Zone))

    def load(self, record_type: type, identifiers: Iterable[str]) -> list[Any]:
        table = TABLES[record_type]
        wanted = list(dict.fromkeys(identifiers))
        out: list[Any] = []
        with self.store.session() as session:
            for start in range(0, len(wanted), CHUNK):
                rows = session.scalars(
                    select(table).where(table.identifier.in_(wanted[start : start + CHUNK]))
                )
                out.extend(from_row(record_type, row) for row in rows)
        return out
