"""Standard operating procedure checklists per event type, kept as data.

The steps are written in English in ``resources/alerts/sop_checklists.json`` as objects with a
``"name"`` so that the project's JSON extractor puts them in the catalogs; they are translated
when asked for, so a language switch takes effect on the next look. An event type without a
checklist gets the generic one ("unknown") rather than nothing: an operator under pressure
always has a first step.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.bundled import read_json
from i18n import gettext

RESOURCE = "alerts/sop_checklists.json"
FALLBACK = "unknown"


class SopError(ValueError):
    """The checklist file is unusable; the message names the offending key."""


@dataclass(frozen=True, slots=True)
class SopLibrary:
    checklists: dict[str, tuple[str, ...]]  # event type id -> English steps (msgids)

    @classmethod
    def load(cls) -> SopLibrary:
        return cls.from_document(read_json(RESOURCE))

    @classmethod
    def from_document(cls, document: Any) -> SopLibrary:
        if not isinstance(document, dict) or not isinstance(document.get("checklists"), dict):
            raise SopError("SOP checklists: 'checklists' must be an object")
        checklists = {
            event: _steps(steps, f"checklists.{event}")
            for event, steps in document["checklists"].items()
        }
        if FALLBACK not in checklists:
            raise SopError(f"SOP checklists: missing key 'checklists.{FALLBACK}'")
        return cls(checklists)

    def steps(self, event_type: str) -> tuple[str, ...]:
        """The event type's steps in the current UI language, in order."""
        steps = self.checklists.get(event_type) or self.checklists[FALLBACK]
        return tuple(gettext(step) for step in steps)

    def has_checklist(self, event_type: str) -> bool:
        return event_type in self.checklists

    def msgids(self) -> list[str]:
        """Every step as written, for catalog completeness checks."""
        return sorted({step for steps in self.checklists.values() for step in steps})


def _steps(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise SopError(f"SOP checklists: {path!r} must list one or more steps")
    steps = []
    for i, item in enumerate(value):
        name = item.get("name") if isinstance(item, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise SopError(f"SOP checklists: '{path}[{i}].name' must be a non-empty text")
        steps.append(name)
    return tuple(steps)
