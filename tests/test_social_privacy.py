"""Pseudonymising post authors: the keys in the secret store, stable pseudonyms, rotation,
mentions, and the ingest pipeline that applies them (unit level; the REST and file paths are in
test_post_ingest.py)."""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import stat
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.model import GeoPoint, Post
from app.paths import config_dir
from app.security.secrets import FILE_NAME as SECRETS_FILE
from app.social.keys import KEY_FILE, SECRET_NAME, KeyStore, KeyStoreError
from app.social.privacy import (
    PSEUDONYM,
    ChainPipeline,
    PostPseudonymiser,
    normalise_handle,
    pseudonym,
    pseudonymise_mentions,
)
from app.storage import RecordStore, StorageError, create_engine_for, upgrade_schema
from tests.factories import one_of_each

T0 = datetime(2026, 6, 20, 18, 0, tzinfo=UTC)


def post(n: int = 1, **changes: Any) -> Post:
    values: dict[str, Any] = {
        "identifier": f"sm:p-{n}",
        "platform": "microblog",
        "author": "@harbour_watcher",
        "text": "Everyone to the harbour stage at 20:00",
        "time": T0,
        "language": "en",
    }
    values.update(changes)
    return Post(**values)


@pytest.fixture
def keys() -> KeyStore:
    return KeyStore()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'privacy.db'}")
    upgrade_schema(engine)
    yield RecordStore(engine)
    engine.dispose()


def test_the_keys_are_created_on_first_use_in_the_secret_store(
    keys: KeyStore, watchfloor_home: Path
) -> None:
    """No OS keyring runs here, so the secret store is its owner-only file."""
    path = config_dir() / SECRETS_FILE
    assert not path.exists(), "no key before it is needed"
    ring = keys.ring()
    assert keys.secrets.path == path and path.is_relative_to(watchfloor_home)
    assert not keys.secrets.uses_keyring
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert keys.secrets.names() == [SECRET_NAME]
    assert ring.current.key_id == "p1" and len(ring.current.secret) == 32
    assert ring.current.secret.hex() not in repr(ring), "secrets stay out of reprs and logs"
    assert KeyStore().ring() == ring, "the next start reads the same key"
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")], "no temporary left"


def test_a_secrets_file_readable_by_others_is_tightened(keys: KeyStore) -> None:
    keys.ring()
    keys.secrets.path.chmod(0o644)
    KeyStore().ring()
    assert stat.S_IMODE(keys.secrets.path.stat().st_mode) == 0o600


@pytest.mark.parametrize("content", ["{", "[]", '{"version": 1, "current": "p1", "keys": []}'])
def test_unusable_keys_are_an_error_never_replaced(keys: KeyStore, content: str) -> None:
    keys.secrets.set(SECRET_NAME, content)
    with pytest.raises(KeyStoreError, match=SECRET_NAME):
        keys.ring()
    assert keys.secrets.get(SECRET_NAME) == content, "old pseudonyms must stay matchable"
    with pytest.raises(StorageError, match="cannot be pseudonymised"):
        PostPseudonymiser(keys).prepare([post()])


def test_an_unreadable_secrets_file_is_an_error_never_replaced(keys: KeyStore) -> None:
    path = config_dir() / SECRETS_FILE
    path.write_text("{")
    with pytest.raises(KeyStoreError, match=SECRETS_FILE):
        keys.ring()
    assert path.read_text() == "{"


def _legacy_document(secret: bytes) -> dict[str, Any]:
    return {
        "version": 1,
        "current": "p1",
        "keys": [
            {"id": "p1", "secret": base64.b64encode(secret).decode(), "created": T0.isoformat()}
        ],
    }


def test_an_old_key_file_is_moved_into_the_secret_store() -> None:
    secret = os.urandom(32)
    legacy = config_dir() / KEY_FILE
    legacy.write_text(json.dumps(_legacy_document(secret)))
    legacy.chmod(0o600)
    keys = KeyStore()
    assert keys.ring().current.secret == secret, "the same key: old pseudonyms still match"
    assert not legacy.exists(), "removed once the store holds it"
    assert KeyStore().ring().current.secret == secret


def test_an_old_key_file_differing_from_the_store_is_kept() -> None:
    KeyStore().ring()
    legacy = config_dir() / KEY_FILE
    legacy.write_text(json.dumps(_legacy_document(os.urandom(32))))
    with pytest.raises(KeyStoreError, match="other pseudonym keys"):
        KeyStore().ring()
    assert legacy.exists(), "never removed while its keys are nowhere else"


def test_an_unreadable_old_key_file_is_an_error_and_kept() -> None:
    legacy = config_dir() / KEY_FILE
    legacy.write_text("{")
    with pytest.raises(KeyStoreError, match=KEY_FILE):
        KeyStore().ring()
    assert legacy.read_text() == "{"


