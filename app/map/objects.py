"""Records as the web map draws them: small JSON-ready dicts, named by the terminology registry.

Every object carries its SIDC (so the page draws the same symbol as the queue and the legend),
a label and a second line in the operator's language, and plain values only. Text from outside
(headlines, callsigns, post text) travels as data; the page puts it in with ``textContent``.
"""

from __future__ import annotations

from typing import Any

from app.alerts.lifecycle import OPEN_STATES
from app.model import Alert, Camera, Detection, GeoPoint, Post, Sensor, Status, Track, Zone
from app.terminology import Terminology
from i18n import N_, gettext

MapObject = dict[str, Any]
# What identifies an object on the map: its kind and its record identifier.
ObjectKey = tuple[str, str]

KIND_OF: dict[type, str] = {
    Alert: "alert",
    Detection: "detection",
    Track: "track",
    Post: "post",
    Camera: "camera",
    Sensor: "sensor",
    Zone: "zone",
}
POST_PREVIEW_CHARS = 140
ZONE_KINDS = {
    "restricted": N_("Restricted area"),
    "crowd": N_("Crowd zone"),
    "vip": N_("VIP area"),
    "venue": N_("Venue"),
}


def zone_kind_name(kind: str) -> str:
    """A zone kind in the operator's language; kinds we do not know are shown as written."""
    return gettext(ZONE_KINDS[kind]) if kind in ZONE_KINDS else kind


def key_of(record: object) -> ObjectKey:
    return KIND_OF[type(record)], record.identifier  # type: ignore[attr-defined]


def is_shown(record: object) -> bool:
    """Whether a record has a place on the map at all (closed alerts leave it)."""
    if isinstance(record, Zone):
        return True
    if isinstance(record, Alert):
        return record.state in OPEN_STATES and _alert_point(record) is not None
    return getattr(record, "point", None) is not None


def to_map_object(record: Any, terms: Terminology) -> MapObject:
    """The page's view of a record that ``is_shown``; raises ``KeyError`` for other kinds."""
    kind = KIND_OF[type(record)]
    build = _BUILDERS[kind]
    result: MapObject = {"k": kind, "id": record.identifier}
    result.update(build(record, terms))
    status = getattr(record, "status", Status.ACTUAL)
    result["ex"] = status is not Status.ACTUAL
    return result


def _located(point: GeoPoint) -> MapObject:
    return {"lat": round(point.lat, 7), "lon": round(point.lon, 7)}


def _alert_point(alert: Alert) -> GeoPoint | None:
    if alert.point is not None:
        return alert.point
    if alert.area is None:
        return None
    if alert.area.circle is not None:
        return alert.area.circle.centre
    ring = alert.area.polygon[:-1]
    if not ring:
        return None
    return GeoPoint(sum(p.lat for p in ring) / len(ring), sum(p.lon for p in ring) / len(ring))


def _alert(alert: Alert, terms: Terminology) -> MapObject:
    event = terms.event_type(alert.event_type)
    style = terms.priority(alert.priority)
    point = _alert_point(alert)
    assert point is not None  # callers check is_shown first
    result = _located(point)
    result.update(
        sidc=event.sidc_for(alert.status),
        label=alert.headline,
        sub=f"{event.name} · {style.name}",
        prio=int(alert.priority),
        colour=style.colour,
        time=alert.sent.isoformat(),
    )
    if alert.area is not None and alert.area.polygon:
        result["ring"] = [[p.lat, p.lon] for p in alert.area.polygon]
    if alert.area is not None and alert.area.circle is not None:
        result["radius_m"] = alert.area.circle.radius_km * 1000.0
    return result


def _detection(detection: Detection, terms: Terminology) -> MapObject:
    event = terms.event_type(detection.event_type)
    assert detection.point is not None
    sub = gettext("{detector} on {source}, {confidence:.0%}").format(
        detector=detection.detector_id, source=detection.source_id, confidence=detection.confidence
    )
    return _located(detection.point) | {
        "sidc": event.sidc_for(detection.status),
        "label": event.name,
        "sub": sub,
        "time": detection.time.isoformat(),
    }


def _track(track: Track, terms: Terminology) -> MapObject:
    result = _located(track.point) | {
        "sidc": terms.track_sidc(track.cot_type, track.status),
        "label": track.callsign or track.identifier,
        "sub": track.cot_type,
        "time": track.time.isoformat(),
    }
    if track.course_deg is not None:
        result["heading"] = track.course_deg
    return result


def _post(post: Post, terms: Terminology) -> MapObject:
    assert post.point is not None
    text = post.text if len(post.text) <= POST_PREVIEW_CHARS else post.text[:POST_PREVIEW_CHARS]
    return _located(post.point) | {
        "sidc": terms.asset("post").sidc_for(post.status),
        "label": f"{post.platform} · {post.author}",
        "sub": text,
        "time": post.time.isoformat(),
    }


def _camera(camera: Camera, terms: Terminology) -> MapObject:
    assert camera.point is not None
    result = _located(camera.point) | {
        "sidc": terms.asset("camera").sidc,
        "label": camera.name,
        "sub": terms.asset("camera").name,
    }
    if camera.heading_deg is not None and camera.fov_deg is not None:
        result.update(heading=camera.heading_deg, fov=camera.fov_deg)
    return result


def _sensor(sensor: Sensor, terms: Terminology) -> MapObject:
    assert sensor.point is not None
    return _located(sensor.point) | {
        "sidc": terms.asset("sensor").sidc,
        "label": sensor.name,
        "sub": f"{sensor.quantity} ({sensor.unit})",
    }


def _zone(zone: Zone, _terms: Terminology) -> MapObject:
    return {
        "label": zone.name,
        "sub": zone_kind_name(zone.kind),
        "zone_kind": zone.kind,
        "ring": [[p.lat, p.lon] for p in zone.polygon],
    }


_BUILDERS = {
    "alert": _alert,
    "detection": _detection,
    "track": _track,
    "post": _post,
    "camera": _camera,
    "sensor": _sensor,
    "zone": _zone,
}
