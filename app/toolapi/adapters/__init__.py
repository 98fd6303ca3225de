"""Adapters from what real tools already speak (CAP 1.2, Atom/RSS with CAP, GeoJSON, STIX 2.1,
vendor JSON through a field mapping) to tool-API alert dicts.

Adapters only reshape: every dict they produce is validated by ``AlertIn`` in
``adapters.parse``, so a vendor format can never smuggle past the rules a native tool obeys.
The entry point is ``app.toolapi.adapters.parse.parse_alerts``; this module holds the small
vocabulary the adapters share, so that they need not import each other.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
_HINT_MAX = 120
EVENT_TYPE_MAX = 64


class AdapterError(ValueError):
    """The whole document is unusable (malformed, refused, oversize, unknown format)."""


class EntryError(ValueError):
    """One item of a document cannot be converted; it becomes a rejection naming the field."""

    def __init__(self, field_name: str, reason: str) -> None:
        super().__init__(f"{field_name}: {reason}")
        self.field_name = field_name


@dataclass(frozen=True, slots=True)
class Rejection:
    """One item that did not become an alert. ``position`` is its 0-based index in the document
    (entry, feature, object or list item) so that a long file can be fixed item by item."""

    position: int | None
    identifier: str | None
    reason: str

    def __str__(self) -> str:
        where = "document" if self.position is None else f"item {self.position + 1}"
        if self.identifier:
            where += f" ({self.identifier})"
        return f"{where}: {self.reason}"


@dataclass(frozen=True, slots=True)
class Candidate:
    """An alert dict as an adapter built it, not yet validated."""

    position: int
    identifier: str | None
    fields: dict[str, Any]


@dataclass(slots=True)
class Extraction:
    """What an adapter got out of one document: candidates, items it could not convert, and
    items that are not alerts at all (skipped, e.g. a feed entry that only links to CAP)."""

    candidates: list[Candidate] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    skipped: list[Rejection] = field(default_factory=list)

    def convert(
        self, position: int, identifier: object, build: Callable[[], dict[str, Any]]
    ) -> None:
        """Runs ``build``; an ``EntryError`` rejects this item only, never the document."""
        hint = identifier_hint(identifier)
        try:
            self.candidates.append(Candidate(position, hint, build()))
        except EntryError as exc:
            self.rejected.append(Rejection(position, hint, str(exc)))
        except (TypeError, ValueError, KeyError, IndexError, AttributeError) as exc:
            # A shape no adapter foresaw: one rejected item, never a failed import or a crash.
            log.warning("Item %d could not be converted", position, exc_info=True)
            reason = f"item: unexpected structure ({type(exc).__name__})"
            self.rejected.append(Rejection(position, hint, reason))

    def skip(self, position: int, identifier: object, reason: str) -> None:
        self.skipped.append(Rejection(position, identifier_hint(identifier), reason))


def identifier_hint(value: object) -> str | None:
    """A printable, bounded identifier for reports; the payload is never echoed beyond this."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = "".join(c if c.isprintable() else "?" for c in value.strip())
    return text if len(text) <= _HINT_MAX else text[: _HINT_MAX - 1] + "…"


def slug(text: str) -> str:
    """An event-type id from free text ("Knife Detected" -> "knife_detected"): lowercase ASCII,
    runs of anything else become one "_". Accents are folded rather than dropped, so "Émeute"
    keeps its letters."""
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("_", folded.lower()).strip("_")[:EVENT_TYPE_MAX].rstrip("_")


def ring_centroid(ring: Sequence[Sequence[float]], field_name: str) -> list[float]:
    """The mean of a ring's distinct vertices as [lon, lat]: a point inside any convex outline,
    which is all a city-scale marker needs (the closing vertex would bias it, so it is left out).
    """
    try:
        points = [(float(p[0]), float(p[1])) for p in ring]
    except (TypeError, ValueError, IndexError, KeyError) as exc:
        raise EntryError(field_name, "positions must be [longitude, latitude] numbers") from exc
    if len(points) > 1 and points[0] == points[-1]:
        points = points[:-1]
    if not points:
        raise EntryError(field_name, "the outline has no positions")
    return [
        sum(lon for lon, _ in points) / len(points),
        sum(lat for _, lat in points) / len(points),
    ]


__all__ = [
    "AdapterError",
    "Candidate",
    "EntryError",
    "Extraction",
    "Rejection",
    "identifier_hint",
    "ring_centroid",
    "slug",
]
