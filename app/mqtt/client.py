"""The network side of an MQTT source: one paho client, driven by one thread.

The link connects, reconnects with jittered backoff, subscribes and hands each message to the
source's callback on paho's thread. Its state, as ``LinkStatus``, is the only thing the source
thread reads from it. No paho call is made from any other thread, so none can race another.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode, MQTTProtocolVersion

from app.messages import HealthState
from app.mqtt.config import MqttConfig
from app.mqtt.health import LinkStatus
from app.mqtt.mapping import Reason
from app.sync.backoff import Backoff
from i18n import N_

# The source's logger, as before the link had a module of its own: log lines keep their name.
log = logging.getLogger("app.mqtt.source")

LOOP_TIMEOUT_S = 0.2
GOODBYE_S = 0.5  # how long a clean unsubscribe and disconnect may take at stop
UNSPECIFIED = 0x80  # MQTT reason code "Unspecified error"

Deliver = Callable[[str, bytes, bool], None]

# What the link can say about itself: msgids, shown translated and logged in English.
CONNECTING = N_("Connecting to the broker at {address}")
CANNOT_REACH = N_("Cannot reach the broker at {address}: {reason}")
REFUSED = N_("The broker at {address} refused the connection: {reason}")
NOT_SUBSCRIBED = N_("The broker refused the subscription to {topic}")
LOST = N_("Lost the connection to the broker at {address}")
LOST_BECAUSE = N_("Lost the connection to the broker at {address}: {reason}")
FAILED = N_("The MQTT client failed: {reason}")


def make_client(config: MqttConfig) -> mqtt.Client:
    """A paho client set up from the configuration, without callbacks; it never reconnects by
    itself, since the link does that with jitter and a reason the operator can read."""
    client = mqtt.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=config.client_id,
        protocol=MQTTProtocolVersion.MQTTv311,
        reconnect_on_failure=False,  # we reconnect ourselves, with jitter and a reason
    )
    client.enable_logger(logging.getLogger(f"{log.name}.paho"))
    client.connect_timeout = config.connect_timeout_s
    if config.username:
        client.username_pw_set(config.username, config.password or None)
    if config.tls:
        client.tls_set(ca_certs=str(config.ca_bundle) if config.ca_bundle else None)
    return client


class Link:
    """The paho client and its connection, driven by ``run()`` in the network thread only,
    so that no paho call ever races another and the stop event is checked every 200 ms."""

    def __init__(self, config: MqttConfig, deliver: Deliver, stop: threading.Event) -> None:
        self.config = config
        self._deliver = deliver
        self._stop = stop
        self._lock = threading.Lock()
        address = ("address", config.address)
        self._status = LinkStatus(HealthState.DEGRADED, Reason(CONNECTING, (address,)))
        self._backoff = Backoff(config.retry_base_s, config.retry_cap_s)
        self._connected = False
        self._unsubscribed = threading.Event()
        self._client = self._make_client()

    def _make_client(self) -> mqtt.Client:
        """The configured client, its callbacks bound to this link."""
        client = make_client(self.config)
        client.on_connect = self._on_connect
        client.on_subscribe = self._on_subscribe
        client.on_unsubscribe = self._on_unsubscribe
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        return client

    def status(self) -> LinkStatus:
        """The link's state; safe to call from any thread."""
        with self._lock:
            return self._status

    def _set(self, state: HealthState, msgid: str | None = None, **params: str) -> None:
        """Records the state and its reason (the address is always a parameter); logs the
        change to OK, and each reason for being down, so the log tells the link's story."""
        address = ("address", self.config.address)
        reason = Reason(msgid, (address, *params.items())) if msgid else None
        with self._lock:
            changed, self._status = self._status.state is not state, LinkStatus(state, reason)
        if changed and state is HealthState.OK:
            log.info("%s: subscribed at %s", self.config.id, self.config.address)
        elif reason is not None and state is HealthState.DOWN:
            log.warning("%s: %s", self.config.id, reason.english())

    def run(self) -> None:
        """The network thread: connect, serve until the link drops, wait, again; until stop."""
        try:
            while not self._stop.is_set():
                self._attempt()
                if not self._stop.is_set():
                    self._stop.wait(self._backoff.next_delay())
        finally:
            self._goodbye()

    def _attempt(self) -> None:
        """One connection, served until it ends; a bug here must cost a reconnect, not the
        source, so any exception is logged and reported as the link being down."""
        try:
            if self._connect():
                self._serve()
        except Exception as exc:
            log.exception("%s: MQTT network loop failed", self.config.id)
            self._set(HealthState.DOWN, FAILED, reason=str(exc))
            self._connected = False

    def _connect(self) -> bool:
        """Opens the connection; False (and the reason, as down) when the broker is unreachable."""
        try:
            self._client.connect(self.config.host, self.config.port, self.config.keepalive_s)
        except (OSError, ValueError) as exc:  # refused, unreachable, DNS, TLS, timeout
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            self._set(HealthState.DOWN, CANNOT_REACH, reason=reason)
            return False
        return True

    def _serve(self) -> None:
        """Runs paho's loop in short steps, so that the stop event is seen within 200 ms."""
        while not self._stop.is_set():
            code = self._client.loop(LOOP_TIMEOUT_S)
            if code != MQTTErrorCode.MQTT_ERR_SUCCESS:
                if self.status().state is not HealthState.DOWN:
                    self._set(HealthState.DOWN, LOST_BECAUSE, reason=mqtt.error_string(code))
                self._connected = False
                return

    def _on_connect(self, client: mqtt.Client, _u: Any, _flags: Any, code: Any, _p: Any) -> None:
        if code.is_failure:
            self._set(HealthState.DOWN, REFUSED, reason=str(code))
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
            self._set(HealthState.DEGRADED, NOT_SUBSCRIBED, topic=", ".join(refused))
        else:
            self._set(HealthState.OK)

    def _on_unsubscribe(self, *_args: Any) -> None:
        self._unsubscribed.set()

    def _on_disconnect(self, _c: Any, _u: Any, _flags: Any, code: Any, _p: Any) -> None:
        if self._connected and not self._stop.is_set():
            if code.value == UNSPECIFIED:  # what paho says for a dropped socket: no news
                self._set(HealthState.DOWN, LOST)
            else:
                self._set(HealthState.DOWN, LOST_BECAUSE, reason=str(code))
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
        """Runs paho's loop until ``done`` or GOODBYE_S, whichever comes first."""
        deadline = time.monotonic() + GOODBYE_S
        while not done() and time.monotonic() < deadline:
            if self._client.loop(0.05) != MQTTErrorCode.MQTT_ERR_SUCCESS:
                return
