"""Hub messages that are not domain records: source health and operator selection."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from app.model import utc_now


class HealthState(StrEnum):
    OK = "ok"
    DEGRADED = "degraded"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class SourceHealth:
    """A data source's state as the status bar shows it; ``last_error`` is shown on hover."""

    source_id: str
    title: str
    state: HealthState
    last_error: str = ""
    records_in: int = 0
    records_rejected: int = 0
    time: datetime = None  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if self.time is None:
            object.__setattr__(self, "time", utc_now())


@dataclass(frozen=True, slots=True)
class Selection:
    """What the operator selected, so that map, video and timeline can follow it."""

    kind: str
    identifier: str
    # Which panel selected it, so that panel does not follow its own selection back.
    origin: str = ""


@dataclass(frozen=True, slots=True)
class ReviewCursor:
    """The moment a commander is reviewing (timeline review mode); ``None`` when back to live.
    Charts draw a cursor there, so every panel points at the same instant."""

    time: datetime | None
