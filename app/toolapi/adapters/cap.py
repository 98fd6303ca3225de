"""CAP 1.2 alerts, alone or embedded in Atom and RSS 2.0 feeds, to tool-API alert dicts.

XML from outside is parsed only by defusedxml with DTDs forbidden: a document that declares a
DTD, an entity or an external reference is refused outright (no file disclosure through XXE, no
entity-expansion bomb). A feed entry that only links to a CAP document is reported as skipped:
following links from an imported file would let the file make the console fetch URLs.
"""

from __future__ import annotations

import io
import logging
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import defusedxml
import defusedxml.ElementTree as SafeET

from app.toolapi.adapters import (
    AdapterError,
    EntryError,
    Extraction,
    Rejection,
    identifier_hint,
    ring_centroid,
    slug,
)

log = logging.getLogger(__name__)

CAP_NAMESPACES = (
    "urn:oasis:names:tc:emergency:cap:1.2",
    "urn:oasis:names:tc:emergency:cap:1.1",  # same element names; still served by many feeds
)
ATOM_NAMESPACE = "http://www.w3.org/2005/Atom"
EVENT_CODE_NAME = "watchfloor"
CAPTION_MAX = 512
_SAFE = {"forbid_dtd": True, "forbid_entities": True, "forbid_external": True}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_NOT_LINKED = "no embedded CAP alert (linked documents are never fetched)"
# CAP 1.0/1.1 spelling that CAP 1.2 folded into "Likely".
_CERTAINTY_ALIASES = {"very likely": "Likely"}


@contextmanager
def _refusals() -> Iterator[None]:
    """Turns the parser's refusals and syntax errors into one readable ``AdapterError``."""
    try:
        yield
    except defusedxml.DTDForbidden as exc:
        raise AdapterError(
            "XML with a DTD (<!DOCTYPE ...>) is refused: DTDs, entities and external "
            "references are never processed"
        ) from exc
    except defusedxml.EntitiesForbidden as exc:
        raise AdapterError("XML entity declarations are refused") from exc
    except defusedxml.DefusedXmlException as exc:
        raise AdapterError(f"XML refused: {type(exc).__name__}") from exc
    except ET.ParseError as exc:
        raise AdapterError(f"malformed XML: {exc}") from exc
    except LookupError as exc:
        raise AdapterError(f"XML declares an encoding Python does not know: {exc}") from exc


def parse_xml(data: bytes) -> ET.Element:
    """The root element of ``data``, parsed safely (see the module docstring)."""
    with _refusals():
        return SafeET.fromstring(data, **_SAFE)


def xml_root_tag(data: bytes) -> str:
    """The root's ``{namespace}name`` without building the tree: enough to detect a format,
    and a DTD is refused here too, before any entity could be expanded."""
    with _refusals():
        for _event, element in SafeET.iterparse(io.BytesIO(data), events=("start",), **_SAFE):
            return str(element.tag)
    raise AdapterError("XML document has no root element")


def is_cap_alert(element: ET.Element) -> bool:
    return any(element.tag == f"{{{ns}}}alert" for ns in CAP_NAMESPACES)


class _Cap:
    """Namespaced child look-ups; CAP children share the namespace of their <alert>."""

    def __init__(self, alert: ET.Element) -> None:
        self.ns = alert.tag[1:].partition("}")[0]

    def first(self, parent: ET.Element, name: str) -> ET.Element | None:
        return parent.find(f"{{{self.ns}}}{name}")

    def all(self, parent: ET.Element, name: str) -> list[ET.Element]:
        return parent.findall(f"{{{self.ns}}}{name}")

    def text(self, parent: ET.Element, name: str) -> str | None:
        element = self.first(parent, name)
        text = None if element is None else (element.text or "").strip()
        return text or None


def _put(target: dict[str, Any], key: str, value: object) -> None:
    """Absent CAP elements stay absent, so validation says "field required" about them."""
    if value is not None:
        target[key] = value


