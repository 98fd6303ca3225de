"""Zones and site assets: the operator's polygons, the cameras and sensors on the map.

A zone drawn on the map is a record like any other: stored first, then published, so every
workstation and every detector sees the same polygon. The service runs on its own thread so the
map never waits for the database; it also hands the map its starting picture (cameras, sensors,
zones and live tracks) once, off the GUI thread.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from app.hub import Hub
from app.ingest import Ingest
from app.map.site_layers import SiteLayerError, load_site_layer, site_records
from app.model import Camera, GeoPoint, Sensor, Track, Zone, utc_now
from app.storage import RecordStore, StorageError
from i18n import gettext

log = logging.getLogger(__name__)

SNAPSHOT_TRACKS = 20_000
TRACK_WINDOW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class SaveZone:
    zone: Zone
    by: str


@dataclass(frozen=True, slots=True)
class DeleteZone:
    identifier: str
    by: str


ZoneCommand = SaveZone | DeleteZone


@dataclass(frozen=True, slots=True)
class ZoneRemoved:
    identifier: str


@dataclass(frozen=True, slots=True)
class ZoneRefused:
    """A zone command (or, with no command, a site file's import) that failed, and why."""

    command: ZoneCommand | None
    message: str


@dataclass(frozen=True, slots=True)
class SiteSnapshot:
    """What the map starts from: every camera, sensor and zone, and tracks still reporting."""

    cameras: tuple[Camera, ...]
    sensors: tuple[Sensor, ...]
    zones: tuple[Zone, ...]
    tracks: tuple[Track, ...]


class SiteService:
    def __init__(
        self, store: RecordStore, ingest: Ingest, hub: Hub, site_files: Sequence[Path] = ()
    ) -> None:
        self.store = store
        self.ingest = ingest
        self.hub = hub
        self.site_files = tuple(site_files)
        self._jobs: queue.Queue[ZoneCommand | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="site-service", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._jobs.put(None)
        if self._thread.ident is not None:
            self._thread.join(5)

    def submit(self, command: ZoneCommand) -> None:
        self._jobs.put(command)

    def _run(self) -> None:
        for path in self.site_files:
            self._import_site(path)
        self._publish_snapshot()
        while (job := self._jobs.get()) is not None:
            try:
                self._apply(job)
            except StorageError as exc:
                self.hub.publish(ZoneRefused(job, str(exc)))

    def _apply(self, command: ZoneCommand) -> None:
        if isinstance(command, SaveZone):
            self.ingest.accept([command.zone])
            log.info("Zone %s saved by %s", command.zone.identifier, command.by)
            return
        if self.store.delete(Zone, command.identifier):
            log.info("Zone %s deleted by %s", command.identifier, command.by)
            self.hub.publish(ZoneRemoved(command.identifier))
        else:
            self.hub.publish(ZoneRefused(command, gettext("That zone is no longer in the store.")))

    def _import_site(self, path: Path) -> None:
        """A site file's cameras and sensors are refreshed each start; its zones are added
        only when the store lacks them, so an operator's edits of them are never undone."""
        try:
            records = site_records(load_site_layer(path))
            known = {zone.identifier for zone in self.store.all(Zone)}
            fresh = [r for r in records if not (isinstance(r, Zone) and r.identifier in known)]
            self.ingest.accept(fresh)
        except (SiteLayerError, StorageError) as exc:
            log.error("Cannot import the site layer %s: %s", path, exc)
            self.hub.publish(ZoneRefused(None, str(exc)))

    def _publish_snapshot(self) -> None:
        try:
            since = utc_now() - TRACK_WINDOW
            tracks = [t for t in self.store.latest(Track, SNAPSHOT_TRACKS) if t.time >= since]
            snapshot = SiteSnapshot(
                tuple(self.store.all(Camera)),
                tuple(self.store.all(Sensor)),
                tuple(self.store.all(Zone)),
                tuple(tracks),
            )
        except StorageError as exc:
            log.error("Cannot load the map's starting picture: %s", exc)
            return
        self.hub.publish(snapshot)


def polygon_from_geojson(text: str) -> tuple[GeoPoint, ...]:
    """The outer ring of a GeoJSON Polygon (Feature or geometry) drawn on the page, closed.
    The page is not trusted: anything else raises ``ValueError`` with a readable reason."""
    try:
        document = json.loads(text)
        geometry = document.get("geometry", document) if isinstance(document, dict) else None
        if not isinstance(geometry, dict) or geometry.get("type") != "Polygon":
            raise ValueError("a zone must be a polygon")
        ring = [GeoPoint.from_coordinates(position) for position in geometry["coordinates"][0]]
    except (json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"the drawn shape is not a polygon ({exc})") from exc
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise ValueError("a zone needs at least three corners")
    return tuple(ring)
