"""A checked scenario document turned into the immutable specs the replay engine and the scorer
use (``app.scenario.model``).

Inject ``data`` is kept as written, completed so that consumers need not know the format's
defaults: a detection's ``alert`` gets the detection's event type, confidence and position; a
threat-intel item and a camera failure get every alert field (sender, CAP codes, event type,
a camera's position from the site); a snapshot becomes an absolute path.
"""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path
from typing import Any

from app.scenario.document import Document
from app.scenario.model import (
    ConditionSpec,
    ExpectationSpec,
    InjectSpec,
    RouteSpec,
    ScenarioSpec,
    SeriesSpec,
)
from app.scenario.site import SiteIndex
from i18n import N_

# The simulated tool serving each kind when an inject names none (alerts must name theirs).
DEFAULT_TOOLS = {
    "detection": "video-analytics",
    "post": "social-monitor",
    "observation": "bio-sensors",
    "track": "patrol-tracking",
    "threat_intel": "threat-intel",
    "camera_failure": "video-management",
}
SERIES_TOOL = DEFAULT_TOOLS["observation"]
ROUTE_TOOL = DEFAULT_TOOLS["track"]
# Titles of default tools a scenario uses without declaring them (translated where shown).
DEFAULT_TOOL_TITLES = {
    "video-analytics": N_("Video analytics"),
    "social-monitor": N_("Social-media monitor"),
    "bio-sensors": N_("Biological-risk sensors"),
    "patrol-tracking": N_("Patrol tracking"),
    "threat-intel": N_("Threat intelligence"),
    "video-management": N_("Video management system"),
}
CAMERA_EVENT = {"offline": "camera_offline", "tampered": "camera_tampering"}
_UNKNOWN_CAP = {"urgency": "Unknown", "severity": "Unknown", "certainty": "Unknown"}


def build_spec(document: Document, site: SiteIndex) -> ScenarioSpec:
    doc, folder = document.data, document.path.parent
    injects = tuple(
        _inject(raw, document.line(("injects", i)), folder, site)
        for i, raw in enumerate(doc["injects"])
    )
    conditions = tuple(
        _condition(raw, document.line(("conditions", i, "inject")), folder, site)
        for i, raw in enumerate(doc.get("conditions", []))
    )
    map_view = doc.get("map", {})
    spec = ScenarioSpec(
        id=doc["id"],
        title=doc["title"],
        description=doc.get("description", ""),
        city=doc.get("city", ""),
        duration_s=float(doc["duration_s"]),
        injects=tuple(sorted(injects, key=lambda inject: inject.at_s)),
        series=tuple(_series(raw) for raw in doc.get("series", [])),
        routes=tuple(_route(raw) for raw in doc.get("routes", [])),
        conditions=conditions,
        expectations=tuple(_expectation(raw) for raw in doc.get("expect", [])),
        site_layers=tuple(site.paths),
        map_centre=tuple(map_view["centre"]) if "centre" in map_view else None,
        map_zoom=map_view.get("zoom"),
        path=document.path.resolve(),
    )
    titles = {tool: DEFAULT_TOOL_TITLES.get(tool, tool) for tool in spec.tools}
    return dataclasses.replace(spec, tool_titles=titles | doc.get("tools", {}))


def _inject(raw: dict[str, Any], line: int, folder: Path, site: SiteIndex) -> InjectSpec:
    kind = raw["kind"]
    tool = raw.get("tool") or DEFAULT_TOOLS[kind]
    data = _completed(kind, tool, copy.deepcopy(raw["data"]), folder, site)
    return InjectSpec(raw["id"], float(raw.get("at", 0)), kind, tool, data, line)


def _completed(
    kind: str, tool: str, data: dict[str, Any], folder: Path, site: SiteIndex
) -> dict[str, Any]:
    sender = f"{tool}@exercise.invalid"
    if kind == "detection":
        if "snapshot" in data:
            data["snapshot"] = str((folder / data["snapshot"]).resolve())
        if "alert" in data:
            shared = {key: data[key] for key in ("event_type", "confidence", "point")}
            data["alert"] = {"sender": sender, **_UNKNOWN_CAP, **data["alert"], **shared}
    elif kind == "threat_intel":
        data = {"sender": sender, **_UNKNOWN_CAP, **data}
    elif kind == "camera_failure":
        camera = site.cameras.get(data["camera_id"])
        defaults: dict[str, Any] = {"sender": sender, "description": "", "confidence": 1.0}
        defaults |= {"urgency": "Immediate", "severity": "Moderate", "certainty": "Observed"}
        if camera is not None and camera.point is not None:
            defaults["point"] = [camera.point.lat, camera.point.lon]
        data = {**defaults, **data, "event_type": CAMERA_EVENT[data["reason"]]}
    return data


def _condition(raw: dict[str, Any], line: int, folder: Path, site: SiteIndex) -> ConditionSpec:
    return ConditionSpec(
        id=raw["id"],
        after=raw["after"],
        unless=raw["unless"],
        within_s=float(raw["within_s"]),
        inject=_inject(raw["inject"], line, folder, site),
    )


def _series(raw: dict[str, Any]) -> SeriesSpec:
    return SeriesSpec(
        id=raw["id"],
        sensor_id=raw["sensor_id"],
        quantity=raw["quantity"],
        unit=raw["unit"],
        every_s=float(raw["every_s"]),
        values=tuple(float(v) for v in raw["values"]),
        tool=raw.get("tool", SERIES_TOOL),
        start_s=float(raw.get("start_s", 0.0)),
        end_s=_optional(raw.get("end_s")),
    )


def _route(raw: dict[str, Any]) -> RouteSpec:
    return RouteSpec(
        id=raw["id"],
        callsign=raw["callsign"],
        cot_type=raw["cot_type"],
        points=tuple((float(lat), float(lon)) for lat, lon in raw["points"]),
        speed_mps=float(raw["speed_mps"]),
        every_s=float(raw["every_s"]),
        tool=raw.get("tool", ROUTE_TOOL),
        start_s=float(raw.get("start_s", 0.0)),
        end_s=_optional(raw.get("end_s")),
    )


def _expectation(raw: dict[str, Any]) -> ExpectationSpec:
    return ExpectationSpec(
        inject=raw["inject"],
        acknowledge_within_s=_optional(raw.get("acknowledge_within_s")),
        escalate=raw.get("escalate"),
        escalate_within_s=_optional(raw.get("escalate_within_s")),
        false_alarm=bool(raw.get("false_alarm", False)),
        sop_steps=raw.get("sop_steps"),
        weight=float(raw.get("weight", 1.0)),
    )


def _optional(value: float | None) -> float | None:
    return None if value is None else float(value)
