"""From an MQTT message to observations, or to the reason it was refused: pure functions.

Nothing here touches the network or the store, so every rule (wildcards, payload shapes, limits)
is tested without a broker. A rejection names what is wrong in words an operator can pass on to
whoever runs the sensor, and never echoes the payload (it may be huge, binary or hostile).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from app.model import Observation
from app.toolapi.records import ObservationIn
from app.toolapi.schema import describe_error
from i18n import N_, gettext

if TYPE_CHECKING:
    from app.mqtt.config import MqttConfig, MqttSubscription

MAX_PAYLOAD_BYTES = 64 * 1024
MAX_FILTER_BYTES = 65_535  # MQTT strings carry a 16-bit length


@dataclass(frozen=True, slots=True)
class Reason:
    """Why a message was refused, or why the link is unwell. Kept as msgid and parameters so
    that the operator reads it in the current language while the log stays in English."""

    msgid: str
    params: tuple[tuple[str, str | int], ...] = ()

    def text(self) -> str:
        return gettext(self.msgid).format(**dict(self.params))

    def english(self) -> str:
        return self.msgid.format(**dict(self.params))


@dataclass(frozen=True, slots=True)
class Decoded:
    """What one message gave: a list payload may yield good observations and rejections both."""

    observations: tuple[Observation, ...] = ()
    rejections: tuple[Reason, ...] = ()


def _reject(msgid: str, **params: str | int) -> Decoded:
    return Decoded(rejections=(Reason(msgid, tuple(params.items())),))


def filter_problem(topic_filter: str) -> str | None:
    """Why ``topic_filter`` is not a valid MQTT subscription, or None; for config errors."""
    if not topic_filter:
        return "a topic filter cannot be empty"
    if "\0" in topic_filter or len(topic_filter.encode()) > MAX_FILTER_BYTES:
        return "a topic filter holds no NUL character and at most 65,535 bytes"
    levels = topic_filter.split("/")
    for index, level in enumerate(levels):
        if "#" in level and (level != "#" or index != len(levels) - 1):
            return "'#' must be a whole level, and the last one"
        if "+" in level and level != "+":
            return "'+' must be a whole level"
    return None


def matches(topic_filter: str, topic: str) -> bool:
    """MQTT matching: ``+`` is one level, ``#`` any number of levels including none (so
    ``a/#`` matches ``a``), and topics starting with ``$`` escape leading wildcards."""
    if topic.startswith("$") and topic_filter[:1] in ("+", "#"):
        return False
    wanted, levels = topic_filter.split("/"), topic.split("/")
    for index, level in enumerate(wanted):
        if level == "#":
            return True
        if index >= len(levels) or level not in ("+", levels[index]):
            return False
    return len(wanted) == len(levels)


def filters_overlap(first: str, second: str) -> bool:
    """True when some topic matches both filters: the broker would then deliver it twice."""
    for one, other in zip_longest(first.split("/"), second.split("/")):
        if "#" in (one, other):
            return True
        if one is None or other is None:
            return False
        if "+" not in (one, other) and one != other:
            return False
    return True


def segment(topic: str, index: int) -> str | None:
    """Level ``index`` of ``topic`` (negative counts from the end), or None if there is none."""
    levels = topic.split("/")
    return levels[index] if -len(levels) <= index < len(levels) else None


def route(rules: Sequence[MqttSubscription], topic: str) -> MqttSubscription | None:
    return next((rule for rule in rules if matches(rule.topic, topic)), None)


def read_message(
    config: MqttConfig, topic: str, payload: bytes, arrived: datetime, retained: bool = False
) -> Decoded:
    """The whole decision for one message as it leaves the broker."""
    rule = route(config.subscriptions, topic)
    if rule is None:
        return _reject(N_("no subscription matches this topic"))
    tool_id = rule.tool_id or config.id
    return decode(rule, tool_id, topic, payload, arrived, retained, config.max_payload_bytes)