def cap_alert_fields(alert: ET.Element) -> dict[str, Any]:
    """One CAP <alert> as a tool-API dict (raises ``EntryError`` for what cannot be mapped)."""
    cap = _Cap(alert)
    fields: dict[str, Any] = {}
    for key, name in (
        ("identifier", "identifier"),
        ("sender", "sender"),
        ("sent", "sent"),
        ("status", "status"),
        ("msg_type", "msgType"),
    ):
        _put(fields, key, cap.text(alert, name))
    references = cap.text(alert, "references")
    if references:
        fields["references"] = _reference_identifiers(references)
    info = _pick_info(cap, alert)
    if info is None:
        raise EntryError("info", "a CAP alert needs at least one <info> block")
    fields.update(_info_fields(cap, info))
    return fields


def _reference_identifiers(text: str) -> list[str]:
    """CAP references are "sender,identifier,sent" triples; the tool API keeps identifiers.
    A token that is not a triple is kept whole, so validation can name it."""
    triples = (token.split(",") for token in text.split())
    return [parts[1] if len(parts) == 3 else ",".join(parts) for parts in triples]


def _pick_info(cap: _Cap, alert: ET.Element) -> ET.Element | None:
    """The first English <info>, else the first one (CAP's default language is en-US)."""
    infos = cap.all(alert, "info")
    for info in infos:
        if (cap.text(info, "language") or "en-US").lower().startswith("en"):
            return info
    return infos[0] if infos else None


def _info_fields(cap: _Cap, info: ET.Element) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    _put(fields, "category", cap.text(info, "category"))
    _put(fields, "event_type", _event_type(cap, info))
    _put(fields, "urgency", cap.text(info, "urgency"))
    _put(fields, "severity", cap.text(info, "severity"))
    certainty = cap.text(info, "certainty")
    _put(fields, "certainty", _CERTAINTY_ALIASES.get((certainty or "").lower(), certainty))
    _put(fields, "headline", cap.text(info, "headline") or cap.text(info, "event"))
    _put(fields, "description", cap.text(info, "description"))
    _put(fields, "confidence", _parameter(cap, info, "confidence"))
    evidence = _evidence(cap, info)
    if evidence:
        fields["evidence"] = evidence
    fields.update(_area_fields(cap, info))
    return fields


def _event_type(cap: _Cap, info: ET.Element) -> str | None:
    """An explicit <eventCode valueName="watchfloor"> wins; otherwise the slug of <event>."""
    for code in cap.all(info, "eventCode"):
        if (cap.text(code, "valueName") or "").lower() == EVENT_CODE_NAME:
            return cap.text(code, "value")
    event = cap.text(info, "event")
    if event is None:
        return None
    event_type = slug(event)
    if not event_type:
        raise EntryError("event_type", "<event> has no letters or digits to name a type by")
    return event_type


def _parameter(cap: _Cap, info: ET.Element, name: str) -> str | None:
    for parameter in cap.all(info, "parameter"):
        if (cap.text(parameter, "valueName") or "").lower() == name:
            return cap.text(parameter, "value")
    return None


def _evidence(cap: _Cap, info: ET.Element) -> list[dict[str, str]]:
    """<resource> links; one with only embedded data (derefUri) has nothing to link to."""
    evidence = []
    for resource in cap.all(info, "resource"):
        uri = cap.text(resource, "uri")
        if uri is None:
            log.debug("CAP resource without <uri> left out")
            continue
        mime = cap.text(resource, "mimeType") or ""
        caption = cap.text(resource, "resourceDesc") or ""
        if len(caption) > CAPTION_MAX:
            caption = caption[: CAPTION_MAX - 1] + "…"
        kind = mime.partition("/")[0].strip().lower() or "resource"
        evidence.append({"kind": kind, "uri": uri, "caption": caption})
    return evidence


