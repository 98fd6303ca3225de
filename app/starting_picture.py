"""What a console window opened after the core started needs to show at once.

The core's services publish their starting pictures (alert queue, map, sensors) once, when
they start. Since sign-in, the core starts before anyone signs in and keeps running across a
shift handover, so each new window asks for a picture of its own: read here from the store,
off the GUI thread, with the same windows and limits the services use. The GUI hands it to its
panels only (through the signed-in person's visibility filter), never back into the core.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.exc import SQLAlchemyError

from app.alerts.repository import AlertRepository
from app.alerts.service import SNAPSHOT_HOURS, AlertSnapshot
from app.map.zones import SNAPSHOT_TRACKS, TRACK_WINDOW, SiteSnapshot
from app.model import Camera, Sensor, Track, Zone, utc_now
from app.security.model import UnmaskChanged, UnmaskState
from app.security.unmask import UnmaskService
from app.sensors.history import recent_readings
from app.sensors.messages import SensorSnapshot
from app.sensors.service import SNAPSHOT_WINDOW
from app.storage import RecordStore, StorageError

log = logging.getLogger(__name__)


def starting_picture(store: RecordStore, unmask: UnmaskService | None = None) -> list[object]:
    """The alert queue, the map's cameras, sensors, zones and tracks, the sensors' last hour
    and the unmask requests waiting or in force, as stored now. A part that cannot be read is
    logged and left out: the panel then fills from the live feed."""
    now = utc_now()
    picture: list[object] = []
    try:
        alerts = AlertRepository(store).recent(now - timedelta(hours=SNAPSHOT_HOURS))
        picture.append(AlertSnapshot(tuple(alerts)))
    except StorageError as exc:
        log.error("Cannot load the alert queue for the new window: %s", exc)
    try:
        tracks = [t for t in store.latest(Track, SNAPSHOT_TRACKS) if t.time >= now - TRACK_WINDOW]
        sensors = store.all(Sensor)
        picture.append(
            SiteSnapshot(
                tuple(store.all(Camera)), tuple(sensors), tuple(store.all(Zone)), tuple(tracks)
            )
        )
        recent = recent_readings(store, [s.identifier for s in sensors], now - SNAPSHOT_WINDOW)
        picture.append(SensorSnapshot(tuple(sensors), tuple(recent)))
    except StorageError as exc:
        log.error("Cannot load the map's picture for the new window: %s", exc)
    if unmask is not None:
        # An approver signing in after a request was made must see it waiting.
        try:
            waiting = unmask.requests((UnmaskState.PENDING, UnmaskState.GRANTED))
            picture.extend(UnmaskChanged(request) for request in reversed(waiting))
        except (StorageError, SQLAlchemyError) as exc:
            log.error("Cannot load the unmask requests for the new window: %s", exc)
    return picture
