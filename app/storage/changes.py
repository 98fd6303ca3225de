"""Announcing stored changes to the other workstations sharing one PostgreSQL database.

Every write that another workstation must see calls ``announce`` inside its own transaction:
``pg_notify`` is transactional, so the others hear of a change exactly when it is committed,
never of one rolled back. On SQLite (one workstation) it does nothing.

The payload names the kind of change, the identifiers and the announcing store's ``origin``, so
a workstation ignores its own announcements. PostgreSQL caps a payload at 8,000 bytes; long
lists go out in several notifications.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.orm import Session

CHANNEL = "watchfloor_changes"
MAX_PAYLOAD_BYTES = 7_000


def payloads(origin: str, kind: str, identifiers: Iterable[str]) -> list[str]:
    """The notification payloads for ``identifiers``, each under the size limit."""
    out: list[str] = []
    chunk: list[str] = []
    size = 0
    for identifier in identifiers:
        cost = len(identifier.encode("utf-8")) + 4
        if chunk and size + cost > MAX_PAYLOAD_BYTES:
            out.append(_payload(origin, kind, chunk))
            chunk, size = [], 0
        chunk.append(identifier)
        size += cost
    if chunk:
        out.append(_payload(origin, kind, chunk))
    return out


def _payload(origin: str, kind: str, identifiers: list[str]) -> str:
    return json.dumps({"o": origin, "k": kind, "i": identifiers}, separators=(",", ":"))


def announce(session: Session, origin: str, kind: str, identifiers: Iterable[str]) -> None:
    """Tells the other workstations that ``identifiers`` of ``kind`` changed, when the
    session's transaction commits. ``kind``: "alert", "alert-action", "incident", "zone",
    "unmask", or a record type's table name."""
    bind = session.get_bind()
    if bind.dialect.name != "postgresql":
        return
    for payload in payloads(origin, kind, identifiers):
        session.execute(select(func.pg_notify(CHANNEL, payload)))