def test_two_first_uses_at_once_agree_on_one_key() -> None:
    rings: list[Any] = []
    start = threading.Barrier(4)

    def first_use() -> None:
        start.wait()
        rings.append(KeyStore().ring())

    threads = [threading.Thread(target=first_use) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({ring.current.secret for ring in rings}) == 1


def test_pseudonyms_are_stable_keyed_and_platform_scoped(keys: KeyStore) -> None:
    key = keys.ring().current
    made = pseudonym(key, "microblog", "@harbour_watcher")
    assert PSEUDONYM.match(made) and made.startswith("p1-") and len(made) == 15
    # One account, however it is spelled: case, "@", NFKC forms, invisible characters.
    for spelling in ("harbour_watcher", "@Harbour_Watcher ", "@harbour\u200b_watcher"):
        assert pseudonym(key, "Microblog", spelling) == made
    assert pseudonym(key, "photoshare", "@harbour_watcher") != made
    assert pseudonym(key, "microblog", "@harbour_watcher2") != made
    other_console = dataclasses.replace(key, secret=bytes(32))
    assert pseudonym(other_console, "microblog", "@harbour_watcher") != made
    assert normalise_handle("@Ｈarbour") == "harbour"


def test_rotation_makes_new_pseudonyms_and_keeps_the_old_keys(keys: KeyStore) -> None:
    old_key = keys.ring().current
    before = pseudonym(old_key, "microblog", "@harbour_watcher")
    new_key = keys.rotate()
    after = pseudonym(keys.ring().current, "microblog", "@harbour_watcher")
    assert new_key.key_id == "p2" and after.startswith("p2-") and after != before
    reread = KeyStore().ring()
    assert reread.current == new_key and reread.get("p1") == old_key
    assert pseudonym(reread.get("p1"), "microblog", "harbour_watcher") == before
    assert stat.S_IMODE(keys.secrets.path.stat().st_mode) == 0o600
    document = json.loads(keys.secrets.get(SECRET_NAME) or "")
    assert [k["id"] for k in document["keys"]] == ["p1", "p2"] and document["current"] == "p2"
    assert keys.rotate().key_id == "p3"


def test_mentions_are_replaced_and_nothing_else(keys: KeyStore) -> None:
    key = keys.ring().current

    def alias(handle: str) -> str:
        return "@" + pseudonym(key, "microblog", handle)

    text = (
        "@harbour_watcher: ask @Nattugla_Oslo. and @ana@social.example, "
        "mail ops@city.example, <b>@x</b> \u202e@y"
    )
    expected = (
        f"{alias('harbour_watcher')}: ask {alias('nattugla_oslo')}. and "
        f"{alias('ana@social.example')}, mail ops@city.example, <b>{alias('x')}</b> "
        f"\u202e{alias('y')}"
    )
    assert pseudonymise_mentions(key, "microblog", text) == expected
    hidden = "hi @harbour\u200b_watcher!"
    assert pseudonymise_mentions(key, "microblog", hidden) == f"hi {alias('harbour_watcher')}!"
    plain = "No mention here: 🚨 <script>alert(1)</script> a@b"
    assert pseudonymise_mentions(key, "microblog", plain) == plain


def test_the_pipeline_replaces_author_reply_and_mentions_only_in_posts(keys: KeyStore) -> None:
    other_records = [r for r in one_of_each() if not isinstance(r, Post)]
    raw = post(text="@nattugla_oslo see you there", reply_to="@nattugla_oslo")
    prepared = PostPseudonymiser(keys).prepare([*other_records, raw])
    assert prepared[:-1] == other_records
    done = prepared[-1]
    key = keys.ring().current
    replied = pseudonym(key, "microblog", "nattugla_oslo")
    assert done.author == pseudonym(key, "microblog", "harbour_watcher")
    assert done.reply_to == replied and done.text == f"@{replied} see you there"
    assert dataclasses.replace(done, author=raw.author, reply_to=raw.reply_to, text=raw.text) == raw
    assert PostPseudonymiser(keys).prepare([post(reply_to=None)])[0].reply_to is None


def test_a_stored_post_coming_back_is_not_pseudonymised_twice(
    keys: KeyStore, store: RecordStore
) -> None:
    pipeline = PostPseudonymiser(keys, store)
    first = pipeline.prepare([post(text="ask @nattugla_oslo", reply_to="@nattugla_oslo")])
    store.save(first)
    # The social watch stores a post again with the place it found: same pseudonyms.
    located = dataclasses.replace(first[0], point=GeoPoint(59.91, 10.73))
    assert pipeline.prepare([located]) == [located]
    # The tool delivering the same post again sends raw handles: they are pseudonymised.
    again = pipeline.prepare([post(text="ask @nattugla_oslo", reply_to="@nattugla_oslo")])
    assert again == first
    # A new post that claims a stored pseudonym as its author is pseudonymised like any handle.
    claimed = pipeline.prepare([post(2, author=first[0].author)])[0]
    assert claimed.author != first[0].author


class Recorder:
    def __init__(self, name: str, calls: list[str]) -> None:
        self.name, self.calls = name, calls

    def prepare(self, records: Sequence[Any]) -> list[Any]:
        self.calls.append(self.name)
        return [*records, self.name]


def test_chained_pipelines_run_in_order_on_each_others_output() -> None:
    calls: list[str] = []
    chain = ChainPipeline(Recorder("first", calls), Recorder("second", calls))
    assert chain.prepare(("record",)) == ["record", "first", "second"]
    assert calls == ["first", "second"]
    assert ChainPipeline().prepare(("record",)) == ["record"]


@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_the_key_file_is_owner_only_whatever_the_umask(keys: KeyStore) -> None:
    previous = os.umask(0)
    try:
        keys.ring()
    finally:
        os.umask(previous)
    assert stat.S_IMODE(keys.secrets.path.stat().st_mode) == 0o600
