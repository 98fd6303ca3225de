"""What the schema cannot say about a scenario: references between its parts, times against
its duration, event types against the shared terminology, files next to it.

Runs only on a document that passed the schema, so shapes and types can be trusted here. Each
check returns ``(path, message)`` pairs; the caller turns them into problems with lines.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.scenario.errors import FieldPath, field_name
from app.scenario.site import SiteIndex
from app.terminology import default_terminology

Finding = tuple[FieldPath, str]
# Inject kinds whose record is, or comes with, an alert an operator can act on.
ALERTING = frozenset({"alert", "threat_intel", "camera_failure"})


def raises_alert(inject: dict[str, Any]) -> bool:
    kind = inject.get("kind")
    return kind in ALERTING or (kind == "detection" and "alert" in inject.get("data", {}))


def all_injects(doc: dict[str, Any]) -> Iterator[tuple[FieldPath, dict[str, Any]]]:
    """Every inject with its path: the timed ones, then those conditions play."""
    for index, inject in enumerate(doc.get("injects", [])):
        yield ("injects", index), inject
    for index, condition in enumerate(doc.get("conditions", [])):
        yield ("conditions", index, "inject"), condition["inject"]


def semantic_findings(doc: dict[str, Any], folder: Path, site: SiteIndex) -> list[Finding]:
    """Everything wrong beyond the schema; ``site`` holds the layers ``doc`` names, read."""
    findings = list(site.findings)
    for check in (_finite, _unique_ids, _times, _conditions, _expectations, _event_types, _tools):
        findings.extend(check(doc))
    findings.extend(_site_references(doc, site))
    findings.extend(_snapshots(doc, folder))
    return findings


def _finite(doc: Any, path: FieldPath = ()) -> Iterator[Finding]:
    """NaN passes every range check in the schema; infinities are no time or reading either."""
    if isinstance(doc, float) and not math.isfinite(doc):
        yield path, f"{doc} is not a finite number"
    elif isinstance(doc, dict):
        for key, value in doc.items():
            yield from _finite(value, (*path, key))
    elif isinstance(doc, list):
        for index, value in enumerate(doc):
            yield from _finite(value, (*path, index))


def _unique_ids(doc: dict[str, Any]) -> Iterator[Finding]:
    """Ids name records in every run (``x<run>.<id>``), so they are unique across the file."""
    first: dict[str, FieldPath] = {}
    places = [(path, inject) for path, inject in all_injects(doc)]
    for section in ("series", "routes", "conditions"):
        places += [((section, i), item) for i, item in enumerate(doc.get(section, []))]
    for path, item in places:
        identifier = item["id"]
        if identifier in first:
            yield (
                (*path, "id"),
                f"id '{identifier}' is already used by {field_name(first[identifier])}",
            )
        else:
            first[identifier] = path


def _times(doc: dict[str, Any]) -> Iterator[Finding]:
    end = doc["duration_s"]
    for index, inject in enumerate(doc.get("injects", [])):
        if inject["at"] > end:
            yield ("injects", index, "at"), f"{inject['at']:g} s is after the end ({end:g} s)"
    for section in ("series", "routes"):
        for index, item in enumerate(doc.get(section, [])):
            start, stop = item.get("start_s", 0), item.get("end_s", end)
            if stop > end:
                yield (section, index, "end_s"), f"{stop:g} s is after the end ({end:g} s)"
            if start >= min(stop, end):
                yield (section, index, "start_s"), f"{start:g} s is not before its end"
    for index, route in enumerate(doc.get("routes", [])):
        if len({tuple(point) for point in route["points"]}) < 2:
            yield ("routes", index, "points"), "needs at least 2 different points"


def _conditions(doc: dict[str, Any]) -> Iterator[Finding]:
    injects = {inject["id"]: inject for _path, inject in all_injects(doc)}
    for index, condition in enumerate(doc.get("conditions", [])):
        after = injects.get(condition["after"])
        where = ("conditions", index, "after")
        if after is None:
            yield where, f"no inject has the id '{condition['after']}'"
        elif not raises_alert(after):
            yield where, f"'{condition['after']}' raises no alert an operator could act on"
        elif after is condition["inject"]:
            yield where, "a condition cannot wait for its own inject"
    times = _fire_times(doc)
    for index, condition in enumerate(doc.get("conditions", [])):
        fire = times.get(condition["inject"]["id"])
        if condition["after"] not in injects:
            continue
        if fire is None:
            yield ("conditions", index, "after"), "its chain of conditions never starts"
        elif fire > doc["duration_s"]:
            message = f"would fire at {fire:g} s, after the end ({doc['duration_s']:g} s)"
            yield ("conditions", index, "within_s"), message


def _fire_times(doc: dict[str, Any]) -> dict[str, float]:
    """When each inject plays at the latest: conditions may wait on other conditions' alerts."""
    times = {inject["id"]: inject["at"] for inject in doc.get("injects", [])}
    pending = list(doc.get("conditions", []))
    while pending:
        ready = [c for c in pending if c["after"] in times]
        if not ready:
            break  # the rest wait on missing injects or on each other
        for condition in ready:
            deadline = times[condition["after"]] + condition["within_s"]
            times[condition["inject"]["id"]] = deadline + condition["inject"].get("at", 0)
            pending.remove(condition)
    return times


