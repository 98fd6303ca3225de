"""The handle behind each pseudonym, sealed, for an approved unmask to open.

The pseudonymiser remembers each (pseudonym, platform, handle) it makes, right before the
posts carrying the pseudonym are stored; the handle goes into ``author_identities`` sealed
(app/security/sealing.py) with the pseudonym as the row's key, and nowhere else. Only
``UnmaskService`` opens it, for a granted request.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError

from app.model import utc_now
from app.security.sealing import Sealer
from app.storage import RecordStore, StorageError
from app.storage.orm import AuthorIdentityRow

TABLE = "author_identities"
COLUMN = "handle_sealed"
_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Identity:
    pseudonym: str
    platform: str
    handle: str = field(repr=False)


def display_handle(handle: str) -> str:
    """The handle as a person would write it: no invisible characters, no leading "@"."""
    text = unicodedata.normalize("NFKC", handle)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.strip().lstrip("@")


def remember(store: RecordStore, sealer: Sealer, identities: Mapping[str, Identity]) -> None:
    """Stores the sealed handle of each pseudonym not stored yet. Raises ``StorageError``."""
    if not identities:
        return
    now = utc_now()
    try:
        with store.session() as session, session.begin():
            wanted = sorted(identities)
            known: set[str] = set()
            for start in range(0, len(wanted), _CHUNK):
                chunk = wanted[start : start + _CHUNK]
                query = select(AuthorIdentityRow.pseudonym).where(
                    AuthorIdentityRow.pseudonym.in_(chunk)
                )
                known.update(session.scalars(query))
            rows = [
                {
                    "pseudonym": name,
                    "platform": identities[name].platform,
                    "handle_sealed": sealer.seal(
                        identities[name].handle, table=TABLE, column=COLUMN, row=name
                    ),
                    "first_seen": now,
                }
                for name in wanted
                if name not in known
            ]
            if not rows:
                return
            dialect = session.get_bind().dialect.name
            insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}.get(dialect)
            if insert is None:
                session.add_all(AuthorIdentityRow(**row) for row in rows)
            else:  # another workstation may have stored the same pseudonym meanwhile
                statement = insert(AuthorIdentityRow).on_conflict_do_nothing(
                    index_elements=["pseudonym"]
                )
                session.execute(statement, rows)
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise StorageError(f"could not store author identities: {reason}") from None


def lookup(store: RecordStore, sealer: Sealer, pseudonym: str) -> Identity | None:
    """The identity behind ``pseudonym`` (``SealError`` if its seal does not open)."""
    with store.session() as session:
        row = session.get(AuthorIdentityRow, pseudonym)
        if row is None:
            return None
        handle = sealer.open(row.handle_sealed, table=TABLE, column=COLUMN, row=pseudonym)
        return Identity(row.pseudonym, row.platform, handle)


def known(store: RecordStore, pseudonym: str) -> bool:
    with store.session() as session:
        return session.get(AuthorIdentityRow, pseudonym) is not None
