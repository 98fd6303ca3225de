"""Scenarios built in code for the replay tests (independent of the bundled files)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from app.replay.clock import SimClock
from app.scenario.model import (
    ConditionSpec,
    ExpectationSpec,
    InjectSpec,
    RouteSpec,
    ScenarioSpec,
    SeriesSpec,
)

SQUARE = (59.9117, 10.7336)
BASE = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class FakeTime:
    """Monotonic seconds and the matching wall time, moved by hand: no test sleeps."""

    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now

    def wall(self) -> datetime:
        return BASE + timedelta(seconds=self.now - 100.0)

    def clock(self, **kwargs: Any) -> SimClock:
        return SimClock(monotonic=self.monotonic, wall=self.wall, **kwargs)


def alert_data(headline: str, event_type: str = "knife", **extra: Any) -> dict[str, Any]:
    return {
        "sender": "weapons@exercise.invalid",
        "event_type": event_type,
        "headline": headline,
        "description": f"{headline} (exercise)",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "confidence": 0.9,
        "point": list(SQUARE),
        **extra,
    }


def alert(inject_id: str, at_s: float, tool: str = "weapons", **extra: Any) -> InjectSpec:
    return InjectSpec(inject_id, at_s, "alert", tool, alert_data(f"Alert {inject_id}", **extra))


def detection(inject_id: str, at_s: float, snapshot: Path | None = None) -> InjectSpec:
    data: dict[str, Any] = {
        "detector_id": "yolo",
        "source_id": "cam-1",
        "event_type": "knife",
        "label": "knife",
        "confidence": 0.8,
        "bbox": [0.1, 0.2, 0.1, 0.2],
        "point": list(SQUARE),
    }
    if snapshot is not None:
        data["snapshot"] = str(snapshot)
        data["alert"] = {
            "sender": "video@exercise.invalid",
            "headline": "Knife seen on camera 1",
            "description": "A knife in the crowd.",
            "event_type": "knife",
            "confidence": 0.8,
            "point": list(SQUARE),
        }
    return InjectSpec(inject_id, at_s, "detection", "video", data)


def post(inject_id: str, at_s: float) -> InjectSpec:
    data = {
        "platform": "microblog",
        "author": "@someone",
        "text": "Meet at the square",
        "language": "en",
    }
    return InjectSpec(inject_id, at_s, "post", "social", data)


def threat_intel(inject_id: str, at_s: float) -> InjectSpec:
    data = {
        "sender": "intel@exercise.invalid",
        "headline": "Planned attack on the transport hub",
        "description": "A group plans to disrupt the central station.",
        "event_type": "cyber_intrusion",
        "indicators": ["ipv4:203.0.113.7", "domain:bad.example"],
        "confidence": 0.7,
        "source": "Partner CERT",
        "urgency": "Expected",
        "severity": "Severe",
        "certainty": "Likely",
    }
    return InjectSpec(inject_id, at_s, "threat_intel", "intel", data)


def camera_failure(inject_id: str, at_s: float) -> InjectSpec:
    data = {
        "camera_id": "cam-7",
        "reason": "tampered",
        "headline": "Camera 7 view blocked",
        "event_type": "camera_tampering",
        "sender": "vms@exercise.invalid",
        "urgency": "Immediate",
        "severity": "Moderate",
        "certainty": "Observed",
        "confidence": 1.0,
        "point": list(SQUARE),
    }
    return InjectSpec(inject_id, at_s, "camera_failure", "vms", data)


def timed_spec(duration_s: float = 120.0, **changes: Any) -> ScenarioSpec:
    """Alerts at 0, 10, 30, 30 (file order: b before a), 60, 61 and 90 s from one tool, other
    kinds from their own tools, a sensor series every 5 s and a patrol every 10 s."""
    injects = (
        alert("first", 0.0),
        alert("ten", 10.0),
        alert("thirty-b", 30.0),
        alert("thirty-a", 30.0),
        post("post", 20.0),
        threat_intel("intel", 40.0),
        camera_failure("camera", 50.0),
        alert("sixty", 60.0),
        alert("sixty-one", 61.0),
        alert("ninety", 90.0),
    )
    series = (SeriesSpec("bio", "bio-1", "ATP", "RLU", 5.0, (100.0, 120.0, 5000.0), "sensors"),)
    routes = (
        RouteSpec(
            "patrol",
            "Patrol 1",
            "a-f-G",
            ((59.911, 10.733), (59.912, 10.734), (59.911, 10.735)),
            1.4,
            10.0,
            "tracking",
        ),
    )
    fields: dict[str, Any] = dict(
        id="timed",
        title="Timed test scenario",
        description="",
        city="Oslo",
        duration_s=duration_s,
        injects=injects,
        series=series,
        routes=routes,
    )
    fields.update(changes)
    return ScenarioSpec(**fields)


def escalation_spec() -> ScenarioSpec:
    """A knife alert at 10 s; if not acknowledged within 60 s, an escalation at the deadline."""
    escalation = InjectSpec(
        "escalation", 0.0, "alert", "weapons", alert_data("Knife: second sighting")
    )
    return ScenarioSpec(
        id="escalation",
        title="Escalation",
        description="",
        city="Oslo",
        duration_s=120.0,
        injects=(alert("knife", 10.0),),
        conditions=(ConditionSpec("not-acked", "knife", "acknowledge", 60.0, escalation),),
        expectations=(ExpectationSpec("knife", acknowledge_within_s=60.0),),
    )
