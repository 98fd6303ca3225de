"""Which format a payload is in: by content type when that is decisive, else by its shape.

Generic types (application/json, application/xml, text/plain, none at all) say nothing about
the vocabulary, so the document is sniffed: the XML root element and namespace, or the JSON
top-level shape. What cannot be recognised is an error naming what was seen, never a guess.
"""

from __future__ import annotations

import json
from typing import Any

from app.toolapi.adapters import AdapterError
from app.toolapi.adapters.cap import ATOM_NAMESPACE, CAP_NAMESPACES, xml_root_tag

TOOLAPI_PAGE = "toolapi-page"
TOOLAPI_ALERT = "toolapi-alert"
TOOLAPI_LIST = "toolapi-list"
CAP = "cap"
ATOM_CAP = "atom-cap"
RSS_CAP = "rss-cap"
GEOJSON = "geojson"
STIX = "stix"
FORMATS = (TOOLAPI_PAGE, TOOLAPI_ALERT, TOOLAPI_LIST, CAP, ATOM_CAP, RSS_CAP, GEOJSON, STIX)

_DECISIVE_TYPES = {
    "application/cap+xml": CAP,
    "application/atom+xml": ATOM_CAP,
    "application/rss+xml": RSS_CAP,
    "application/geo+json": GEOJSON,
    "application/vnd.geo+json": GEOJSON,
    "application/stix+json": STIX,
}
_XML_ROOTS = {f"{{{ns}}}alert": CAP for ns in CAP_NAMESPACES} | {
    f"{{{ATOM_NAMESPACE}}}feed": ATOM_CAP,
    "rss": RSS_CAP,
}
# Any one of these keys marks a JSON object as a single tool-API alert.
_ALERT_KEYS = frozenset({"identifier", "event_type", "headline", "sent"})
_BOM = b"\xef\xbb\xbf"
_SHOWN_KEYS = 8


def detect_format(data: bytes, content_type: str | None = None) -> str:
    """One of ``FORMATS``; raises ``AdapterError`` for anything else (or malformed input)."""
    decided = format_from_content_type(content_type)
    if decided is not None:
        return decided
    if is_xml(data):
        return xml_format(xml_root_tag(data))
    return json_format(load_json(data))


def format_from_content_type(content_type: str | None) -> str | None:
    """The format a specific media type names (parameters such as charset ignored)."""
    if not content_type:
        return None
    return _DECISIVE_TYPES.get(content_type.split(";")[0].strip().lower())


def is_xml(data: bytes) -> bool:
    return data.removeprefix(_BOM).lstrip()[:1] == b"<"


def xml_format(root_tag: str) -> str:
    found = _XML_ROOTS.get(root_tag)
    if found is None:
        raise AdapterError(f"XML root <{root_tag}> is not a CAP alert, an Atom feed or RSS 2.0")
    return found


def load_json(data: bytes) -> Any:
    """The decoded document; NaN and Infinity are refused (they are not JSON, and a NaN
    confidence would compare as neither high nor low)."""
    try:
        return json.loads(data.removeprefix(_BOM), parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise AdapterError(
            f"malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from exc
    except UnicodeDecodeError as exc:
        raise AdapterError(f"JSON is not valid UTF-8 (byte {exc.start})") from exc
    except RecursionError as exc:
        raise AdapterError("JSON is nested too deeply") from exc
    except ValueError as exc:
        raise AdapterError(f"malformed JSON: {exc}") from exc


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def json_format(document: Any) -> str:
    if isinstance(document, list):
        if all(isinstance(item, dict) for item in document):
            return TOOLAPI_LIST
        raise AdapterError("JSON list whose items are not all objects is not a known format")
    if not isinstance(document, dict):
        raise AdapterError(f"JSON {type(document).__name__} at top level is not a known format")
    if "api_version" in document:
        return TOOLAPI_PAGE
    kind = document.get("type")
    if kind == "bundle":
        return STIX
    if kind in ("FeatureCollection", "Feature"):
        return GEOJSON
    if _ALERT_KEYS & set(document):
        return TOOLAPI_ALERT
    keys = ", ".join(sorted(str(k)[:40] for k in document)[:_SHOWN_KEYS]) or "none"
    raise AdapterError(f"JSON object with keys [{keys}] is not a known format")
