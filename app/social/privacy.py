"""Authors pseudonymised where records enter the console, so a raw handle is never stored,
published on the hub, shown, exported or replayed.

A pseudonym is ``<key id>-<12 hex>``: the first 48 bits of HMAC-SHA256 over the platform and the
normalised handle, keyed by the current key of ``KeyStore``. The same author on the same
platform always gets the same pseudonym (so the reply network and "more posts by this author"
work), two platforms never share one, and without the key nobody can test a guessed handle
against it. After a key rotation pseudonyms change, and the key id says which key made one.

``PostPseudonymiser`` is an ingest ``Pipeline``: it replaces a post's author, the author it
replied to and every ``@handle`` in its text, and leaves other records untouched. Given a
``Sealer``, it also remembers each handle it replaced, sealed, in ``author_identities``
(right before the posts are stored), so that an approved unmask can reveal it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from app.ingest import Pipeline
from app.model import Post
from app.security.identities import Identity, display_handle, remember
from app.security.sealing import Sealer, SealError
from app.social.keys import KeyStore, KeyStoreError, PseudonymKey
from app.storage import RecordStore, StorageError
from app.storage.orm import PostRow

DIGEST_HEX = 12
PSEUDONYM = re.compile(r"^p[1-9][0-9]*-[0-9a-f]{12}$")
# Invisible characters that may sit inside a handle in hostile text: "@harbour<ZWSP>_watcher"
# reads as the handle on screen, so it must be pseudonymised as the handle.
_INVISIBLE = "\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff"
# "@name" or "@name@instance.example" (fediverse); not inside a word, so e-mail addresses stay.
MENTION = re.compile(
    rf"(?<![\w@])@(\w(?:[\w.{_INVISIBLE}]*\w)?(?:@[\w-]+(?:\.[\w-]+)+)?)",
)
_LOOKUP_CHUNK = 500  # identifiers per query: under every database's parameter limit


def normalise_handle(handle: str) -> str:
    """One spelling per account: platforms match handles without case and without the "@",
    and invisible characters are no part of any real handle."""
    text = unicodedata.normalize("NFKC", handle)
    text = "".join(ch for ch in text if unicodedata.category(ch) != "Cf")
    return text.strip().lstrip("@").casefold()


def pseudonym(key: PseudonymKey, platform: str, handle: str) -> str:
    """The pseudonym of ``handle`` on ``platform`` under ``key``."""
    scope = unicodedata.normalize("NFKC", platform).strip().casefold()
    message = f"{scope}\x1f{normalise_handle(handle)}".encode("utf-8", "surrogatepass")
    digest = hmac.new(key.secret, message, hashlib.sha256).hexdigest()
    return f"{key.key_id}-{digest[:DIGEST_HEX]}"


def pseudonymise_mentions(
    key: PseudonymKey, platform: str, text: str, seen: dict[str, Identity] | None = None
) -> str:
    """``text`` with each ``@handle`` replaced by ``@<pseudonym>``; nothing else changes.
    ``seen`` collects the identities replaced."""

    def replaced(match: re.Match[str]) -> str:
        return "@" + _pseudonym(key, platform, match[1], seen)

    return MENTION.sub(replaced, text)


def _pseudonym(
    key: PseudonymKey, platform: str, handle: str, seen: dict[str, Identity] | None
) -> str:
    made = pseudonym(key, platform, handle)
    if seen is not None and made not in seen:
        seen[made] = Identity(made, platform, display_handle(handle))
    return made


@dataclasses.dataclass(frozen=True, slots=True)
class _Stored:
    author: str
    text: str
    reply_to: str | None


class PostPseudonymiser:
    """Replaces handles in posts before they are stored.

    A post that comes back through ingest already pseudonymised (the social watch stores a post
    again with the place it found) must not be pseudonymised twice. So each field that equals
    what the store holds for that post is kept as stored; anything else is treated as raw. A
    tool cannot make its raw text pass as pseudonymised: it would have to send exactly what is
    stored already. Without a ``store`` every post is treated as raw.
    """

    def __init__(
        self, keys: KeyStore, store: RecordStore | None = None, sealer: Sealer | None = None
    ) -> None:
        self.keys = keys
        self.store = store
        self.sealer = sealer

    def prepare(self, records: Sequence[Any]) -> list[Any]:
        posts = [r for r in records if isinstance(r, Post)]
        if not posts:
            return list(records)
        try:
            key = self.keys.ring().current  # one key per batch, even if a rotation races it
        except KeyStoreError as exc:
            # Fail closed: the batch is kept by its source and retried, never stored raw.
            raise StorageError(f"posts cannot be pseudonymised: {exc}") from exc
        stored = self._stored(p.identifier for p in posts)
        seen: dict[str, Identity] = {}
        prepared = [
            self._pseudonymised(r, key, stored.get(r.identifier), seen)
            if isinstance(r, Post)
            else r
            for r in records
        ]
        if self.sealer is not None and self.store is not None:
            try:  # before the posts: a pseudonym stored is always one that can be unmasked
                remember(self.store, self.sealer, seen)
            except SealError as exc:
                raise StorageError(f"author identities cannot be sealed: {exc}") from None
        return prepared

    @staticmethod
    def _pseudonymised(
        post: Post, key: PseudonymKey, stored: _Stored | None, seen: dict[str, Identity]
    ) -> Post:
        def kept(name: str) -> bool:
            return stored is not None and getattr(stored, name) == getattr(post, name)

        platform = post.platform
        reply_to = post.reply_to
        if reply_to is not None and not kept("reply_to"):
            reply_to = _pseudonym(key, platform, reply_to, seen)
        author = post.author if kept("author") else _pseudonym(key, platform, post.author, seen)
        text = post.text if kept("text") else pseudonymise_mentions(key, platform, post.text, seen)
        return dataclasses.replace(
            post, author=author, text=text, reply_to=reply_to, url=_url_without_handles(post)
        )

    def _stored(self, identifiers: Iterable[str]) -> dict[str, _Stored]:
        if self.store is None:
            return {}
        wanted = sorted(set(identifiers))
        columns = (PostRow.identifier, PostRow.author, PostRow.text, PostRow.reply_to)
        found: dict[str, _Stored] = {}
        try:
            with self.store.session() as session:
                for start in range(0, len(wanted), _LOOKUP_CHUNK):
                    chunk = wanted[start : start + _LOOKUP_CHUNK]
                    rows = session.execute(select(*columns).where(PostRow.identifier.in_(chunk)))
                    found.update({row[0]: _Stored(row[1], row[2], row[3]) for row in rows})
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", exc)).splitlines()[0]
            raise StorageError(f"could not read the stored posts: {reason}") from exc
        return found


def _url_without_handles(post: Post) -> str | None:
    """The post's link, unless it names one of the handles replaced (".../@name/123"): a
    link cannot be pseudonymised and still work, so it is dropped rather than kept raw."""
    if not post.url:
        return post.url
    handles = {post.author, post.reply_to or "", *MENTION.findall(post.text)}
    link = normalise_handle(post.url)
    if any(name and normalise_handle(name) in link for name in handles):
        return None
    return post.url


class ChainPipeline:
    """Several ingest pipelines run in order, each on what the previous one returned (e.g.
    pseudonymise posts, then prioritise and deduplicate alerts)."""

    def __init__(self, *pipelines: Pipeline) -> None:
        self.pipelines = pipelines

    def prepare(self, records: Sequence[Any]) -> list[Any]:
        prepared = list(records)
        for pipeline in self.pipelines:
            prepared = pipeline.prepare(prepared)
        return prepared
