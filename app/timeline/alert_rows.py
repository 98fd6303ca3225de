"""Alert rows to records for review, fast: a review state may hold thousands of alerts and
is rebuilt on every stop of the cursor.

The store's generic decoder (``app.storage.codecs.from_row``) reads each field through its
type hints; here the columns are read directly and the replayed triage goes straight into
the constructor, and JSON lists are decoded only when not empty. Rows with an area (rare,
and a nested shape) take the generic way.
``tests/test_timeline_review.py`` checks both give the same record.
"""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from typing import Any

from app.model import (
    Alert,
    AlertState,
    Category,
    Certainty,
    EvidenceLink,
    GeoPoint,
    MsgType,
    Priority,
    Severity,
    Status,
    Urgency,
)
from app.storage.codecs import from_row
from app.timeline.alert_replay import Triage


def _values(kind: type[Enum]) -> dict[Any, Any]:
    """value → member: a dict lookup is much cheaper than calling the enum per field."""
    return {member.value: member for member in kind}


_STATE, _PRIORITY = _values(AlertState), _values(Priority)
_CATEGORY, _STATUS, _MSG_TYPE = _values(Category), _values(Status), _values(MsgType)
_URGENCY, _SEVERITY, _CERTAINTY = _values(Urgency), _values(Severity), _values(Certainty)


def stored_triage(row: Any) -> Triage:
    """The triage the row holds now."""
    return Triage(
        _STATE[row.state],
        _PRIORITY[row.priority],
        row.assignee,
        row.shelved_until,
        row.state_reason or "",
        row.occurrences,
        row.last_seen,
    )


def alert_from_row(row: Any, triage: Triage) -> Alert:
    """``row`` carries ``evidence`` and ``references`` as JSON text (``review_alerts``)."""
    if row.area is not None:
        decoded = _Decoded(row, evidence=_json(row.evidence), references=_json(row.references))
        return dataclasses.replace(from_row(Alert, decoded), **triage._asdict())
    return Alert(
        identifier=row.identifier,
        sender=row.sender,
        source_tool=row.source_tool,
        sent=row.sent,
        event_type=row.event_type,
        category=_CATEGORY[row.category],
        headline=row.headline,
        status=_STATUS[row.status],
        msg_type=_MSG_TYPE[row.msg_type],
        urgency=_URGENCY[row.urgency],
        severity=_SEVERITY[row.severity],
        certainty=_CERTAINTY[row.certainty],
        description=row.description,
        point=None if row.lat is None else GeoPoint(row.lat, row.lon),
        area=None,
        confidence=row.confidence,
        evidence=tuple(EvidenceLink(**link) for link in _json(row.evidence)),
        references=tuple(_json(row.references)),
        state=triage.state,
        priority=triage.priority,
        assignee=triage.assignee,
        shelved_until=triage.shelved_until,
        state_reason=triage.state_reason,
        occurrences=triage.occurrences,
        last_seen=triage.last_seen,
        version=row.version,
    )


def _json(text: str | None) -> list[Any]:
    return [] if not text or text == "[]" else json.loads(text)


class _Decoded:
    """A row seen with some of its columns replaced by decoded values."""

    def __init__(self, row: Any, **values: Any) -> None:
        self._row = row
        self._values = values

    def __getattr__(self, name: str) -> Any:
        values = self.__dict__["_values"]
        return values[name] if name in values else getattr(self.__dict__["_row"], name)
