"""Which video detections become stored records and alerts, and what the alerts say.

A detector reports on every analysed frame; an operator needs one alert per thing that
happened. Only detections of a shared event type (a knife, an intrusion, a crowd, a camera
going dark) are stored and alerted on; plain classes (person, motion, face) are drawn and
forgotten. The same camera raising the same event for the same track (or, untracked, at all)
is folded into its first alert until ``repeat_after`` has passed, so a knife seen on forty
frames is one alert, not forty.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.model import (
    Alert,
    Certainty,
    Detection,
    EvidenceLink,
    GeoPoint,
    Severity,
    Urgency,
    new_identifier,
)
from app.terminology import Terminology
from i18n import format_percent, gettext

SOURCE_TOOL = "video-watch"
SENDER = "video-watch@watchfloor"
# Camera health is no threat: it is graded so that it never outranks what cameras see.
_HEALTH_EVENTS = frozenset({"camera_offline", "camera_tampering"})


@dataclass(frozen=True, slots=True)
class CameraFacts:
    """What an alert needs to know about the camera that saw it."""

    camera_id: str
    name: str
    point: GeoPoint | None = None


class RepeatFilter:
    """Remembers the last alert per (camera, event, track) to fold repeats."""

    def __init__(self, repeat_after: timedelta) -> None:
        self.repeat_after = repeat_after
        self._last: dict[tuple[str, str, str], datetime] = {}

    def fresh(self, detection: Detection) -> bool:
        key = (detection.source_id, detection.event_type, detection.track_id or "")
        last = self._last.get(key)
        if last is not None and detection.time - last < self.repeat_after:
            return False
        self._last[key] = detection.time
        self._forget_before(detection.time - 4 * self.repeat_after)
        return True

    def _forget_before(self, moment: datetime) -> None:
        if len(self._last) > 4096:
            self._last = {k: t for k, t in self._last.items() if t >= moment}


def alertable(detections: list[Detection], terms: Terminology) -> list[Detection]:
    return [d for d in detections if terms.knows(d.event_type)]


def to_alert(
    detection: Detection, camera: CameraFacts, terms: Terminology, snapshot_uri: str | None
) -> Alert:
    kind = terms.event_type(detection.event_type)
    health = detection.event_type in _HEALTH_EVENTS
    evidence = [EvidenceLink("camera", f"camera:{camera.camera_id}", camera.name)]
    if snapshot_uri:
        evidence.insert(0, EvidenceLink("snapshot", snapshot_uri, camera.name))
    return Alert(
        identifier=f"{SOURCE_TOOL}:{new_identifier()}",
        sender=SENDER,
        source_tool=SOURCE_TOOL,
        sent=detection.time,
        event_type=kind.id,
        category=kind.category,
        priority=kind.priority,
        headline=headline(detection, camera, kind.name),
        description=description(detection),
        status=detection.status,
        urgency=Urgency.EXPECTED if health else Urgency.IMMEDIATE,
        severity=Severity.MINOR if health else Severity.SEVERE,
        certainty=Certainty.OBSERVED if health else Certainty.LIKELY,
        confidence=detection.confidence,
        point=detection.point or camera.point,
        evidence=tuple(evidence),
        references=(detection.identifier,),
    )


def headline(detection: Detection, camera: CameraFacts, event_name: str) -> str:
    if detection.event_type == "camera_offline":
        return gettext("{camera}: no picture").format(camera=camera.name)
    if detection.event_type == "camera_tampering":
        return gettext("{camera}: picture {problem}").format(
            camera=camera.name, problem=_tamper_text(detection.label)
        )
    return gettext("{event} on {camera}").format(event=event_name, camera=camera.name)


def description(detection: Detection) -> str:
    if detection.event_type in _HEALTH_EVENTS:
        return ""
    return gettext("Detector {detector} saw {label} ({confidence}).").format(
        detector=detection.detector_id,
        label=detection.label,
        confidence=format_percent(detection.confidence),
    )


def _tamper_text(code: str) -> str:
    texts = {
        "black": gettext("black (covered lens or no light)"),
        "covered": gettext("without detail (covered, blurred or out of focus)"),
        "frozen": gettext("frozen"),
    }
    return texts.get(code, code)
