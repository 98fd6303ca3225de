"""The alert queue as it stood at ``t``.

Which alerts: every alert **open at t**, whenever it was sent, plus every alert that **changed
in the hour before t** (sent, repeated, or acted on), even if closed by then. Why not the
live queue's 24 hours: a review asks "what faced the operator at that moment", which is the
open work and what was just handled; closed alerts from the morning are history the timeline
lanes already show, and on a busy day (50,000 alerts) a 24-hour window would put the whole
day into every frame of a scrub and make it slow for no insight.

Whether an alert existed at ``t``: it was sent at or before ``t`` and stored by then. The
store keeps only the last time it wrote the row (``stored``), and rewrites it for every
repeat or re-delivery, so a row written after ``t`` still counts as existing when something
proves an earlier copy: a folded repeat (``occurrences`` > 1) or an operator action by ``t``.

Each candidate is read through four indexed queries (sent in the hour; older and still
open; older and acted on in the hour; older and closed after ``t``), and its
triage is replayed from its actions (``alert_replay``). Rows are read through the session's
connection, without the ORM layer: thousands of them per state.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Text, exists, func, select, type_coerce
from sqlalchemy.orm import Session

from app.alerts.lifecycle import OPEN_STATES
from app.model import Alert
from app.storage.orm import AlertActionRow, AlertRow
from app.timeline.alert_replay import CLOSING, REPLAYED, ActionFact, triage_at
from app.timeline.alert_rows import alert_from_row, stored_triage

RECENT = timedelta(hours=1)
CHUNK = 500  # identifiers per IN (...): stays under every backend's parameter limit
_OPEN = sorted(state.value for state in OPEN_STATES)
# Evidence and references come as JSON text, decoded only when not empty (most are).
_RAW = ("evidence", "references")
_COLUMNS = select(
    *(
        type_coerce(c, Text).label(c.name) if c.name in _RAW else c
        for c in AlertRow.__table__.columns
    )
)


@dataclass(frozen=True, slots=True)
class _Sizes:
    """Both sides of the recording around ``t``, counted on their time indexes."""

    old_alerts: int  # sent an hour or more before t
    later_actions: int  # taken after t


def alerts_at(session: Session, t: datetime, recent: timedelta = RECENT) -> list[Alert]:
    """The alerts of the queue at ``t`` with the triage they had then, most urgent first."""
    since = t - recent
    connection = session.connection()
    sizes = _Sizes(
        connection.scalar(select(func.count()).where(AlertRow.sent <= since)) or 0,
        connection.scalar(select(func.count()).where(AlertActionRow.time > t)) or 0,
    )
    rows, acted = _candidates(connection, t, since, sizes)
    actions = _actions(connection, _to_replay(connection, rows, t, sizes))
    result = []
    for identifier, row in rows.items():
        facts = actions.get(identifier, [])
        if not _existed(row, facts, t):
            continue
        triage = triage_at(stored_triage(row), facts, t)
        if triage.state in OPEN_STATES or _changed(row, identifier in acted, since, t):
            result.append(alert_from_row(row, triage))
    result.sort(key=lambda a: (a.priority, a.sent))
    return result


def _candidates(
    connection: Connection, t: datetime, since: datetime, sizes: _Sizes
) -> tuple[dict[str, Any], set[str]]:
    """The rows that may belong to the queue at ``t``, and which of them were acted on in
    the hour before it."""
    older = AlertRow.sent <= since
    in_hour = select(AlertActionRow.alert_identifier).where(
        AlertActionRow.time > since, AlertActionRow.time <= t
    )
    rows: dict[str, Any] = {}
    # Repeats fold only into open alerts, so an old alert repeated in the hour is open now,
    # or was closed in the hour (acted on), or after ``t``: it needs no query of its own.
    for query in (
        _COLUMNS.where(AlertRow.sent > since, AlertRow.sent <= t),
        _COLUMNS.where(older, AlertRow.state.in_(_OPEN)),
        _COLUMNS.where(older, AlertRow.state.not_in(_OPEN), _closed_after(t, sizes)),
    ):
        rows.update((row.identifier, row) for row in connection.execute(query))
    acted = set()
    for row in connection.execute(_COLUMNS.where(older, AlertRow.identifier.in_(in_hour))):
        rows[row.identifier] = row
        acted.add(row.identifier)
    return rows, acted


def _closed_after(t: datetime, sizes: _Sizes) -> ColumnElement[bool]:
    """Old alerts closed after ``t`` (so open at ``t``), found from the smaller side: early
    in a long recording few alerts are old but many closings come later, late in it the
    reverse."""
    later = AlertActionRow.time > t
    # An old alert costs about three times a later action to check (its row, then its log).
    # Any later action will do here (the replay tells a closing): with a filter on the action
    # an index on it could lure the database into reading every closing for every alert.
    if sizes.old_alerts * 3 < sizes.later_actions:
        return exists().where(AlertActionRow.alert_identifier == AlertRow.identifier, later)
    closing = AlertActionRow.action.in_(sorted(CLOSING))
    return AlertRow.identifier.in_(select(AlertActionRow.alert_identifier).where(later, closing))


def _to_replay(
    connection: Connection, rows: dict[str, Any], t: datetime, sizes: _Sizes
) -> list[str]:
    """The alerts whose triage may differ from the stored one: those acted on after ``t``
    (without, the stored triage is the one they had at ``t``), and those the store wrote
    after ``t`` (their actions tell whether they existed). When few actions follow ``t``
    they are read first; otherwise every candidate is replayed."""
    if sizes.later_actions > 3 * len(rows):
        return list(rows)
    later = select(AlertActionRow.alert_identifier).where(AlertActionRow.time > t)
    changed = {identifier for (identifier,) in connection.execute(later)}
    return [key for key, row in rows.items() if key in changed or row.stored > t]


def _actions(connection: Connection, identifiers: list[str]) -> dict[str, list[ActionFact]]:
    """Every replayed action of these alerts, in time order (before and after ``t``: the
    first change after ``t`` tells what an alert was at ``t``)."""
    found: dict[str, list[ActionFact]] = defaultdict(list)
    columns = (
        AlertActionRow.alert_identifier,
        AlertActionRow.action,
        AlertActionRow.by,
        AlertActionRow.time,
        AlertActionRow.reason,
        type_coerce(AlertActionRow.details, Text),
    )
    for start in range(0, len(identifiers), CHUNK):
        query = select(*columns).where(
            AlertActionRow.alert_identifier.in_(identifiers[start : start + CHUNK]),
            AlertActionRow.action.in_(sorted(REPLAYED)),
        )
        for alert_id, action, by, time, reason, details in connection.execute(query):
            found[alert_id].append(ActionFact(action, by, time, reason, _pairs(details)))
    for facts in found.values():
        facts.sort(key=lambda f: f.time)
    return found


def _pairs(details: str | None) -> dict[str, str]:
    if not details or details == "[]":
        return {}
    return {str(key): str(value) for key, value in json.loads(details)}


def _existed(row: Any, facts: list[ActionFact], t: datetime) -> bool:
    if row.sent > t:
        return False
    if row.stored <= t or row.occurrences > 1:
        return True
    return any(f.time <= t for f in facts)


def _changed(row: Any, acted: bool, since: datetime, t: datetime) -> bool:
    """Sent, repeated or acted on in (since, t]."""
    if acted or row.sent > since:
        return True
    return row.last_seen is not None and since < row.last_seen <= t
