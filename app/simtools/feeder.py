"""Plays a scenario into simulated tools, at scenario time, as tool-API JSON: alerts into the
tool each inject names, detections, sensor readings, tracks and posts into the tools that serve
them. The console then pulls everything over REST exactly as it pulls from real tools (posts
with their raw handles, as a real monitoring tool serves them: the console pseudonymises)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from app.demo.scenario import Scenario
from app.model import Detection, Observation, Post, Track, utc_now
from app.simtools.tool import SimulatedTool
from app.terminology import default_terminology

log = logging.getLogger(__name__)

TICK_S = 0.2
_COPIED = (
    "sender",
    "event_type",
    "headline",
    "description",
    "urgency",
    "severity",
    "certainty",
    "confidence",
    "category",
    "priority",
)


def alert_json(data: dict[str, Any], identifier: str, sent: datetime) -> dict[str, Any]:
    """A scenario alert as the tool would serve it; always an exercise."""
    item = {key: data[key] for key in _COPIED if key in data}
    item.update(identifier=identifier, sent=sent.isoformat(), status="Exercise")
    if data.get("point"):
        lat, lon = data["point"]
        item["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
    return item


def detection_json(detection: Detection) -> dict[str, Any]:
    item: dict[str, Any] = {
        "identifier": detection.identifier,
        "detector_id": detection.detector_id,
        "source_id": detection.source_id,
        "time": detection.time.isoformat(),
        "event_type": detection.event_type,
        "label": detection.label,
        "confidence": detection.confidence,
        "status": detection.status.value,
    }
    if detection.bbox is not None:
        item["bbox"] = list(detection.bbox)
    if detection.point is not None:
        item["geometry"] = detection.point.to_geojson()
    return item


def observation_json(observation: Observation) -> dict[str, Any]:
    return {
        "identifier": observation.identifier,
        "sensor_id": observation.sensor_id,
        "time": observation.time.isoformat(),
        "quantity": observation.quantity,
        "value": observation.value,
        "unit": observation.unit,
        "status": observation.status.value,
    }


def track_json(track: Track) -> dict[str, Any]:
    """A track position as a tracking tool serves it (the tool API's ``TrackIn``)."""
    item: dict[str, Any] = {
        "identifier": track.identifier,
        "time": track.time.isoformat(),
        "geometry": track.point.to_geojson(),
        "cot_type": track.cot_type,
        "callsign": track.callsign,
        "status": track.status.value,
    }
    if track.course_deg is not None:
        item["course_deg"] = track.course_deg
    if track.speed_mps is not None:
        item["speed_mps"] = track.speed_mps
    return item


def post_json(post: Post) -> dict[str, Any]:
    """A post as a social-media monitoring tool serves it (the tool API's ``PostIn``)."""
    item: dict[str, Any] = {
        "identifier": post.identifier,
        "platform": post.platform,
        "author": post.author,
        "text": post.text,
        "time": post.time.isoformat(),
        "status": post.status.value,
    }
    if post.language is not None:
        item["language"] = post.language
    if post.point is not None:
        item["geometry"] = post.point.to_geojson()
    if post.reply_to is not None:
        item["reply_to"] = post.reply_to
    return item


# The records a tool serves besides alerts: the kind ``record_tools`` names, the feed, the JSON.
_SERVED: dict[type, tuple[str, str, Callable[[Any], dict[str, Any]]]] = {
    Detection: ("detection", "detections", detection_json),
    Observation: ("observation", "observations", observation_json),
    Track: ("track", "tracks", track_json),
    Post: ("post", "posts", post_json),
}
FED_KINDS = frozenset(kind for kind, _feed, _to_json in _SERVED.values())


class ScenarioFeeder:
    """``record_tools`` names the tool serving each non-alert kind ("detection",
    "observation", "track", "post"); kinds it does not name are not fed."""

    def __init__(
        self,
        scenario: Scenario,
        tools: dict[str, SimulatedTool],
        speed: float = 1.0,
        record_tools: dict[str, str] | None = None,
    ) -> None:
        self.scenario = scenario
        self.tools = tools
        self.speed = speed
        self.record_tools = record_tools or {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scenario-feeder", daemon=True)

    def start(self) -> ScenarioFeeder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        started, origin = time.monotonic(), utc_now()
        played_s, loop = 0.0, 0
        duration = self.scenario.duration_s
        while not self._stop.wait(TICK_S):
            now_s = (time.monotonic() - started) * self.speed - loop * duration
            end_s = min(now_s, duration)
            clock = self._clock(origin, loop)
            for index, inject in self.scenario.injects_between(
                played_s, end_s, frozenset({"alert"})
            ):
                tool = self.tools.get(inject.data["source_tool"])
                if tool is not None:
                    tool.publish(
                        alert_json(inject.data, f"demo-{loop}-{index}", clock(inject.at_s))
                    )
            self._feed_records(played_s, end_s, clock, loop)
            played_s = end_s
            if now_s >= duration:
                loop, played_s = loop + 1, 0.0

    def _clock(self, origin: datetime, loop: int):  # type: ignore[no-untyped-def]
        offset = loop * self.scenario.duration_s
        return lambda scenario_s: origin + timedelta(seconds=(offset + scenario_s) / self.speed)

    def _feed_records(self, start_s: float, end_s: float, clock, loop: int) -> None:  # type: ignore[no-untyped-def]
        kinds = frozenset(self.record_tools) & FED_KINDS
        if not kinds:
            return
        records = self.scenario.records_between(
            start_s, end_s, clock, loop, default_terminology(), kinds
        )
        for record in records:
            kind, feed, to_json = _SERVED[type(record)]
            tool = self.tools.get(self.record_tools[kind])
            if tool is not None:
                tool.publish_records(feed, to_json(record))
