"""The MQTT subscriber: a source whose readings a broker pushes to us.

Two threads per broker. The network thread owns the paho client: it connects, reconnects with
jittered backoff, subscribes, and validates each message in paho's callback, putting accepted
observations on a bounded queue without ever blocking (a full queue drops and counts, since
stalling paho would stall keepalives and lose the connection too). The source thread drains the
queue every ~200 ms into ``Ingest.accept`` in batches (one transaction, not one per reading),
keeps a batch the store refused and retries it, and publishes ``SourceHealth``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from app.hub import Hub
from app.ingest import Ingest
from app.messages import HealthState, SourceHealth
from app.model import Observation, utc_now
from app.mqtt.config import MqttConfig
from app.mqtt.mapping import Reason, read_message
from app.storage import StorageError
from app.sync.backoff import Backoff
from i18n import N_, gettext, ngettext

log = logging.getLogger(__name__)

LOOP_TIMEOUT_S = 0.2
HEALTH_INTERVAL_S = 1.0
DROPS_SHOWN_S = 2.0  # degraded for this long after the last reading dropped at the door
# A rejection stays in the health's last error this long: long enough to be read on hover,
# short enough that one bad message an hour ago does not log a warning every second forever.
REJECTION_SHOWN_S = 60.0
GOODBYE_S = 0.5  # how long a clean unsubscribe and disconnect may take at stop
MAX_TOPIC_SHOWN = 200
UNSPECIFIED = 0x80  # MQTT reason code "Unspecified error"


@dataclass(frozen=True, slots=True)
class LinkStatus:
    state: HealthState
    reason: Reason | None = None


class _Tally:
    """Counters the network thread writes and the source thread reads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.rejected = 0
        self.dropped = 0
        self._last_rejection: tuple[str, Reason] | None = None
        self._rejected_at = -REJECTION_SHOWN_S
        self._last_drop = -DROPS_SHOWN_S
        self._last_log = -HEALTH_INTERVAL_S

    def reject(self, topic: str, reason: Reason) -> bool:
        """Counts a rejection; True when it should be logged (at most one line a second, a
        misconfigured sensor must not flood the log)."""
        with self._lock:
            self.rejected += 1
            self._last_rejection = (topic[:MAX_TOPIC_SHOWN], reason)
            now = self._rejected_at = time.monotonic()
            if now - self._last_log < HEALTH_INTERVAL_S:
                return False
            self._last_log = now
            return True

    def recent_rejection(self) -> tuple[str, Reason] | None:
        with self._lock:
            if time.monotonic() - self._rejected_at >= REJECTION_SHOWN_S:
                return None
            return self._last_rejection

    def drop(self) -> None:
        with self._lock:
            self.dropped += 1
            self._last_drop = time.monotonic()

    def dropping(self) -> bool:
        with self._lock:
            return time.monotonic() - self._last_drop < DROPS_SHOWN_S


class MqttSource:
    def __init__(self, **params: Any) -> None:
        self.config = MqttConfig.model_validate(params)
        self.id = self.config.id
        self.title = self.config.title or self.config.id
        self.records_in = 0
        self._tally = _Tally()
        self._inbox: queue.Queue[Observation] = queue.Queue(self.config.queue_size)
        self._pending: list[Observation] = []
        self._store_error = ""
        self._published: tuple[HealthState, str, int, int] | None = None
        self._published_at = 0.0

    @property
    def records_rejected(self) -> int:
        return self._tally.rejected

    @property
    def dropped(self) -> int:
        return self._tally.dropped

    def run(self, ingest: Ingest, hub: Hub, token: threading.Event) -> None:
        stop = threading.Event()
        link = _Link(self.config, self._on_message, stop)
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

    def _pump(self, ingest: Ingest, hub: Hub, link: _Link, token: threading.Event) -> None:
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
            self._report(hub, link.status())
            backlog = self._inbox.qsize() >= self.config.batch_size and not self._store_error
            if not backlog:
                token.wait(max(0.0, self.config.drain_interval_s - (time.monotonic() - tick)))

    def _take(self) -> list[Observation]:
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

    def _health(self, link: LinkStatus) -> tuple[HealthState, str]:
        if link.state is not HealthState.OK:
            return link.state, link.reason.text() if link.reason else ""
        if self._store_error:
            text = gettext("Cannot store readings, holding {count}: {reason}")
            return HealthState.DEGRADED, text.format(
                count=len(self._pending), reason=self._store_error
            )
        if self._tally.dropping():
            text = ngettext(
                "{count} reading dropped: the console could not keep up",
                "{count} readings dropped: the console could not keep up",
                self._tally.dropped,
            )
            return HealthState.DEGRADED, text.format(count=self._tally.dropped)
        last = self._tally.recent_rejection()
        if last is None:
            return HealthState.OK, ""
        return HealthState.OK, gettext("Rejected a message on {topic}: {reason}").format(
            topic=last[0], reason=last[1].text()
        )

    def _report(self, hub: Hub, link: LinkStatus) -> None:
        """Publishes at once when the state changes, otherwise at most once a second and only
        when something changed (a status bar needs no heartbeat from us)."""
        state, error = self._health(link)
        current = (state, error, self.records_in, self._tally.rejected)
        now = time.monotonic()
        previous = self._published
        if previous == current:
            return
        same_state = previous is not None and previous[0] is state
        if same_state and now - self._published_at < HEALTH_INTERVAL_S:
            return
        self._published, self._published_at = current, now
        hub.publish(
            SourceHealth(
                self.id,
                self.title,
                state,
                error,
                records_in=self.records_in,
                records_rejected=self._tally.rejected,
            )
        )


