"""STIX 2.1 bundles (cyber and physical threat intelligence) to tool-API alert dicts.

Each ``indicator`` and each ``observed-data`` becomes one alert. A bundle is a graph, so the
other objects are followed rather than imported: ``sighting`` objects of an indicator add
evidence and raise its confidence, and ``location`` objects reached through a ``located-at`` or
``targets`` relationship (or a sighting's ``where_sighted_refs``) place the alert on the map.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from app.toolapi.adapters import AdapterError, EntryError, Extraction, Rejection

CYBER = "cyber_intrusion"
PHYSICAL = "physical_threat_intel"
EVENT_TYPE_PROPERTY = "x_watchfloor_event_type"
# Cyber-observable types whose presence in a pattern or an observation means "cyber".
CYBER_OBSERVABLES = frozenset(
    {
        "ipv4-addr",
        "ipv6-addr",
        "domain-name",
        "url",
        "file",
        "process",
        "network-traffic",
        "user-account",
        "email-addr",
        "email-message",
        "mac-addr",
        "windows-registry-key",
        "x509-certificate",
        "autonomous-system",
        "mutex",
        "directory",
        "software",
    }
)
CYBER_INDICATOR_TYPES = frozenset({"malicious-activity", "compromised", "anomalous-activity"})
PHYSICAL_WORDS = frozenset({"physical", "venue", "event"})
LOCATION_LINKS = ("located-at", "targets")
ALERT_SOURCES = ("indicator", "observed-data")
# A sighting of unstated quality removes a quarter of the remaining doubt; an indicator that
# states no confidence starts from 0.5 (STIX: "not specified"), not from certainty.
SIGHTING_WEIGHT = 0.25
NEUTRAL_CONFIDENCE = 0.5
HEADLINE_FROM_TEXT = 120
EVIDENCE_MAX = 50
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'")
_OBJECT_PATH = re.compile(r"(?<![\w-])([a-z][a-z0-9-]*):")
_WORDS = re.compile(r"[^a-z0-9]+")
_SEVERITY_LABEL = re.compile(
    r"^(?:severity[\s:=_-]*)?(critical|extreme|high|severe|medium|moderate|low|minor)"
    r"(?:[\s:=_-]*severity)?$"
)
_SEVERITIES = {
    "critical": "Extreme",
    "extreme": "Extreme",
    "high": "Severe",
    "severe": "Severe",
    "medium": "Moderate",
    "moderate": "Moderate",
    "low": "Minor",
    "minor": "Minor",
}


@dataclass(slots=True)
class _Graph:
    """The bundle's objects by id, and the edges alerts need."""

    objects: dict[str, dict[str, Any]]
    locations: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    sightings: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def get(self, ref: object, kind: str) -> dict[str, Any] | None:
        found = self.objects.get(ref) if isinstance(ref, str) else None
        return found if found is not None and found.get("type") == kind else None


def stix_bundle(document: object) -> Extraction:
    """One alert per indicator and per observed-data object of the bundle."""
    objects = _bundle_objects(document)
    graph = _graph(objects)
    out = Extraction()
    for position, obj in enumerate(objects):
        if not isinstance(obj, dict):
            out.rejected.append(Rejection(position, None, "object: expected a JSON object"))
        elif obj.get("type") not in ALERT_SOURCES:
            continue
        elif obj.get("revoked") is True:
            out.skip(position, obj.get("id"), "revoked by its producer")
        else:
            out.convert(position, obj.get("id"), lambda obj=obj: stix_alert_fields(obj, graph))
    return out


def _bundle_objects(document: object) -> list[Any]:
    if not isinstance(document, dict) or document.get("type") != "bundle":
        raise AdapterError('expected a STIX bundle ({"type": "bundle", ...})')
    objects = document.get("objects", [])
    if not isinstance(objects, list):
        raise AdapterError("STIX bundle 'objects' is not a list")
    return objects


def _graph(objects: list[Any]) -> _Graph:
    graph = _Graph({o["id"]: o for o in objects if isinstance(o, dict) and _id(o)})
    for obj in graph.objects.values():
        if obj.get("type") == "relationship" and obj.get("relationship_type") in LOCATION_LINKS:
            location = graph.get(obj.get("target_ref"), "location")
            source = obj.get("source_ref")
            if location is not None and isinstance(source, str):
                graph.locations.setdefault(source, []).append(location)
        elif obj.get("type") == "sighting" and graph.get(obj.get("sighting_of_ref"), "indicator"):
            graph.sightings.setdefault(obj["sighting_of_ref"], []).append(obj)
    return graph


