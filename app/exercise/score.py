"""The score of one exercise run, as immutable records and as a plain JSON document.

The document is what ``ExerciseRun.score`` stores and what the trainer panel and the
after-action report read, so it stays plain JSON (numbers, strings, lists, objects) and carries
a ``version``: a report printed next year reads this year's runs.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from i18n import N_, gettext

DOCUMENT_VERSION = 1

# Status codes, per criterion and per expectation (see ``scoring`` for when each applies).
ON_TIME = "on_time"
LATE = "late"
MISSED = "missed"
PENDING = "pending"
DONE = "done"
PARTIAL = "partial"
CORRECTLY_DISMISSED = "correctly_dismissed"
WRONGLY_DISMISSED = "wrongly_dismissed"
WRONGLY_ESCALATED = "wrongly_escalated"
NOT_PLAYED = "not_played"
# Each status as the trainer panel and the after-action report name it.
STATUS_NAMES = {
    ON_TIME: N_("On time"),
    LATE: N_("Late"),
    MISSED: N_("Missed"),
    PENDING: N_("Pending"),
    DONE: N_("Done"),
    PARTIAL: N_("Partly done"),
    CORRECTLY_DISMISSED: N_("Correctly dismissed"),
    WRONGLY_DISMISSED: N_("Wrongly dismissed"),
    WRONGLY_ESCALATED: N_("Wrongly escalated"),
    NOT_PLAYED: N_("Not played"),
}
STATUSES = tuple(STATUS_NAMES)


def status_name(code: str) -> str:
    """The status in the current language; an unknown code (a newer scorer) as it is."""
    return gettext(STATUS_NAMES[code]) if code in STATUS_NAMES else code


@dataclass(frozen=True, slots=True)
class CriterionScore:
    """One judged part of an expectation. ``name`` is ``acknowledge``, ``escalate``,
    ``dismiss`` or ``sop``; ``taken_s`` is the time the trainee took (scenario seconds from the
    alert's arrival), ``limit_s`` the time allowed; ``done``/``required`` count SOP steps."""

    name: str
    status: str
    points: float
    max_points: float
    taken_s: float | None = None
    limit_s: float | None = None
    done: int | None = None
    required: int | None = None


@dataclass(frozen=True, slots=True)
class ItemScore:
    """One expectation: the inject's alert, what happened to it, and the points it earned."""

    inject: str
    status: str
    points: float
    max_points: float
    weight: float
    false_alarm: bool
    alert_identifier: str | None = None
    headline: str = ""
    arrived_s: float | None = None
    acknowledged_s: float | None = None
    escalated_s: float | None = None
    dismissed_s: float | None = None
    sop_done: int = 0
    criteria: tuple[CriterionScore, ...] = ()


@dataclass(frozen=True, slots=True)
class ExerciseScore:
    """A run's score. ``final`` once the run has ended; ``scenario_s`` is the scenario time it
    was computed at. ``percent`` is points over the maximum of the expectations that apply
    (those whose alert arrived, or may still arrive while the run goes on)."""

    run_id: str
    scenario: str
    computed: datetime
    scenario_s: float
    final: bool
    items: tuple[ItemScore, ...]
    points: float
    max_points: float

    @property
    def percent(self) -> float:
        return 0.0 if self.max_points <= 0 else round(100.0 * self.points / self.max_points, 1)

    def count(self, status: str) -> int:
        return sum(1 for item in self.items if item.status == status)

    @property
    def counts(self) -> dict[str, int]:
        return {status: self.count(status) for status in STATUSES if self.count(status)}

    def to_document(self) -> dict[str, Any]:
        return {
            "version": DOCUMENT_VERSION,
            "run_id": self.run_id,
            "scenario": self.scenario,
            "computed": self.computed.isoformat(),
            "scenario_s": self.scenario_s,
            "final": self.final,
            "points": self.points,
            "max_points": self.max_points,
            "percent": self.percent,
            "counts": self.counts,
            "items": [_item_document(item) for item in self.items],
        }

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> ExerciseScore:
        """Reads a stored score back; raises ``ValueError`` on a document it cannot read."""
        try:
            version = int(document.get("version", 0))
            if version != DOCUMENT_VERSION:
                raise ValueError(f"score document version {version} is not supported")
            return cls(
                run_id=str(document["run_id"]),
                scenario=str(document["scenario"]),
                computed=datetime.fromisoformat(document["computed"]),
                scenario_s=float(document["scenario_s"]),
                final=bool(document["final"]),
                items=tuple(_item_from(item) for item in document["items"]),
                points=float(document["points"]),
                max_points=float(document["max_points"]),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"not a score document: {exc!r}") from exc


def _item_document(item: ItemScore) -> dict[str, Any]:
    document = {f.name: getattr(item, f.name) for f in fields(item) if f.name != "criteria"}
    document["criteria"] = [{f.name: getattr(c, f.name) for f in fields(c)} for c in item.criteria]
    return document


def _item_from(document: dict[str, Any]) -> ItemScore:
    values = {f.name: document[f.name] for f in fields(ItemScore) if f.name in document}
    values["criteria"] = tuple(CriterionScore(**c) for c in document.get("criteria", ()))
    return ItemScore(**values)
