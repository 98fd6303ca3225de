"""An inject as the tool-API JSON its simulated tool serves: ``(feed, item)`` pairs.

Every record is an exercise record (``status: "Exercise"``) whatever the scenario says, so a
scenario file can never make training data look real. Field names follow the scenario format
(``app.scenario``): an inject's ``data`` holds the record's fields, positions as ``[lat, lon]``.
Threat-intel items and camera failures become alerts, as the tools that report them send them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from app.model import Status
from app.scenario.model import InjectSpec
from app.simtools.feeder import alert_json

EXERCISE = Status.EXERCISE.value
Item = tuple[str, dict[str, Any]]  # (feed, JSON item)

THREAT_INTEL_EVENT = "physical_threat_intel"
CAMERA_EVENTS = {"offline": "camera_offline", "tampered": "camera_tampering"}


def inject_items(
    inject: InjectSpec, identifier: str, when: datetime, snapshot_uri: str | None = None
) -> list[Item]:
    """What ``inject`` publishes, stamped ``when``; ``snapshot_uri`` is where its picture is
    served (detections with a snapshot)."""
    return _BUILDERS[inject.kind](inject, identifier, when, snapshot_uri)


def geometry(data: dict[str, Any]) -> dict[str, Any] | None:
    point = data.get("point")
    if not point:
        return None
    lat, lon = point[0], point[1]
    return {"type": "Point", "coordinates": [lon, lat]}


def _alert_item(
    data: dict[str, Any], tool: str, identifier: str, when: datetime, event_type: str
) -> dict[str, Any]:
    fields = {"sender": f"{tool}@exercise", "event_type": event_type, "headline": event_type}
    fields.update(data)
    item = alert_json(fields, identifier, when)
    if data.get("evidence"):
        item["evidence"] = list(data["evidence"])
    return item


def _alert(inject: InjectSpec, identifier: str, when: datetime, _uri: str | None) -> list[Item]:
    data = inject.data
    event = str(data.get("event_type", "unknown"))
    return [("alerts", _alert_item(data, inject.tool, identifier, when, event))]


def _detection(
    inject: InjectSpec, identifier: str, when: datetime, snapshot_uri: str | None
) -> list[Item]:
    data = inject.data
    event = str(data.get("event_type", "unknown"))
    item: dict[str, Any] = {
        "identifier": identifier,
        "detector_id": str(data.get("detector_id", "exercise")),
        "source_id": str(data.get("source_id") or data.get("camera") or inject.tool),
        "time": when.isoformat(),
        "event_type": event,
        "label": str(data.get("label", event)),
        "confidence": float(data.get("confidence", 1.0)),
        "status": EXERCISE,
    }
    for key in ("bbox", "track_id"):
        if data.get(key) is not None:
            item[key] = data[key]
    if geometry(data) is not None:
        item["geometry"] = geometry(data)
    if snapshot_uri:
        item["snapshot_uri"] = snapshot_uri
    items: list[Item] = [("detections", item)]
    if isinstance(data.get("alert"), dict):
        items.append(("alerts", _detection_alert(inject, item, identifier, when, snapshot_uri)))
    return items


def _detection_alert(
    inject: InjectSpec,
    detection: dict[str, Any],
    identifier: str,
    when: datetime,
    snapshot_uri: str | None,
) -> dict[str, Any]:
    """The alert a video tool raises with its detection, the snapshot as evidence."""
    data = {"point": inject.data.get("point"), "confidence": detection["confidence"]}
    data.update(inject.data["alert"])
    evidence = list(data.get("evidence") or [])
    if snapshot_uri:
        caption = str(detection["source_id"])
        evidence.insert(0, {"kind": "snapshot", "uri": snapshot_uri, "caption": caption})
    evidence.append({"kind": "camera", "uri": f"camera:{detection['source_id']}", "caption": ""})
    data["evidence"] = evidence
    event = str(data.get("event_type", detection["event_type"]))
    return _alert_item(data, inject.tool, identifier, when, event)


def _post(inject: InjectSpec, identifier: str, when: datetime, _uri: str | None) -> list[Item]:
    data = inject.data
    item: dict[str, Any] = {
        "identifier": identifier,
        "platform": str(data.get("platform", "microblog")),
        "author": str(data["author"]),
        "text": str(data["text"]),
        "time": when.isoformat(),
        "status": EXERCISE,
    }
    for key in ("language", "reply_to"):
        if data.get(key):
            item[key] = data[key]
    if geometry(data) is not None:
        item["geometry"] = geometry(data)
    return [("posts", item)]


def observation_item(
    identifier: str, sensor_id: str, when: datetime, quantity: str, value: float, unit: str
) -> dict[str, Any]:
    return {
        "identifier": identifier,
        "sensor_id": sensor_id,
        "time": when.isoformat(),
        "quantity": quantity,
        "value": value,
        "unit": unit,
        "status": EXERCISE,
    }


def _observation(
    inject: InjectSpec, identifier: str, when: datetime, _uri: str | None
) -> list[Item]:
    data = inject.data
    item = observation_item(
        identifier,
        str(data["sensor_id"]),
        when,
        str(data["quantity"]),
        float(data["value"]),
        str(data.get("unit", "")),
    )
    return [("observations", item)]


def track_item(
    identifier: str,
    when: datetime,
    lat: float,
    lon: float,
    cot_type: str,
    callsign: str,
    course_deg: float | None = None,
    speed_mps: float | None = None,
) -> dict[str, Any]:
    item: dict[str, Any] = {
        "identifier": identifier,
        "time": when.isoformat(),
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "cot_type": cot_type,
        "callsign": callsign,
        "status": EXERCISE,
    }
    if course_deg is not None:
        item["course_deg"] = course_deg
    if speed_mps is not None:
        item["speed_mps"] = speed_mps
    return item


def _track(inject: InjectSpec, identifier: str, when: datetime, _uri: str | None) -> list[Item]:
    data = inject.data
    lat, lon = data["point"][0], data["point"][1]
    item = track_item(
        identifier,
        when,
        lat,
        lon,
        str(data.get("cot_type", "a-u-G")),
        str(data.get("callsign", "")),
        data.get("course_deg"),
        data.get("speed_mps"),
    )
    return [("tracks", item)]


def _threat_intel(
    inject: InjectSpec, identifier: str, when: datetime, _uri: str | None
) -> list[Item]:
    """A threat-intelligence item as the intel tool's alert: its indicators are named in the
    description and kept as evidence, so the operator sees what to look for."""
    data = dict(inject.data)
    indicators = [_indicator(value) for value in data.pop("indicators", None) or []]
    source = data.pop("source", None)
    if source:
        data["description"] = f"{data.get('description', '')}\n\nSource: {source}".lstrip()
    if indicators:
        listed = ", ".join(f"{kind} {value}" if kind else value for kind, value in indicators)
        description = str(data.get("description", "")).rstrip()
        data["description"] = f"{description}\n\nIndicators: {listed}".lstrip()
        evidence = list(data.get("evidence") or [])
        evidence += [
            {"kind": "indicator", "uri": f"indicator:{value}", "caption": kind}
            for kind, value in indicators
        ]
        data["evidence"] = evidence[:50]
    event = str(data.get("event_type", THREAT_INTEL_EVENT))
    return [("alerts", _alert_item(data, inject.tool, identifier, when, event))]


def _indicator(value: Any) -> tuple[str, str]:
    """``(type, value)`` of an indicator written ``type:value`` (or ``{type, value}``)."""
    if isinstance(value, dict):
        return str(value.get("type", "")), str(value.get("value", ""))
    kind, colon, rest = str(value).partition(":")
    return (kind, rest) if colon and rest else ("", str(value))


def _camera_failure(
    inject: InjectSpec, identifier: str, when: datetime, _uri: str | None
) -> list[Item]:
    """A camera going dark or being tampered with, as the video-management tool reports it,
    naming the camera in its text and its evidence."""
    data = dict(inject.data)
    camera = str(data.pop("camera_id", None) or "camera")
    reason = str(data.pop("reason", "offline"))
    event = str(data.get("event_type", CAMERA_EVENTS.get(reason, "camera_offline")))
    default = "Camera {camera} tampered with" if reason == "tampered" else "Camera {camera} offline"
    data.setdefault("headline", default.format(camera=camera))
    if camera not in str(data.get("description", "")):
        data["description"] = f"{data.get('description', '')}\n\nCamera: {camera}".lstrip()
    evidence = list(data.get("evidence") or [])
    evidence.append({"kind": "camera", "uri": f"camera:{camera}", "caption": camera})
    data["evidence"] = evidence
    return [("alerts", _alert_item(data, inject.tool, identifier, when, event))]


_BUILDERS: dict[str, Callable[[InjectSpec, str, datetime, str | None], list[Item]]] = {
    "alert": _alert,
    "detection": _detection,
    "post": _post,
    "observation": _observation,
    "track": _track,
    "threat_intel": _threat_intel,
    "camera_failure": _camera_failure,
}
