"""Sensitive columns encrypted at rest: sealed with AES-256-GCM under a key kept outside the
database.

A sealed value reads ``v1:<key id>:<base64 of nonce + ciphertext>``. The key id lets keys
rotate: new values are sealed with the current key and old ones still open with theirs. The
associated data names the table, the column and the row's key, so a sealed value copied into
another row or column does not open (the tag check fails) — a database editor cannot move a
handle onto another pseudonym.

The keys are one entry ("column-key") of the console's ``SecretStore``, created on first use.
Workstations sharing one database must share this entry (copy it with ``secrets``), or they
cannot open each other's sealed values.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
import re
import threading
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from app.security.secrets import SecretStore, SecretStoreError

log = logging.getLogger(__name__)

SECRET_NAME = "column-key"
PREFIX = "v1"
NONCE_BYTES = 12
KEY_BYTES = 32
KEY_ID = re.compile(r"^k[1-9][0-9]{0,8}$")


class SealError(Exception):
    """A value cannot be sealed or opened (wrong row, tampered, unknown key, no key); the
    message never holds the value."""


@dataclass(frozen=True, slots=True)
class _Keys:
    current: str
    keys: dict[str, bytes] = field(repr=False)


def _context(table: str, column: str, row: str) -> bytes:
    return "\x1f".join((table, column, row)).encode("utf-8")


class Sealer:
    """Seals and opens column values with the column keys in ``secrets``."""

    def __init__(self, secrets: SecretStore | None = None) -> None:
        self.secrets = secrets if secrets is not None else SecretStore()
        self._lock = threading.Lock()
        self._keys: _Keys | None = None

    def seal(self, value: str, *, table: str, column: str, row: str) -> str:
        keys = self._current()
        nonce = os.urandom(NONCE_BYTES)
        box = AESGCM(keys.keys[keys.current]).encrypt(
            nonce, value.encode("utf-8"), _context(table, column, row)
        )
        return f"{PREFIX}:{keys.current}:{base64.b64encode(nonce + box).decode('ascii')}"

    def open(self, sealed: str, *, table: str, column: str, row: str) -> str:
        parts = sealed.split(":", 2)
        if len(parts) != 3 or parts[0] != PREFIX or not KEY_ID.match(parts[1]):
            raise SealError(f"{table}.{column} of {row!r} is not a sealed value")
        key_id = parts[1]
        key = self._current().keys.get(key_id)
        if key is None:  # rotated elsewhere since this console read the keys
            with self._lock:
                self._keys = None
            key = self._current().keys.get(key_id)
        if key is None:
            raise SealError(f"{table}.{column} of {row!r} was sealed with unknown key {key_id}")
        try:
            blob = base64.b64decode(parts[2], validate=True)
            plain = AESGCM(key).decrypt(
                blob[:NONCE_BYTES], blob[NONCE_BYTES:], _context(table, column, row)
            )
        except (InvalidTag, ValueError, binascii.Error):
            raise SealError(
                f"{table}.{column} of {row!r} does not open: altered, or not sealed for this row"
            ) from None
        return plain.decode("utf-8")

    def rotate(self) -> str:
        """Makes a new key current (older ones kept for the values they sealed); its id."""
        with self._lock:
            keys = self._load()
            number = max(int(k[1:]) for k in keys.keys) + 1
            key_id = f"k{number}"
            rotated = _Keys(key_id, {**keys.keys, key_id: AESGCM.generate_key(KEY_BYTES * 8)})
            try:
                self.secrets.set(SECRET_NAME, _serialise(rotated))
            except SecretStoreError as exc:
                raise SealError(f"the column keys cannot be written ({exc})") from None
            self._keys = rotated
        log.info("Column key %s is now current (%d kept)", key_id, len(rotated.keys))
        return key_id

    def _current(self) -> _Keys:
        with self._lock:
            if self._keys is None:
                self._keys = self._load()
            return self._keys

    def _load(self) -> _Keys:
        first = _Keys("k1", {"k1": AESGCM.generate_key(KEY_BYTES * 8)})
        try:
            text = self.secrets.setdefault(SECRET_NAME, _serialise(first))
        except SecretStoreError as exc:
            raise SealError(f"the column keys cannot be read ({exc})") from None
        try:
            document = json.loads(text)
            keys = {str(k): base64.b64decode(v, validate=True) for k, v in document["keys"].items()}
            current = str(document["current"])
        except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
            raise SealError(f"{self.secrets.backend}: the column keys are unusable") from None
        if current not in keys or any(
            not KEY_ID.match(k) or len(v) != KEY_BYTES for k, v in keys.items()
        ):
            raise SealError(f"{self.secrets.backend}: the column keys are unusable")
        return _Keys(current, keys)


def _serialise(keys: _Keys) -> str:
    encoded = {k: base64.b64encode(v).decode("ascii") for k, v in keys.keys.items()}
    return json.dumps({"version": 1, "current": keys.current, "keys": encoded})
