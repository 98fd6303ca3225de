"""The sensor watch: detection on every live reading, on its own thread.

Readings and sensor records arrive on the hub on whatever thread published them (a connector,
ingest); the watch only queues them, so a slow detector never holds up ingest. Its thread keeps
each sensor's detector state, checks for silent sensors about once a second, and turns findings
into alerts through ingest (stored, then published, like any tool's alerts). A batch the store
refuses is kept and retried, never dropped. At start it loads the sensors and their last hour
of readings once: published as the sensors panel's starting picture, and replayed through the
detectors, so an episode that began before a restart is still judged (and, having a stable
identifier, not doubled).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from operator import attrgetter

from sqlalchemy.exc import SQLAlchemyError

from app.hub import Hub
from app.ingest import Ingest
from app.model import Alert, Observation, Sensor, utc_now
from app.sensors.alerting import to_alert
from app.sensors.detection import DetectorBank
from app.sensors.history import recent_readings
from app.sensors.messages import SensorSnapshot
from app.storage import RecordStore, StorageError
from app.terminology import Terminology, default_terminology
from detectors.sensor.findings import FindingKind, SensorFinding
from detectors.sensor.params import DetectionConfig

log = logging.getLogger(__name__)

CHECK_EVERY_S = 1.0  # staleness checks, and retries of alerts the store refused
SNAPSHOT_WINDOW = timedelta(hours=1)


class SensorWatch:
    def __init__(
        self,
        store: RecordStore,
        ingest: Ingest,
        hub: Hub,
        config: DetectionConfig | None = None,
        terms: Terminology | None = None,
        *,
        check_every_s: float = CHECK_EVERY_S,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self.store = store
        self.ingest = ingest
        self.hub = hub
        self.config = config if config is not None else DetectionConfig.load()
        self.terms = terms if terms is not None else default_terminology()
        self.check_every_s = check_every_s
        self.clock = clock
        self.bank = DetectorBank(self.config, clock())
        self._pending: list[Alert] = []  # refused by the store, retried (this thread only)
        self._retry_at = 0.0
        self._jobs: queue.Queue[tuple[object, ...] | None] = queue.Queue()
        self._subscriptions = [
            hub.subscribe(Sensor, self._on_records),
            hub.subscribe(Observation, self._on_records),
        ]
        self._thread = threading.Thread(target=self._run, name="sensor-watch", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()
        self._jobs.put(None)
        if self._thread.ident is not None:
            self._thread.join(5)

    def detect(self, observations: Iterable[Observation]) -> list[Alert]:
        """The detector step, without storage: the alerts these readings raise. A reading
        that breaks a detector is logged and skipped; the rest are still judged."""
        alerts: list[Alert] = []
        for observation in observations:
            try:
                alerts.extend(self._alerts(self.bank.step(observation)))
            except Exception:
                log.exception("Sensor detection failed on reading %r", observation)
        return alerts

    def _on_records(self, batch: Sequence[object]) -> None:
        self._jobs.put(tuple(batch))

    def _run(self) -> None:
        self._safely(self._load)
        next_check = time.monotonic() + self.check_every_s
        while True:
            try:
                job = self._jobs.get(timeout=max(0.0, next_check - time.monotonic()))
            except queue.Empty:
                job = ()
            if job is None:  # stop: everything queued before it has been judged
                break
            if job:
                self._safely(self._handle, job)
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + self.check_every_s
                self._safely(self._check)

    def _safely(self, work: Callable[..., None], *args: object) -> None:
        """Runs one unit of work; a failure is logged and the watch goes on (a dead watch
        would silence every sensor for the rest of the shift)."""
        try:
            work(*args)
        except Exception:
            log.exception("The sensor watch failed on %s", getattr(work, "__name__", work))

    def _check(self) -> None:
        self._pending.extend(self._alerts(self.bank.check_stale(self.clock())))
        self._flush()

    def _handle(self, batch: tuple[object, ...]) -> None:
        for record in batch:
            if isinstance(record, Sensor):
                self.bank.add_sensor(record)
        readings = sorted((r for r in batch if isinstance(r, Observation)), key=attrgetter("time"))
        self._pending.extend(self.detect(readings))
        self._flush()

    def _alerts(self, findings: Iterable[SensorFinding]) -> list[Alert]:
        alerts = []
        for finding in findings:
            sensor = self.bank.sensor(finding.sensor_id)
            if finding.kind is FindingKind.CLEARED or sensor is None:
                log.info("Sensor %s: %s %s", finding.sensor_id, finding.level, finding.kind)
                continue
            biological = self.config.biological_quantities
            alerts.append(to_alert(finding, sensor, self.terms, biological))
        return alerts

    def _flush(self) -> None:
        """Delivers the alerts owed; while the store refuses them, at most once per check.
        Any other failure is a bug that no retry would mend: logged by ``_safely``."""
        if not self._pending or time.monotonic() < self._retry_at:
            return
        batch, self._pending = self._pending, []
        try:
            self.ingest.accept(batch)
        except (StorageError, SQLAlchemyError) as exc:
            # The alert pipeline's reads raise SQLAlchemy's own errors: a store failure too.
            log.error("Keeping %d sensor alert(s) to retry: %s", len(batch), exc)
            self._pending = batch + self._pending
            self._retry_at = time.monotonic() + self.check_every_s

    def _load(self) -> None:
        try:
            sensors = self.store.all(Sensor)
            since = self.clock() - SNAPSHOT_WINDOW
            recent = recent_readings(self.store, [s.identifier for s in sensors], since)
        except StorageError as exc:
            log.error("Cannot load the sensors' starting picture: %s", exc)
            return
        self.hub.publish(SensorSnapshot(tuple(sensors), tuple(recent)))
        for sensor in sensors:
            self.bank.add_sensor(sensor)
        self._pending.extend(self.detect(recent))
        self._flush()
