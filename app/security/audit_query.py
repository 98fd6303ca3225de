"""Reading the audit log for people: newest entries, filtered, a page at a time.

Shared by ``main.py audit show`` and the audit panel, so both find the same entries for the
same filter. Pages go backwards by number (``before``), which stays fast however long the log
is: the number is the primary key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError

from app.security.audit import _entry_of
from app.security.model import AuditEntry
from app.storage import RecordStore, StorageError
from app.storage.orm import AuditEntryRow


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Every condition given must hold. ``action`` matches a prefix ("alert." finds every alert
    action); ``text`` any part of actor, workstation, action or target, ignoring case."""

    actor: str = ""
    action: str = ""
    since: datetime | None = None
    text: str = ""


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def newest(
    store: RecordStore,
    limit: int = 100,
    before: int | None = None,
    where: AuditFilter = AuditFilter(),
    after: int | None = None,
) -> list[AuditEntry]:
    """Up to ``limit`` entries numbered below ``before`` and above ``after`` (no bound when
    None), newest first."""
    row = AuditEntryRow
    query = select(row).order_by(row.seq.desc()).limit(limit)
    if before is not None:
        query = query.where(row.seq < before)
    if after is not None:
        query = query.where(row.seq > after)
    if where.actor:
        query = query.where(row.actor == where.actor)
    if where.action:
        query = query.where(row.action.like(_escaped(where.action) + "%", escape="\\"))
    if where.since is not None:
        query = query.where(row.time >= where.since)
    if where.text:
        pattern = "%" + _escaped(where.text) + "%"
        query = query.where(
            or_(
                *(
                    column.ilike(pattern, escape="\\")
                    for column in (row.actor, row.workstation, row.action, row.target)
                )
            )
        )
    try:
        with store.session() as session:
            return [_entry_of(found) for found in session.scalars(query)]
    except (SQLAlchemyError, ValueError) as exc:  # ValueError: a row altered beyond reading
        raise StorageError(f"could not read the audit log: {exc}") from exc
