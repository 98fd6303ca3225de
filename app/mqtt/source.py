"""The MQTT subscriber: a source whose readings a broker pushes to us.

Two threads per broker. The network thread owns the paho client (``app.mqtt.client``): it
connects, reconnects with jittered backoff, subscribes, and validates each message in paho's
callback, putting accepted observations on a bounded queue without ever blocking (a full queue
drops and counts, since stalling paho would stall keepalives and lose the connection too). The
source thread drains the queue every ~200 ms into ``Ingest.accept`` in batches (one transaction,
not one per reading), keeps a batch the store refused and retries it, and publishes
``SourceHealth`` (``app.mqtt.health``).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from typing import Any

from app.hub import Hub
from app.ingest import Ingest
from app.model import Observation, utc_now
from app.mqtt.client import GOODBYE_S, Link
from app.mqtt.config import MqttConfig
from app.mqtt.health import MAX_TOPIC_SHOWN, Reporter, Tally, describe
from app.mqtt.mapping import Reason, read_message
from app.storage import StorageError
from app.sync.backoff import Backoff
from i18n import N_

log = logging.getLogger(__name__)

# A rejection stays in the health's last error this long: long enough to be read on hover,
# short enough that one bad message an hour ago does not log a warning every second forever.
# Read at each report, so that it can be tuned here (tests shorten it).
REJECTION_SHOWN_S = 60.0


class MqttSource:
    """One broker's subscriptions as a console source (plugin ``mqtt``): ``run`` is the
    source thread, and it starts and stops the network thread itself."""

    def __init__(self, **params: Any) -> None:
        self.config = MqttConfig.model_validate(params)
        self.id = self.config.id
        self.title = self.config.title or self.config.id
        self.records_in = 0
        self._tally = Tally()
        self._inbox: queue.Queue[Observation] = queue.Queue(self.config.queue_size)
        self._pending: list[Observation] = []
        self._store_error = ""
        self._reporter = Reporter(self.id, self.title)

    @property
    def records_rejected(self) -> int:
        return self._tally.rejected

    @property
    def dropped(self) -> int:
        return self._tally.dropped

    def run(self, ingest: Ingest, hub: Hub, token: threading.Event) -> None:
        """Runs until ``token`` is set, then stops the network thread and stores what is left."""
        stop = threading.Event()
        link = Link(self.config, self._on_message, stop)
        network = threading.Thread(target=link.run, name=f"mqtt-{self.id}", daemon=True)
        network.start()
        try:
            self._pump(ingest, hub, link, token)
        finally:
            stop.set()
            network.join(self.config.connect_timeout_s + 2 * GOODBYE_S + 1)
            if network.is_alive():
                log.error("%s: the network thread did not stop", self.id)
            self._flush(ingest)

    def _pump(self, ingest: Ingest, hub: Hub, link: Link, token: threading.Event) -> None:
        """Drains the queue into the store every drain interval (at once while a backlog lasts
        and the store takes it), retrying a refused batch with backoff, and reports health."""
        backoff = Backoff(self.config.retry_base_s, self.config.retry_cap_s)
        retry_at = 0.0
        while not token.is_set():
            tick = time.monotonic()
            if not self._pending:
                self._pending = self._take()
            if self._pending and tick >= retry_at:
                if self._store(ingest):
                    backoff.reset()
                else:
                    retry_at = tick + backoff.next_delay()
            self._report(hub, link)
            backlog = self._inbox.qsize() >= self.config.batch_size and not self._store_error
            if not backlog:
                token.wait(max(0.0, self.config.drain_interval_s - (time.monotonic() - tick)))

    def _take(self) -> list[Observation]:
        """Up to one batch from the queue, without waiting."""
        batch: list[Observation] = []
        try:
            while len(batch) < self.config.batch_size:
                batch.append(self._inbox.get_nowait())
        except queue.Empty:
            pass
        return batch

    def _store(self, ingest: Ingest) -> bool:
        """Stores the pending batch; on failure keeps it for the next try (never drops it)."""
        try:
            ingest.accept(self._pending)
        except StorageError as exc:
            if not self._store_error:
                log.warning("%s: holding %d readings: %s", self.id, len(self._pending), exc)
            self._store_error = str(exc)
            return False
        self.records_in += len(self._pending)
        self._pending, self._store_error = [], ""
        return True

    def _flush(self, ingest: Ingest) -> None:
        """At stop, stores what was accepted but not yet stored: one try per batch, since we
        are leaving; what the store still refuses is logged as lost."""
        lost = 0
        if not self._pending:
            self._pending = self._take()
        while self._pending:
            if not self._store(ingest):
                lost += len(self._pending)
            self._pending = self._take()
        if lost:
            log.error("%s: %d readings lost at stop: %s", self.id, lost, self._store_error)

    def _on_message(self, topic: str, payload: bytes, retained: bool) -> None:
        """Runs on paho's network thread: decide, enqueue, never block and never raise."""
        try:
            decoded = read_message(self.config, topic, payload, utc_now(), retained)
        except Exception:
            log.exception("%s: could not read a message on %s", self.id, topic[:MAX_TOPIC_SHOWN])
            self._tally.reject(topic, Reason(N_("the message could not be read")))
            return
        for reason in decoded.rejections:
            if self._tally.reject(topic, reason):
                shown = topic[:MAX_TOPIC_SHOWN]
                log.warning("%s: rejected on %s: %s", self.id, shown, reason.english())
        for observation in decoded.observations:
            try:
                self._inbox.put_nowait(observation)
            except queue.Full:
                self._tally.drop()

    def _report(self, hub: Hub, link: Link) -> None:
        """Publishes the source's health when due (the reporter decides when)."""
        holding = len(self._pending)
        status = link.status()
        state, error = describe(status, self._store_error, holding, self._tally, REJECTION_SHOWN_S)
        self._reporter.report(hub, state, error, self.records_in, self._tally.rejected)