class _Link:
    """The paho client and its connection, driven by ``loop()`` in the network thread only,
    so that no paho call ever races another and the stop event is checked every 200 ms."""

    def __init__(
        self, config: MqttConfig, deliver: Callable[[str, bytes, bool], None], stop: threading.Event
    ) -> None:
        self.config = config
        self._deliver = deliver
        self._stop = stop
        self._lock = threading.Lock()
        address = ("address", config.address)
        self._status = LinkStatus(
            HealthState.DEGRADED, Reason(N_("Connecting to the broker at {address}"), (address,))
        )
        self._backoff = Backoff(config.retry_base_s, config.retry_cap_s)
        self._connected = False
        self._unsubscribed = threading.Event()
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        client = mqtt.Client(
            callback_api_version=CallbackAPIVersion.VERSION2,
            client_id=self.config.client_id,
            protocol=MQTTProtocolVersion.MQTTv311,
            reconnect_on_failure=False,  # we reconnect ourselves, with jitter and a reason
        )
        client.enable_logger(logging.getLogger(f"{__name__}.paho"))
        client.connect_timeout = self.config.connect_timeout_s
        if self.config.username:
            client.username_pw_set(self.config.username, self.config.password or None)
        if self.config.tls:
            ca = str(self.config.ca_bundle) if self.config.ca_bundle else None
            client.tls_set(ca_certs=ca)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def status(self) -> LinkStatus:
        with self._lock:
            return self._status

    def _set(self, state: HealthState, msgid: str | None = None, **params: str) -> None:
        address = ("address", self.config.address)
        reason = Reason(msgid, (address, *params.items())) if msgid else None
        with self._lock:
            changed, self._status = self._status.state is not state, LinkStatus(state, reason)
        if changed and state is HealthState.OK:
            log.info("%s: subscribed at %s", self.config.id, self.config.address)
        elif reason is not None and state is HealthState.DOWN:
            log.warning("%s: %s", self.config.id, reason.english())

    def run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    if self._connect():
                        self._serve()
                except Exception as exc:  # a bug here must cost a reconnect, not the source
                    log.exception("%s: MQTT network loop failed", self.config.id)
                    failed = N_("The MQTT client failed: {reason}")
                    self._set(HealthState.DOWN, failed, reason=str(exc))
                    self._connected = False
                if not self._stop.is_set():
                    self._stop.wait(self._backoff.next_delay())
        finally:
            self._goodbye()

    def _connect(self) -> bool:
        try:
            self._client.connect(self.config.host, self.config.port, self.config.keepalive_s)
        except (OSError, ValueError) as exc:  # refused, unreachable, DNS, TLS, timeout
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            self._set(
                HealthState.DOWN,
                N_("Cannot reach the broker at {address}: {reason}"),
                reason=reason,
            )
            return False
        return True

    def _serve(self) -> None:
        while not self._stop.is_set():
            code = self._client.loop(LOOP_TIMEOUT_S)
            if code != MQTTErrorCode.MQTT_ERR_SUCCESS:
                if self.status().state is not HealthState.DOWN:
                    self._set(
                        HealthState.DOWN,
                        N_("Lost the connection to the broker at {address}: {reason}"),
                        reason=mqtt.error_string(code),
                    )
                self._connected = False
                return

    def _on_connect(self, client: mqtt.Client, _u: Any, _flags: Any, code: Any, _p: Any) -> None:
        if code.is_failure:
            self._set(
                HealthState.DOWN,
                N_("The broker at {address} refused the connection: {reason}"),
                reason=str(code),
            )
            return
        self._connected = True
        self._backoff.reset()
        client.subscribe([(rule.topic, self.config.qos) for rule in self.config.subscriptions])

    def _on_subscribe(self, _c: Any, _u: Any, _mid: int, codes: list[Any], _p: Any) -> None:
        refused = [
            rule.topic
            for rule, code in zip(self.config.subscriptions, codes, strict=False)
            if code.is_failure
        ]
        if refused:
            self._set(
                HealthState.DEGRADED,
                N_("The broker refused the subscription to {topic}"),
                topic=", ".join(refused),
            )
        else:
            self._set(HealthState.OK)

    def _on_unsubscribe(self, *_args: Any) -> None:
        self._unsubscribed.set()

    def _on_disconnect(self, _c: Any, _u: Any, _flags: Any, code: Any, _p: Any) -> None:
        if self._connected and not self._stop.is_set():
            if code.value == UNSPECIFIED:  # what paho says for a dropped socket: no news
                self._set(HealthState.DOWN, N_("Lost the connection to the broker at {address}"))
            else:
                self._set(
                    HealthState.DOWN,
                    N_("Lost the connection to the broker at {address}: {reason}"),
                    reason=str(code),
                )
        self._connected = False

    def _on_message(self, _client: mqtt.Client, _userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            self._deliver(message.topic, message.payload, bool(message.retain))
        except Exception:  # an exception here would tear down paho's loop, and the link
            log.exception("%s: a message could not be handled", self.config.id)

    def _goodbye(self) -> None:
        """Unsubscribes and disconnects cleanly, each bounded so that stopping stays quick."""
        try:
            if self._connected:
                self._client.unsubscribe([rule.topic for rule in self.config.subscriptions])
                self._pump_until(self._unsubscribed.is_set)
            self._client.disconnect()
            self._pump_until(lambda: self._client.socket() is None)
        except Exception:
            log.debug("%s: unclean disconnect", self.config.id, exc_info=True)

    def _pump_until(self, done: Callable[[], bool]) -> None:
        deadline = time.monotonic() + GOODBYE_S
        while not done() and time.monotonic() < deadline:
            if self._client.loop(0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return
