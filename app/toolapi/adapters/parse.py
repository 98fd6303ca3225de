"""One entry point from a payload (a file, an HTTP body) to validated tool-API alerts.

Every adapter's output goes through ``AlertIn`` here, item by item: a batch can be partly good,
and the caller decides what a rejection means (the file importer refuses the whole file, a live
connector keeps the good items). Size is checked before any parsing, so an oversize payload
costs nothing but its length.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from app.toolapi.adapters import AdapterError, EntryError, Extraction, Rejection
from app.toolapi.adapters import detect as fmt
from app.toolapi.adapters.cap import atom_feed, cap_document, parse_xml, rss_feed
from app.toolapi.adapters.geojson import geojson_document
from app.toolapi.adapters.mapping import load_mapping, mapped_document
from app.toolapi.adapters.stix import stix_bundle
from app.toolapi.schema import AlertIn, AlertPage, describe_error

log = logging.getLogger(__name__)

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAPPING = "mapping"
_XML_ADAPTERS = {fmt.CAP: cap_document, fmt.ATOM_CAP: atom_feed, fmt.RSS_CAP: rss_feed}


@dataclass(frozen=True, slots=True)
class ParsedBatch:
    """What a payload held. ``skipped`` items are not alerts at all (a feed entry that only
    links to CAP, a revoked STIX indicator); ``rejected`` items were meant as alerts but are
    wrong, each with the field and the reason."""

    alerts: tuple[AlertIn, ...] = ()
    rejected: tuple[Rejection, ...] = ()
    skipped: tuple[Rejection, ...] = ()
    format: str = ""


def parse_alerts(
    data: bytes,
    content_type: str | None = None,
    mapping: dict[str, Any] | None = None,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> ParsedBatch:
    """Validated alerts from ``data``; with ``mapping`` the payload is vendor JSON read through
    that configuration, otherwise its format is detected. Raises ``AdapterError`` when the
    payload as a whole is unusable (oversize, malformed, refused, unknown format)."""
    if len(data) > max_bytes:
        raise AdapterError(f"payload is {len(data)} bytes, over the limit of {max_bytes} bytes")
    if mapping is not None:
        config = load_mapping(mapping)
        name, extraction = MAPPING, mapped_document(fmt.load_json(data), config)
    else:
        name, extraction = _extract(data, fmt.format_from_content_type(content_type))
    batch = _validate(name, extraction)
    log.info(
        "Parsed %s payload: %d alert(s), %d rejected, %d skipped",
        name,
        len(batch.alerts),
        len(batch.rejected),
        len(batch.skipped),
    )
    return batch


def _extract(data: bytes, name: str | None) -> tuple[str, Extraction]:
    """Parses once: the same tree serves detection (when the content type did not decide)
    and the adapter."""
    if name in _XML_ADAPTERS or (name is None and fmt.is_xml(data)):
        root = parse_xml(data)
        name = name or fmt.xml_format(str(root.tag))
        return name, _XML_ADAPTERS[name](root)
    document = fmt.load_json(data)
    name = name or fmt.json_format(document)
    if name == fmt.GEOJSON:
        return name, geojson_document(document)
    if name == fmt.STIX:
        return name, stix_bundle(document)
    if name == fmt.TOOLAPI_PAGE:
        return name, _items(_page_items(document))
    return name, _items(document if name == fmt.TOOLAPI_LIST else [document])


def _page_items(document: object) -> list[Any]:
    try:
        return AlertPage.model_validate(document).items
    except ValidationError as exc:
        raise AdapterError(f"tool API page is invalid: {describe_error(exc)}") from exc


def _items(items: list[Any]) -> Extraction:
    """Tool-API alerts as sent: nothing to reshape, only to check that each is an object."""
    out = Extraction()
    for position, item in enumerate(items):
        hint = item.get("identifier") if isinstance(item, dict) else None
        out.convert(position, hint, lambda item=item: _as_object(item))
    return out


def _as_object(item: object) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise EntryError("item", "expected a JSON object")
    return item


def _validate(name: str, extraction: Extraction) -> ParsedBatch:
    alerts: list[AlertIn] = []
    rejected = list(extraction.rejected)
    for candidate in extraction.candidates:
        try:
            alerts.append(AlertIn.model_validate(candidate.fields))
        except ValidationError as exc:
            reason = describe_error(exc)
            rejected.append(Rejection(candidate.position, candidate.identifier, reason))
    rejected.sort(key=lambda r: -1 if r.position is None else r.position)
    return ParsedBatch(tuple(alerts), tuple(rejected), tuple(extraction.skipped), name)
