"""The secret keys behind authors' pseudonyms, kept in a file of their own, never in the store.

Whoever holds the database alone cannot link a pseudonym back to a handle (not even by hashing
guessed handles): that takes the key. The file sits in the user's configuration folder (or
under ``WATCHFLOOR_HOME``), readable by its owner only, and is created on first use.

Keys rotate: a new key becomes current and the old ones stay in the file, because pseudonyms
made with them must still be matchable by an authorised de-anonymisation later. A key file that
cannot be read is an error, never silently replaced: a new key would orphan every pseudonym.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import json
import logging
import os
import re
import secrets
import stat
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from app.model import utc_now
from app.paths import config_dir

log = logging.getLogger(__name__)

KEY_FILE = "pseudonym-keys.json"
FORMAT_VERSION = 1
SECRET_BYTES = 32
# "p1", "p2", ...: short (it is part of every pseudonym) and ordered, so a glance tells an older
# pseudonym from a newer one. No "-": the pseudonym is "<key id>-<digest>".
KEY_ID = re.compile(r"^p[1-9][0-9]{0,8}$")
OWNER_ONLY = 0o600


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
    """The key file of one console; ``path`` defaults to the user's configuration folder,
    resolved on first use (not at construction, so ``WATCHFLOOR_HOME`` set up to then counts)
    and kept from then on."""

    def __init__(self, path: Path | None = None) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._ring: KeyRing | None = None

    @property
    def path(self) -> Path:
        if self._path is None:
            self._path = config_dir() / KEY_FILE
        return self._path

    def ring(self) -> KeyRing:
        """The keys, read once (or created with a first key when there is no file yet)."""
        with self._lock:
            if self._ring is None:
                self._ring = self._load_or_create()
            return self._ring

    def rotate(self) -> PseudonymKey:
        """Makes a new key current and keeps the old ones; returns the new key."""
        with self._lock:
            ring = self._load_or_create()  # read again: the file is the truth, not memory
            number = max(int(key.key_id[1:]) for key in ring.keys) + 1
            key = _new_key(f"p{number}")
            rotated = KeyRing(key, (*ring.keys, key))
            _write_replacing(self.path, rotated)
            self._ring = rotated
        log.info("Pseudonym key %s is now current (%d keys kept)", key.key_id, len(rotated.keys))
        return key

    def _load_or_create(self) -> KeyRing:
        path = self.path
        if not path.exists():
            _create(path, _first_ring())
        return _read(path)


def _new_key(key_id: str) -> PseudonymKey:
    return PseudonymKey(key_id, secrets.token_bytes(SECRET_BYTES), utc_now())


def _first_ring() -> KeyRing:
    key = _new_key("p1")
    return KeyRing(key, (key,))


def _read(path: Path) -> KeyRing:
    _owner_only(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        return _ring_from(document)
    except (OSError, ValueError, KeyError, TypeError, binascii.Error) as exc:
        raise KeyStoreError(f"{path}: the pseudonym key file is unusable ({exc})") from exc


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


def _owner_only(path: Path) -> None:
    """Tightens a key file others may read (copied or restored with loose permissions)."""
    if os.name != "posix":
        return  # Windows: the profile folder's ACL protects it
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            log.warning("%s was readable by others (mode %o); now owner-only", path, mode)
            path.chmod(OWNER_ONLY)
    except OSError as exc:
        raise KeyStoreError(f"{path}: cannot check the key file's permissions ({exc})") from exc


def _write_temporary(path: Path, ring: KeyRing) -> Path:
    """Writes the keys to a new owner-only file next to ``path``, flushed to disk (a lost
    key would orphan the pseudonyms made with it)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(temporary, flags, OWNER_ONLY)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            json.dump(_document(ring), stream, indent=2)
            stream.flush()
            os.fsync(stream.fileno())
        if os.name == "posix":
            temporary.chmod(OWNER_ONLY)  # whatever the umask did
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _create(path: Path, ring: KeyRing) -> None:
    """Creates the file unless another process just did (then its keys are used)."""
    try:
        temporary = _write_temporary(path, ring)
    except OSError as exc:
        raise KeyStoreError(f"{path}: cannot create the pseudonym key file ({exc})") from exc
    try:
        os.link(temporary, path)  # atomic and never overwrites: two first uses keep one key
        log.info("Created the pseudonym key file %s", path)
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(temporary, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    _sync_folder(path.parent)


def _write_replacing(path: Path, ring: KeyRing) -> None:
    try:
        os.replace(_write_temporary(path, ring), path)
    except OSError as exc:
        raise KeyStoreError(f"{path}: cannot write the pseudonym key file ({exc})") from exc
    _sync_folder(path.parent)


def _sync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
