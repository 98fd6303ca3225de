"""An MQTT broker's connection and topic mapping, validated before the subscriber starts.

Mistakes that would otherwise surface as every message rejected at 3 a.m. (a bad wildcard, a
"value" mapping without a quantity, two filters that would deliver each reading twice) are
refused here, when the configuration is loaded.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.mqtt.mapping import MAX_PAYLOAD_BYTES, filter_problem, filters_overlap

SOURCE_ID = r"^[\w.-]+$"
_SEGMENT = re.compile(r"^topic:(-?\d+)$")


class MqttSubscription(BaseModel):
    """One topic filter and how to read what arrives on it.

    ``tool-api``: each payload is a tool-API observation (JSON) or a list of them.
    ``value``: a bare number, or ``{"value": x, "time": iso}``; sensor id, quantity and unit
    come from here, the time from the payload or else the arrival time.
    ``sensor_id_from``: ``payload``, or ``topic:<n>`` for level n of the topic (0 first,
    negative from the end); a topic level wins over the payload's own sensor id.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: str = Field(min_length=1)
    format: Literal["tool-api", "value"] = "tool-api"
    sensor_id_from: str = Field("payload", pattern=r"^(payload|topic:-?\d+)$")
    quantity: str = Field("", max_length=64)
    unit: str = Field("", max_length=32)
    tool_id: str | None = Field(None, min_length=1, max_length=64, pattern=SOURCE_ID)

    @field_validator("topic")
    @classmethod
    def _valid_filter(cls, topic: str) -> str:
        problem = filter_problem(topic)
        if problem:
            raise ValueError(problem)
        return topic

    @property
    def segment_index(self) -> int | None:
        found = _SEGMENT.match(self.sensor_id_from)
        return int(found.group(1)) if found else None

    @model_validator(mode="after")
    def _consistent(self) -> MqttSubscription:
        if self.format == "value":
            if not self.quantity:
                raise ValueError(f"{self.topic}: value payloads need a quantity")
            if self.segment_index is None:
                raise ValueError(
                    f"{self.topic}: value payloads carry no sensor id; use topic:<level>"
                )
        index = self.segment_index
        levels = self.topic.split("/")
        if index is not None and levels[-1] != "#" and not -len(levels) <= index < len(levels):
            raise ValueError(f"{self.topic} has no level {index} to take the sensor id from")
        return self


class MqttConfig(BaseModel):
    """Defaults suit a broker on the same machine; every limit is bounded (a misconfigured
    value must not turn into an unbounded queue or a busy loop)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field("mqtt", min_length=1, max_length=64, pattern=SOURCE_ID)
    title: str = ""
    host: str = Field("127.0.0.1", min_length=1, max_length=253)
    port: int = Field(1883, ge=1, le=65535)
    client_id: str = Field("", max_length=128)  # empty: the client library makes a unique one
    username: str = ""
    password: str = Field("", repr=False)
    keepalive_s: int = Field(30, ge=5, le=3600)
    tls: bool = False
    ca_bundle: Path | None = None
    qos: Literal[0, 1, 2] = 1
    subscriptions: tuple[MqttSubscription, ...] = Field(min_length=1, max_length=100)
    max_payload_bytes: int = Field(MAX_PAYLOAD_BYTES, ge=256, le=16 * 2**20)
    # Readings validated but not yet stored; beyond it they are dropped and counted.
    queue_size: int = Field(20_000, ge=100, le=1_000_000)
    batch_size: int = Field(2_000, ge=1, le=50_000)
    drain_interval_s: float = Field(0.2, gt=0, le=5)
    connect_timeout_s: float = Field(3.0, gt=0, le=30)
    retry_base_s: float = Field(1.0, gt=0, le=60)
    retry_cap_s: float = Field(30.0, gt=0, le=3600)

    @model_validator(mode="after")
    def _consistent(self) -> MqttConfig:
        if self.password and not self.username:
            raise ValueError("a password needs a username")
        if self.ca_bundle is not None and not self.tls:
            raise ValueError("ca_bundle is only used with tls: true")
        topics = [rule.topic for rule in self.subscriptions]
        for index, first in enumerate(topics):
            for second in topics[index + 1 :]:
                if filters_overlap(first, second):
                    raise ValueError(
                        f"subscriptions {first!r} and {second!r} overlap: "
                        "a message matching both would be read twice"
                    )
        return self

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"
