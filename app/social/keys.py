"""The secret keys behind authors' pseudonyms, kept in the secret store, never in the database.

Whoever holds the database alone cannot link a pseudonym back to a handle (not even by hashing
guessed handles): that takes the key. The keys are one entry ("pseudonym-keys") of the
console's ``SecretStore`` (the OS keyring, or an owner-only file in the configuration folder),
created on first use.

Keys rotate: a new key becomes current and the old ones stay, because pseudonyms made with them
must still be matchable by an authorised de-anonymisation later. Keys that cannot be read are
an error, never silently replaced: a new key would orphan every pseudonym.

Earlier versions kept the keys in a file of their own (``pseudonym-keys.json``); on first use
that file is moved into the secret store: written there, read back and compared, and only then
removed.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from app.model import utc_now
from app.paths import config_dir
from app.security import private_files
from app.security.secrets import SecretStore, SecretStoreError

log = logging.getLogger(__name__)

KEY_FILE = "pseudonym-keys.json"
FORMAT_VERSION = 1
SECRET_BYTES = 32
# "p1", "p2", ...: short (it is part of every pseudonym) and ordered, so a glance tells an older
# pseudonym from a newer one. No "-": the pseudonym is "<key id>-<digest>".
KEY_ID = re.compile(r"^p[1-9][0-9]{0,8}$")
SECRET_NAME = "pseudonym-keys"


class KeyStoreError(Exception):
    """The key file is unusable; the message names the file and what is wrong with it."""


@dataclass(frozen=True, slots=True)
class PseudonymKey:
    key_id: str
    secret: bytes = field(repr=False)  # never in a log line or a traceback's locals repr
    created: datetime


@dataclass(frozen=True, slots=True)
class KeyRing:
    """Every key ever used, oldest first; ``current`` makes new pseudonyms."""

    current: PseudonymKey
    keys: tuple[PseudonymKey, ...]

    def get(self, key_id: str) -> PseudonymKey | None:
        return next((key for key in self.keys if key.key_id == key_id), None)


class KeyStore:
    """The pseudonym keys of one console, in ``secrets`` (default: the console's
    ``SecretStore``). ``legacy_path``: the key file of earlier versions, moved into the secret
    store on first use (default: pseudonym-keys.json in the configuration folder)."""

    def __init__(self, secrets: SecretStore | None = None, legacy_path: Path | None = None) -> None:
        self.secrets = secrets if secrets is not None else SecretStore()
        self._legacy_path = legacy_path
        self._lock = threading.Lock()
        self._ring: KeyRing | None = None

    @property
    def legacy_path(self) -> Path:
        if self._legacy_path is None:
            self._legacy_path = config_dir() / KEY_FILE
        return self._legacy_path

    def ring(self) -> KeyRing:
        """The keys, read once (or created with a first key when there are none yet)."""
        with self._lock:
            if self._ring is None:
                self._ring = self._load_or_create()
            return self._ring

    def rotate(self) -> PseudonymKey:
        """Makes a new key current and keeps the old ones; returns the new key."""
        with self._lock:
            ring = self._load_or_create()  # read again: the store is the truth, not memory
            number = max(int(key.key_id[1:]) for key in ring.keys) + 1
            key = _new_key(f"p{number}")
            rotated = KeyRing(key, (*ring.keys, key))
            self._write(rotated)
            self._ring = rotated
        log.info("Pseudonym key %s is now current (%d keys kept)", key.key_id, len(rotated.keys))
        return key

    def _load_or_create(self) -> KeyRing:
        self._migrate_legacy_file()
        try:
            text = self.secrets.setdefault(SECRET_NAME, _serialise(_first_ring()))
        except SecretStoreError as exc:
            raise KeyStoreError(f"the pseudonym keys cannot be read ({exc})") from None
        return _parse(text, f"{self.secrets.backend}: {SECRET_NAME}")

    def _write(self, ring: KeyRing) -> None:
        try:
            self.secrets.set(SECRET_NAME, _serialise(ring))
        except SecretStoreError as exc:
            raise KeyStoreError(f"the pseudonym keys cannot be written ({exc})") from None

    def _migrate_legacy_file(self) -> None:
        """Moves an earlier version's key file into the secret store: write, read back and
        compare, and only then remove the file (a lost key orphans every pseudonym)."""
        path = self.legacy_path
        if not path.exists():
            return
        old = _read_legacy(path)
        try:
            stored = self.secrets.get(SECRET_NAME)
            if stored is None:
                self.secrets.set(SECRET_NAME, _serialise(old))
                stored = self.secrets.get(SECRET_NAME)
        except SecretStoreError as exc:
            raise KeyStoreError(
                f"{path}: cannot move the keys to the secret store ({exc})"
            ) from None
        if stored is None or _parse(stored, SECRET_NAME) != old:
            raise KeyStoreError(
                f"{path}: the secret store holds other pseudonym keys than this file; both are "
                "kept, resolve by hand"
            )
        path.unlink()
        private_files.sync_folder(path.parent)
        log.warning("Moved the pseudonym keys from %s to %s", path, self.secrets.backend)


def _new_key(key_id: str) -> PseudonymKey:
    return PseudonymKey(key_id, secrets.token_bytes(SECRET_BYTES), utc_now())


def _first_ring() -> KeyRing:
    key = _new_key("p1")
    return KeyRing(key, (key,))


def _read_legacy(path: Path) -> KeyRing:
    try:
        private_files.tighten(path)
        return _ring_from(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise KeyStoreError(f"{path}: the pseudonym key file is unusable ({exc})") from None


def _parse(text: str, where: str) -> KeyRing:
    try:
        return _ring_from(json.loads(text))
    except (ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise KeyStoreError(f"{where}: the pseudonym keys are unusable ({exc})") from None


def _serialise(ring: KeyRing) -> str:
    return json.dumps(_document(ring))


def _ring_from(document: Any) -> KeyRing:
    if not isinstance(document, dict) or document.get("version") != FORMAT_VERSION:
        raise ValueError("not a key file of format version 1")
    keys = tuple(
        PseudonymKey(
            str(item["id"]),
            base64.b64decode(item["secret"], validate=True),
            datetime.fromisoformat(item["created"]),
        )
        for item in document["keys"]
    )
    for key in keys:
        if not KEY_ID.match(key.key_id) or len(key.secret) < SECRET_BYTES:
            raise ValueError(f"key {key.key_id!r} has a bad id or a short secret")
    if len({key.key_id for key in keys}) != len(keys):
        raise ValueError("two keys share an id")
    current = next((key for key in keys if key.key_id == document["current"]), None)
    if current is None:
        raise ValueError(f"the current key {document['current']!r} is not in the file")
    return KeyRing(current, keys)


def _document(ring: KeyRing) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "current": ring.current.key_id,
        "keys": [
            {
                "id": key.key_id,
                "secret": base64.b64encode(key.secret).decode("ascii"),
                "created": key.created.isoformat(),
            }
            for key in ring.keys
        ],
    }