def stix_alert_fields(obj: dict[str, Any], graph: _Graph) -> dict[str, Any]:
    """One indicator or observed-data object as a tool-API dict."""
    sightings = graph.sightings.get(_id(obj), [])
    indicator = obj.get("type") == "indicator"
    fields: dict[str, Any] = {
        "identifier": obj.get("id"),
        "sender": obj.get("created_by_ref") or "stix",
        "sent": obj.get("created") or obj.get("modified"),
        "category": "Security",
        "event_type": _indicator_event_type(obj) if indicator else _observed_event_type(obj),
        "headline": _headline(obj) if indicator else _observed_headline(obj),
        "description": _description(obj) if indicator else _observed_description(obj, graph),
        "severity": _severity(obj.get("labels")),
        "confidence": _confidence(obj.get("confidence"), sightings),
    }
    if sightings or not indicator:
        fields["certainty"] = "Observed"
    fields.update(_location_fields(obj, sightings, graph))
    evidence = _references(obj) + [_sighting_evidence(s) for s in sightings]
    if evidence:
        fields["evidence"] = evidence[:EVIDENCE_MAX]
    return {key: value for key, value in fields.items() if value is not None}


def _id(obj: dict[str, Any]) -> str:
    ident = obj.get("id")
    return ident if isinstance(ident, str) else ""


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def _dicts(value: object) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _pattern_objects(pattern: object) -> set[str]:
    """Object types a STIX pattern compares ("[ipv4-addr:value = ...]" -> {"ipv4-addr"});
    quoted literals are blanked first so that a URL inside one is not read as a type."""
    if not isinstance(pattern, str):
        return set()
    return set(_OBJECT_PATH.findall(_QUOTED.sub("''", pattern)))


def _indicator_event_type(obj: dict[str, Any]) -> str:
    """In order: an explicit ``x_watchfloor_event_type``; cyber when a STIX pattern compares
    cyber observables (concrete evidence); physical when the labels say physical/venue/event
    (a generic "malicious-activity" type does not outweigh that); cyber for the cyber indicator
    types; physical otherwise (e.g. "attribution" or "unknown" aimed at a place)."""
    override = obj.get(EVENT_TYPE_PROPERTY)
    if isinstance(override, str):
        return override
    if obj.get("pattern_type", "stix") == "stix" and (
        _pattern_objects(obj.get("pattern")) & CYBER_OBSERVABLES
    ):
        return CYBER
    words = {w for label in _strings(obj.get("labels")) for w in _WORDS.split(label.lower())}
    if words & PHYSICAL_WORDS:
        return PHYSICAL
    if set(_strings(obj.get("indicator_types"))) & CYBER_INDICATOR_TYPES:
        return CYBER
    return PHYSICAL


def _observed_types(obj: dict[str, Any]) -> set[str]:
    """Observable types from ``object_refs`` ids (the type is the id's prefix, so it is known
    even when the observable is not in the bundle) and from deprecated embedded ``objects``."""
    types = {ref.partition("--")[0] for ref in _strings(obj.get("object_refs"))}
    embedded = obj.get("objects")
    if isinstance(embedded, dict):
        types |= set(_strings([o.get("type") for o in embedded.values() if isinstance(o, dict)]))
    return types


def _observed_event_type(obj: dict[str, Any]) -> str:
    override = obj.get(EVENT_TYPE_PROPERTY)
    if isinstance(override, str):
        return override
    return CYBER if _observed_types(obj) & CYBER_OBSERVABLES else PHYSICAL


def _headline(obj: dict[str, Any]) -> str | None:
    name, description = obj.get("name"), obj.get("description")
    if isinstance(name, str) and name.strip():
        return name
    if isinstance(description, str) and description.strip():
        return description.strip()[:HEADLINE_FROM_TEXT]
    pattern = obj.get("pattern")
    return pattern[:HEADLINE_FROM_TEXT] if isinstance(pattern, str) else None


def _description(obj: dict[str, Any]) -> str:
    parts = [obj["description"]] if isinstance(obj.get("description"), str) else []
    if isinstance(obj.get("pattern"), str):
        parts.append(f"Pattern ({obj.get('pattern_type', 'stix')}): {obj['pattern']}")
    return "\n\n".join(parts)