def _area_fields(cap: _Cap, info: ET.Element) -> dict[str, Any]:
    """The first <area>: its outline (CAP "lat,lon" turned into GeoJSON [lon, lat]) and a
    point to draw it by: the circle's centre, else the outline's centroid."""
    area = cap.first(info, "area")
    if area is None:
        return {}
    fields: dict[str, Any] = {"area": {}}
    _put(fields["area"], "description", cap.text(area, "areaDesc"))
    polygon = cap.text(area, "polygon")
    ring = _cap_polygon(polygon) if polygon else None
    if ring is not None:
        fields["area"]["polygon"] = {"type": "Polygon", "coordinates": [ring]}
    circle = cap.text(area, "circle")
    if circle:
        fields["geometry"] = {"type": "Point", "coordinates": _cap_circle_centre(circle)}
    elif ring is not None:
        centre = ring_centroid(ring, "area.polygon")
        fields["geometry"] = {"type": "Point", "coordinates": centre}
    return fields


def _cap_pair(text: str) -> list[float]:
    """CAP "lat,lon" as GeoJSON [lon, lat]."""
    lat, lon = (float(part) for part in text.split(","))
    return [lon, lat]


def _cap_polygon(text: str) -> list[list[float]]:
    ring = []
    for index, token in enumerate(text.split(), start=1):
        try:
            ring.append(_cap_pair(token))
        except ValueError as exc:
            raise EntryError(
                "area.polygon", f"position {index} is not a 'latitude,longitude' pair"
            ) from exc
    return ring


def _cap_circle_centre(text: str) -> list[float]:
    try:
        centre, radius = text.split()
        float(radius)
        return _cap_pair(centre)
    except ValueError as exc:
        raise EntryError("area.circle", "expected 'latitude,longitude radius_km'") from exc


def _alert_identifier(alert: ET.Element) -> str | None:
    return _Cap(alert).text(alert, "identifier")


def cap_document(root: ET.Element) -> Extraction:
    """A standalone CAP document: one alert."""
    if not is_cap_alert(root):
        raise AdapterError(f"expected a CAP <alert> root element, found <{root.tag}>")
    out = Extraction()
    out.convert(0, _alert_identifier(root), lambda: cap_alert_fields(root))
    return out


def atom_feed(root: ET.Element) -> Extraction:
    """An Atom feed: one alert per <entry> that embeds CAP."""
    if root.tag != f"{{{ATOM_NAMESPACE}}}feed":
        raise AdapterError(f"expected an Atom <feed> root element, found <{root.tag}>")
    out = Extraction()
    for position, entry in enumerate(root.findall(f"{{{ATOM_NAMESPACE}}}entry")):
        hint = _child_text(entry, f"{{{ATOM_NAMESPACE}}}id", f"{{{ATOM_NAMESPACE}}}title")
        _feed_entry(out, position, entry, hint)
    return out


def rss_feed(root: ET.Element) -> Extraction:
    """An RSS 2.0 feed: one alert per <item> that embeds CAP."""
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise AdapterError(f"expected an RSS <rss><channel> document, found <{root.tag}>")
    out = Extraction()
    for position, item in enumerate(channel.findall("item")):
        _feed_entry(out, position, item, _child_text(item, "guid", "link", "title"))
    return out


def _child_text(parent: ET.Element, *names: str) -> str | None:
    for name in names:
        element = parent.find(name)
        if element is not None and (element.text or "").strip():
            return (element.text or "").strip()
    return None


def _feed_entry(out: Extraction, position: int, entry: ET.Element, hint: str | None) -> None:
    try:
        alert = _embedded_alert(entry)
    except AdapterError as exc:
        out.rejected.append(Rejection(position, identifier_hint(hint), f"content: {exc}"))
        return
    if alert is None:
        out.skip(position, hint, _NOT_LINKED)
        return
    out.convert(position, _alert_identifier(alert) or hint, lambda: cap_alert_fields(alert))


def _embedded_alert(entry: ET.Element) -> ET.Element | None:
    """A CAP <alert> inside the entry, as XML elements or as escaped XML text."""
    for element in entry.iter():
        if is_cap_alert(element):
            return element
    for element in entry.iter():
        text = (element.text or "").strip()
        if text.startswith("<") and any(ns in text for ns in CAP_NAMESPACES):
            # Re-encoded as UTF-8, so the text's own encoding declaration no longer applies.
            root = parse_xml(_XML_DECLARATION.sub("", text).encode("utf-8"))
            if is_cap_alert(root):
                return root
    return None