def _expectations(doc: dict[str, Any]) -> Iterator[Finding]:
    injects = {inject["id"]: inject for _path, inject in all_injects(doc)}
    seen: set[str] = set()
    for index, expect in enumerate(doc.get("expect", [])):
        name, where = expect["inject"], ("expect", index)
        if name not in injects:
            yield (*where, "inject"), f"no inject has the id '{name}'"
        elif not raises_alert(injects[name]):
            yield (*where, "inject"), f"'{name}' raises no alert an operator could act on"
        elif name in seen:
            yield (*where, "inject"), f"'{name}' already has an expectation"
        seen.add(name)
        if "escalate_within_s" in expect and expect.get("escalate") is not True:
            yield (*where, "escalate_within_s"), "needs 'escalate: true'"
        if expect.get("false_alarm") and expect.get("escalate"):
            yield (*where, "escalate"), "a false alarm is dismissed, not escalated"


def _event_types(doc: dict[str, Any]) -> Iterator[Finding]:
    terms = default_terminology()
    known = sorted(event.id for event in terms.event_types())
    for path, inject in all_injects(doc):
        event_type = inject["data"].get("event_type")
        if event_type is not None and not terms.knows(event_type):
            close = difflib.get_close_matches(event_type, known, n=2, cutoff=0.5)
            hint = f"; did you mean {' or '.join(close)}?" if close else ""
            message = f"'{event_type}' is not in the terminology{hint}"
            yield (*path, "data", "event_type"), message


def _tools(doc: dict[str, Any]) -> Iterator[Finding]:
    """A tool an inject, series or route names must be declared, so a typo does not start a
    second, silent tool. Kinds served by their default tool need no declaration."""
    declared = set(doc.get("tools", {}))
    places = [(path, item) for path, item in all_injects(doc)]
    for section in ("series", "routes"):
        places += [((section, i), item) for i, item in enumerate(doc.get(section, []))]
    for path, item in places:
        tool = item.get("tool")
        if tool is not None and tool not in declared:
            yield (*path, "tool"), f"tool '{tool}' is not declared under 'tools'"


def _site_references(doc: dict[str, Any], site: SiteIndex) -> Iterator[Finding]:
    """Cameras and sensors named by injects and series exist in the site layers (when the
    scenario has any), and a series reports the quantity its sensor measures."""
    if not site.loaded:
        return
    for path, inject in all_injects(doc):
        data, kind = inject["data"], inject["kind"]
        if kind in {"detection", "camera_failure"}:
            key = "source_id" if kind == "detection" else "camera_id"
            if data[key] not in site.cameras:
                yield (*path, "data", key), f"no camera '{data[key]}' in the site layers"
        elif kind == "observation" and data["sensor_id"] not in site.sensors:
            yield (*path, "data", "sensor_id"), f"no sensor '{data['sensor_id']}' in the site"
    for index, series in enumerate(doc.get("series", [])):
        sensor = site.sensors.get(series["sensor_id"])
        if sensor is None:
            yield ("series", index, "sensor_id"), f"no sensor '{series['sensor_id']}' in the site"
        elif sensor.quantity != series["quantity"]:
            message = f"the sensor measures '{sensor.quantity}', not '{series['quantity']}'"
            yield ("series", index, "quantity"), message


def _snapshots(doc: dict[str, Any], folder: Path) -> Iterator[Finding]:
    for path, inject in all_injects(doc):
        snapshot = inject["data"].get("snapshot") if inject["kind"] == "detection" else None
        if snapshot is not None and not (folder / snapshot).is_file():
            yield (*path, "data", "snapshot"), f"picture not found: {folder / snapshot}"
