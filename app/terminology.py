"""One terminology and symbology for the whole console.

Every panel, report and export asks this registry what an event type is called, which CAP
category it belongs to, what priority it gets by default, which APP-6D / MIL-STD-2525D symbol
(SIDC) draws it and which colour its priority has. Nothing else in the code base hard-codes a
label or a colour, so the map legend and the queue can never disagree.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.bundled import read_json
from app.model import Category, Priority, Status
from i18n import gettext

log = logging.getLogger(__name__)

_SIDC = re.compile(r"^\d{20}$")
# Position 3 of a number-based SIDC is the context: 0 reality, 1 exercise, 2 simulation.
_CONTEXT_INDEX = 2
_CONTEXTS = {Status.ACTUAL: "0", Status.EXERCISE: "1", Status.TEST: "2", Status.SYSTEM: "2"}


class TerminologyError(ValueError):
    """The terminology file is inconsistent; raised at start-up, never mid-shift."""


@dataclass(frozen=True, slots=True)
class EventType:
    id: str
    msgid: str
    category: Category
    priority: Priority
    sidc: str

    @property
    def name(self) -> str:
        """The event type's name in the current UI language."""
        return gettext(self.msgid)

    def sidc_for(self, status: Status) -> str:
        """The symbol code in the record's context, so exercise objects are drawn as such."""
        return _in_context(self.sidc, status)


def _in_context(sidc: str, status: Status) -> str:
    context = _CONTEXTS.get(status, "0")
    return sidc[:_CONTEXT_INDEX] + context + sidc[_CONTEXT_INDEX + 1 :]


@dataclass(frozen=True, slots=True)
class AssetStyle:
    """How a non-alert map object is drawn: cameras, sensors, located posts, tracks."""

    key: str
    msgid: str
    sidc: str

    @property
    def name(self) -> str:
        return gettext(self.msgid)

    def sidc_for(self, status: Status) -> str:
        return _in_context(self.sidc, status)


@dataclass(frozen=True, slots=True)
class PriorityStyle:
    priority: Priority
    msgid: str
    colour: str

    @property
    def name(self) -> str:
        return gettext(self.msgid)


@dataclass(frozen=True, slots=True)
class StateStyle:
    """How a state is shown: a name, a colour and a glyph (shape as well as colour, so that
    colour-blind operators can tell the states apart)."""

    key: str
    msgid: str
    colour: str
    glyph: str

    @property
    def name(self) -> str:
        return gettext(self.msgid)


HEALTH_STATES = ("ok", "degraded", "down")
ASSET_KINDS = ("camera", "sensor", "post", "track")


class Terminology:
    def __init__(self, document: dict[str, Any]) -> None:
        self._health = {
            key: StateStyle(key, value["name"], value["colour"], value["glyph"])
            for key, value in document["health"].items()
        }
        banner = document["exercise"]
        self.exercise = StateStyle("exercise", banner["name"], banner["colour"], banner["glyph"])
        self._categories = {Category(k): v["name"] for k, v in document["categories"].items()}
        self._priorities = {
            Priority(int(k)): PriorityStyle(Priority(int(k)), v["name"], v["colour"])
            for k, v in document["priorities"].items()
        }
        self._events = {
            key: _event_type(key, value) for key, value in document["event_types"].items()
        }
        self.unknown = _event_type("unknown", document["unknown"])
        self._assets = {
            key: AssetStyle(key, value["name"], _checked_sidc(key, value["sidc"]))
            for key, value in document["assets"].items()
        }
        self._identities = {
            key: (value["name"], str(value["identity"]))
            for key, value in document["track_identities"].items()
        }
        self._dimensions: dict[str, str] = dict(document["track_dimensions"])
        self._check_complete()
        self._reported_unknown: set[str] = set()

    def _check_complete(self) -> None:
        missing_health = set(HEALTH_STATES) - set(self._health)
        if missing_health:
            raise TerminologyError(f"terminology lacks health states {sorted(missing_health)}")
        missing_assets = set(ASSET_KINDS) - set(self._assets)
        if missing_assets:
            raise TerminologyError(f"terminology lacks assets {sorted(missing_assets)}")
        missing_categories = set(Category) - set(self._categories)
        missing_priorities = set(Priority) - set(self._priorities)
        if missing_categories or missing_priorities:
            raise TerminologyError(
                f"terminology lacks categories {sorted(missing_categories)} "
                f"or priorities {sorted(missing_priorities)}"
            )

    def event_type(self, event_id: str) -> EventType:
        """The entry for ``event_id``; unknown ids get a generic entry, reported once."""
        entry = self._events.get(event_id)
        if entry is None:
            if event_id not in self._reported_unknown:
                self._reported_unknown.add(event_id)
                log.warning(
                    "Event type %r is not in the terminology; drawing it as unknown", event_id
                )
            return self.unknown
        return entry

    def knows(self, event_id: str) -> bool:
        """Whether ``event_id`` is one of the shared event types (detector classes such as
        ``person`` or ``motion`` are not: they are drawn, never alerted on)."""
        return event_id in self._events

    def event_types(self) -> list[EventType]:
        return list(self._events.values())

    def asset(self, kind: str) -> AssetStyle:
        return self._assets[kind]

    def track_sidc(self, cot_type: str, status: Status) -> str:
        """A Cursor-on-Target type (``a-h-G``: atom, hostile, ground) as a frame of the right
        identity and dimension; what the CoT type does not say stays unknown."""
        parts = cot_type.split("-")
        identity = self._identities.get(parts[1] if len(parts) > 1 else "u", ("", "1"))[1]
        dimension = self._dimensions.get(parts[2] if len(parts) > 2 else "G", "10")
        base = self.asset("track").sidc
        sidc = base[:3] + identity + dimension + base[6:]
        return _in_context(sidc, status)

    def track_identities(self) -> list[tuple[str, str]]:
        """(CoT affiliation letter, translated name) for the legend."""
        return [(key, gettext(msgid)) for key, (msgid, _) in self._identities.items()]

    def category_name(self, category: Category) -> str:
        return gettext(self._categories[category])

    def priority(self, priority: Priority) -> PriorityStyle:
        return self._priorities[priority]

    def health(self, state: str) -> StateStyle:
        return self._health[state]

    def msgids(self) -> list[str]:
        """Every translatable name in the registry, for the catalog completeness test."""
        names = [e.msgid for e in self._events.values()] + [self.unknown.msgid]
        names += list(self._categories.values())
        names += [p.msgid for p in self._priorities.values()]
        names += [h.msgid for h in self._health.values()] + [self.exercise.msgid]
        names += [a.msgid for a in self._assets.values()]
        names += [msgid for msgid, _ in self._identities.values()]
        return names


def _checked_sidc(key: str, value: object) -> str:
    sidc = str(value)
    if not _SIDC.match(sidc):
        raise TerminologyError(f"{key!r}: SIDC {sidc!r} is not 20 digits")
    return sidc


def _event_type(key: str, value: dict[str, Any]) -> EventType:
    sidc = _checked_sidc(key, value["sidc"])
    try:
        return EventType(
            key, value["name"], Category(value["category"]), Priority(int(value["priority"])), sidc
        )
    except (KeyError, ValueError) as exc:
        raise TerminologyError(f"event type {key!r}: {exc}") from exc


@cache
def default_terminology() -> Terminology:
    return Terminology(read_json("terminology.json"))