def decode(
    rule: MqttSubscription,
    tool_id: str,
    topic: str,
    payload: bytes,
    arrived: datetime,
    retained: bool = False,
    max_bytes: int = MAX_PAYLOAD_BYTES,
) -> Decoded:
    if not payload:
        return _reject(N_("payload is empty"))
    if len(payload) > max_bytes:
        return _reject(
            N_("payload of {size} bytes is over the limit of {limit} bytes"),
            size=len(payload),
            limit=max_bytes,
        )
    sensor_id = None
    if rule.segment_index is not None:
        sensor_id = segment(topic, rule.segment_index)
        if not sensor_id:
            return _reject(
                N_("the topic has no level {index} to name the sensor"), index=rule.segment_index
            )
    if rule.format == "value":
        return _value(rule, tool_id, sensor_id or "", payload, arrived, retained)
    return _tool_api(tool_id, sensor_id, payload)


def _tool_api(tool_id: str, sensor_id: str | None, payload: bytes) -> Decoded:
    try:
        data = json.loads(payload)
    except ValueError:  # JSONDecodeError and UnicodeDecodeError alike
        return _reject(N_("payload is not JSON"))
    if not isinstance(data, dict | list):
        return _reject(N_("payload is neither an observation nor a list of observations"))
    single = isinstance(data, dict)
    observations, rejections = [], []
    for index, item in enumerate([data] if single else data):
        # The topic wins over the payload: broker ACLs tie a sensor to its topic, not its JSON.
        if sensor_id is not None and isinstance(item, dict):
            item = {**item, "sensor_id": sensor_id}
        try:
            observations.append(ObservationIn.model_validate(item).to_record(tool_id))
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            errors = describe_error(exc) if isinstance(exc, ValidationError) else str(exc)
            msgid = N_("invalid observation: {errors}") if single else N_("item {index}: {errors}")
            rejections.append(Reason(msgid, (("index", index), ("errors", errors))))
    return Decoded(tuple(observations), tuple(rejections))


def _value(
    rule: MqttSubscription,
    tool_id: str,
    sensor_id: str,
    payload: bytes,
    arrived: datetime,
    retained: bool,
) -> Decoded:
    try:
        data = json.loads(payload)
    except ValueError:
        looks_like_json = payload.lstrip()[:1] in (b"{", b"[")
        return _reject(
            N_("payload is not JSON") if looks_like_json else N_("value is not a number")
        )
    time: Any = None
    if isinstance(data, dict):
        if "value" not in data:
            return _reject(N_("payload has no value"))
        data, time = data["value"], data.get("time")
    number = _number(data)
    if isinstance(number, Decoded):
        return number
    if time is None:
        if retained:
            # The broker replays the last retained message on subscribe: stamping it "now"
            # would show a reading of unknown age as current.
            return _reject(N_("a retained reading without a time: its age is unknown"))
        time = arrived.astimezone(UTC)
    fields = {
        "identifier": "pending",
        "sensor_id": sensor_id,
        "time": time,
        "quantity": rule.quantity,
        "value": number,
        "unit": rule.unit,
    }
    try:
        record = ObservationIn.model_validate(fields).to_record(tool_id)
    except ValidationError as exc:
        return _reject(N_("invalid observation: {errors}"), errors=describe_error(exc))
    return Decoded((replace(record, identifier=_identifier(tool_id, record)),))


def _number(value: object) -> float | Decoded:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return _reject(N_("value is not a number"))
    try:
        number = float(value)
    except OverflowError:  # a JSON integer with hundreds of digits
        number = math.inf
    if not math.isfinite(number):
        return _reject(N_("value is not a finite number"))
    return number


def _identifier(tool_id: str, record: Observation) -> str:
    """Same sensor, quantity and instant give the same identifier, so a redelivered reading
    (QoS 1 repeats, a retained message with its time) updates its row instead of doubling."""
    key = "\x1f".join((record.sensor_id, record.quantity, record.time.astimezone(UTC).isoformat()))
    return f"{tool_id}:v-{hashlib.blake2b(key.encode(), digest_size=12).hexdigest()}"