def _observed_headline(obj: dict[str, Any]) -> str:
    if isinstance(obj.get("name"), str) and obj["name"].strip():
        return obj["name"]
    types = ", ".join(sorted(_observed_types(obj))) or "unspecified objects"
    count = obj.get("number_observed")
    return f"Observed {types}" + (f" ({count} times)" if isinstance(count, int) else "")


def _observed_description(obj: dict[str, Any], graph: _Graph) -> str:
    lines = [obj["description"]] if isinstance(obj.get("description"), str) else []
    if obj.get("first_observed") or obj.get("last_observed"):
        lines.append(
            f"Observed {obj.get('first_observed', '?')} to {obj.get('last_observed', '?')}"
        )
    for ref in _strings(obj.get("object_refs")):
        observable = graph.objects.get(ref, {})
        value = observable.get("value") or observable.get("name")
        kind = ref.partition("--")[0]
        lines.append(f"{kind}: {value}" if value else kind)
    return "\n".join(lines)


def _severity(labels: object) -> str | None:
    """A severity only when a label plainly states one ("high", "severity:high")."""
    for label in _strings(labels):
        match = _SEVERITY_LABEL.match(label.strip().lower())
        if match:
            return _SEVERITIES[match.group(1)]
    return None


def _confidence(value: object, sightings: list[dict[str, Any]]) -> float:
    """STIX 0..100 as 0..1 (absent: 0.5, STIX's "not stated"); each sighting then removes a
    share of the remaining doubt, weighted by its own confidence when it states one, so a
    sighting can only raise it. Out-of-range values pass through for validation to name."""
    if value is None:
        confidence = NEUTRAL_CONFIDENCE
    elif isinstance(value, bool) or not isinstance(value, int | float):
        raise EntryError("confidence", "STIX confidence must be a number from 0 to 100")
    else:
        confidence = value / 100
        if not 0.0 <= confidence <= 1.0:
            return confidence
    for sighting in sightings:
        own = sighting.get("confidence")
        weight = own / 100 if isinstance(own, int | float) and 0 <= own <= 100 else 1.0
        confidence = 1.0 - (1.0 - confidence) * (1.0 - SIGHTING_WEIGHT * weight)
    return round(confidence, 4)


def _location_fields(
    obj: dict[str, Any], sightings: list[dict[str, Any]], graph: _Graph
) -> dict[str, Any]:
    """Linked locations first, then where the indicator was sighted; a located one wins."""
    candidates = list(graph.locations.get(_id(obj), []))
    for sighting in sightings:
        for ref in _strings(sighting.get("where_sighted_refs")):
            location = graph.get(ref, "location")
            if location is not None:
                candidates.append(location)
    if not candidates:
        return {}
    located = [c for c in candidates if "latitude" in c and "longitude" in c]
    fields: dict[str, Any] = {}
    if located:
        location = located[0]
        coordinates = [location["longitude"], location["latitude"]]
        fields["geometry"] = {"type": "Point", "coordinates": coordinates}
    else:
        location = candidates[0]
    names = [location.get(key) for key in ("name", "city", "country")]
    description = ", ".join(dict.fromkeys(n.strip() for n in names if isinstance(n, str)))
    if description:
        fields["area"] = {"description": description}
    return fields


def _references(obj: dict[str, Any]) -> list[dict[str, str]]:
    evidence = []
    for ref in _dicts(obj.get("external_references")):
        if isinstance(ref.get("url"), str):
            caption = " ".join(
                str(ref[k]) for k in ("source_name", "external_id", "description") if k in ref
            )
            evidence.append({"kind": "reference", "uri": ref["url"], "caption": caption[:512]})
    return evidence


def _sighting_evidence(sighting: dict[str, Any]) -> dict[str, str]:
    urls = [r.get("url") for r in _dicts(sighting.get("external_references"))]
    uri = next((u for u in urls if isinstance(u, str)), _id(sighting) or "sighting")
    if isinstance(sighting.get("description"), str):
        caption = sighting["description"]
    else:
        count = sighting.get("count")
        caption = f"Sighted {count} times" if isinstance(count, int) else "Sighted"
        if sighting.get("first_seen"):
            caption += f", {sighting['first_seen']} to {sighting.get('last_seen', '?')}"
    return {"kind": "sighting", "uri": str(uri), "caption": caption[:512]}
