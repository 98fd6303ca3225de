"""Sealed columns: values open only in their own row and column, with an intact key."""

from __future__ import annotations

import base64
import json

import pytest

from app.model import Post
from app.security.identities import COLUMN, TABLE, lookup
from app.security.sealing import SECRET_NAME, Sealer, SealError
from app.security.secrets import SecretStore
from app.social.keys import KeyStore
from app.social.privacy import PostPseudonymiser, pseudonym
from app.storage import RecordStore
from app.storage.orm import AuthorIdentityRow
from tests.test_social_privacy import post

WHERE = {"table": "author_identities", "column": "handle_sealed", "row": "p1-0123456789ab"}


def test_a_sealed_value_opens_in_its_row_and_hides_the_value() -> None:
    sealer = Sealer()
    sealed = sealer.seal("harbour_watcher", **WHERE)
    version, key_id, body = sealed.split(":")
    assert (version, key_id) == ("v1", "k1")
    assert "harbour" not in sealed and b"harbour" not in base64.b64decode(body)
    assert sealer.open(sealed, **WHERE) == "harbour_watcher"
    assert Sealer().open(sealed, **WHERE) == "harbour_watcher", "the key is kept, not per run"
    assert sealer.seal("harbour_watcher", **WHERE) != sealed, "a fresh nonce each time"


@pytest.mark.parametrize("position", [0, 5, 20, -1])
def test_a_tampered_value_does_not_open(position: int) -> None:
    sealer = Sealer()
    sealed = sealer.seal("harbour_watcher", **WHERE)
    prefix, body = sealed.rsplit(":", 1)
    blob = bytearray(base64.b64decode(body))
    blob[position] ^= 0x01
    tampered = f"{prefix}:{base64.b64encode(bytes(blob)).decode()}"
    with pytest.raises(SealError, match="does not open"):
        sealer.open(tampered, **WHERE)
    with pytest.raises(SealError, match="not a sealed value"):
        sealer.open("harbour_watcher", **WHERE)


@pytest.mark.parametrize(
    "elsewhere",
    [
        {**WHERE, "row": "p1-ffffffffffff"},
        {**WHERE, "column": "other"},
        {**WHERE, "table": "posts"},
    ],
)
def test_a_value_moved_to_another_row_or_column_does_not_open(elsewhere: dict) -> None:
    sealer = Sealer()
    sealed = sealer.seal("harbour_watcher", **WHERE)
    with pytest.raises(SealError, match="not sealed for this row"):
        sealer.open(sealed, **elsewhere)


def test_keys_rotate_and_old_values_still_open() -> None:
    sealer = Sealer()
    old = sealer.seal("first", **WHERE)
    assert sealer.rotate() == "k2"
    new = sealer.seal("second", **WHERE)
    assert new.split(":")[1] == "k2"
    other_console_object = Sealer()  # reads the rotated keys from the secret store
    assert other_console_object.open(old, **WHERE) == "first"
    assert other_console_object.open(new, **WHERE) == "second"
    keys = json.loads(SecretStore().get(SECRET_NAME) or "")
    assert keys["current"] == "k2" and sorted(keys["keys"]) == ["k1", "k2"]


def test_a_key_rotated_by_another_console_object_is_found() -> None:
    reader = Sealer()
    reader.seal("warm up", **WHERE)  # reads k1 now
    writer = Sealer()
    writer.rotate()
    assert reader.open(writer.seal("later", **WHERE), **WHERE) == "later"


def test_a_value_without_its_key_does_not_open() -> None:
    sealed = Sealer().seal("harbour_watcher", **WHERE)
    SecretStore().delete(SECRET_NAME)  # the key is lost: a new one is made, the old value is not
    with pytest.raises(SealError, match=r"unknown key|does not open"):
        Sealer().open(sealed, **WHERE)


def test_the_pseudonymiser_seals_every_handle_it_replaces(record_store: RecordStore) -> None:
    secrets = SecretStore()
    keys, sealer = KeyStore(secrets), Sealer(secrets)
    pipeline = PostPseudonymiser(keys, record_store, sealer)
    [made] = pipeline.prepare(
        [post(author="@Harbour_Watcher", reply_to="@quay_news", text="cc @night\u200bowl now")]
    )
    assert isinstance(made, Post)
    key = keys.ring().current
    expected = {
        pseudonym(key, "microblog", "@Harbour_Watcher"): "Harbour_Watcher",
        pseudonym(key, "microblog", "@quay_news"): "quay_news",
        pseudonym(key, "microblog", "nightowl"): "nightowl",
    }
    assert made.author in expected and made.reply_to in expected
    with record_store.session() as session:
        rows = {r.pseudonym: r for r in session.query(AuthorIdentityRow)}
    assert set(rows) == set(expected)
    for name, handle in expected.items():
        assert handle not in rows[name].handle_sealed
        assert rows[name].platform == "microblog"
        identity = lookup(record_store, sealer, name)
        assert identity is not None and identity.handle == handle
    # Moving one sealed handle onto another pseudonym's row is detected.
    first, second, *_rest = sorted(rows)
    with pytest.raises(SealError):
        sealer.open(rows[first].handle_sealed, table=TABLE, column=COLUMN, row=second)
    # The same authors again: each pseudonym's identity is stored once.
    pipeline.prepare([post(2, author="@harbour_watcher", text="again @NightOwl")])
    with record_store.session() as session:
        assert session.query(AuthorIdentityRow).count() == 3
