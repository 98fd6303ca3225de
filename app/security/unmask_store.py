"""Unmask requests as stored (``unmask_requests``): read, created once, and changed only at
the version the writer read, so that of two approvers deciding at once one wins and the other
hears of it. Each write is announced to the workstations sharing the database."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select, update

from app.security.model import UnmaskKind, UnmaskRequest, UnmaskState
from app.storage import RecordStore
from app.storage.changes import announce
from app.storage.orm import UnmaskRequestRow

KIND = "unmask"  # the change announcements' kind


class UnmaskStore:
    def __init__(self, store: RecordStore) -> None:
        self.store = store

    def requests(self, states: Sequence[UnmaskState] = ()) -> list[UnmaskRequest]:
        """Stored requests, newest first (all, or those in ``states``)."""
        query = select(UnmaskRequestRow).order_by(UnmaskRequestRow.requested.desc())
        if states:
            query = query.where(UnmaskRequestRow.state.in_([s.value for s in states]))
        with self.store.session() as session:
            return [_request(row) for row in session.scalars(query)]

    def by_ids(self, identifiers: Iterable[str]) -> list[UnmaskRequest]:
        wanted = list(identifiers)
        if not wanted:
            return []
        query = select(UnmaskRequestRow).where(UnmaskRequestRow.identifier.in_(wanted))
        with self.store.session() as session:
            return [_request(row) for row in session.scalars(query)]

    def get(self, identifier: str) -> UnmaskRequest | None:
        with self.store.session() as session:
            row = session.get(UnmaskRequestRow, identifier)
            return None if row is None else _request(row)

    def insert(self, request: UnmaskRequest) -> bool:
        """Stores a new request; False when one with its identifier exists already."""
        with self.store.session() as session, session.begin():
            if session.get(UnmaskRequestRow, request.identifier) is not None:
                return False
            session.add(UnmaskRequestRow(**_columns(request)))
            announce(session, self.store.origin, KIND, [request.identifier])
        return True

    def update(self, before: UnmaskRequest, after: UnmaskRequest) -> bool:
        """Writes ``after`` if the row is still at ``before``'s version; False if not."""
        values = _columns(after)
        del values["identifier"]
        with self.store.session() as session, session.begin():
            result = session.execute(
                update(UnmaskRequestRow)
                .where(UnmaskRequestRow.identifier == before.identifier)
                .where(UnmaskRequestRow.version == before.version)
                .values(**values)
            )
            if result.rowcount != 1:
                return False
            announce(session, self.store.origin, KIND, [before.identifier])
        return True


def _columns(request: UnmaskRequest) -> dict[str, Any]:
    return {
        "identifier": request.identifier,
        "kind": request.kind.value,
        "target": request.target,
        "purpose": request.purpose,
        "requested_by": request.requested_by,
        "requested": request.requested,
        "minutes": request.minutes,
        "state": request.state.value,
        "decided_by": request.decided_by,
        "decided": request.decided,
        "note": request.note,
        "expires": request.expires,
        "version": request.version,
    }


def _request(row: UnmaskRequestRow) -> UnmaskRequest:
    return UnmaskRequest(
        identifier=row.identifier,
        kind=UnmaskKind(row.kind),
        target=row.target,
        purpose=row.purpose,
        requested_by=row.requested_by,
        requested=row.requested,
        minutes=row.minutes,
        state=UnmaskState(row.state),
        decided_by=row.decided_by,
        decided=row.decided,
        note=row.note,
        expires=row.expires,
        version=row.version,
    )
