"""Secrets kept outside the database: tool credentials, the pseudonym keys, the column key.

Whoever copies the database (a backup, a shared PostgreSQL) must not get what opens it: the
secrets live in the operating system's keyring (``keyring``: Secret Service, macOS Keychain,
Windows Credential Locker) under the service "watchfloor", or, where no keyring is usable (a
headless node, a container, this test machine), in a JSON file in the user's configuration
folder that only its owner may read.

Entries are named "<namespace>/<name>": the namespace is derived from the configuration
folder, so two consoles on one desk with different ``WATCHFLOOR_HOME`` never read each other's
secrets. The keyring cannot list its entries, so the names in use are kept in one more entry
(``.names``) to answer ``names()``.

A secrets file that cannot be read is an error, never silently replaced: a new, empty file
would lose the pseudonym and column keys, and every pseudonym and sealed value with them.
Values never appear in a log line or a ``repr``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from app.paths import config_dir
from app.security import private_files

log = logging.getLogger(__name__)

SERVICE = "watchfloor"
FILE_NAME = "secrets.json"
FORMAT_VERSION = 1
NAMES_ENTRY = ".names"
# "file" forces the file (a node whose keyring must not be used); anything else: automatic.
BACKEND_ENV = "WATCHFLOOR_SECRET_BACKEND"

_locks: dict[str, threading.RLock] = {}
_locks_guard = threading.Lock()


class SecretStoreError(Exception):
    """The secrets cannot be read or written; the message says where and why (never a value)."""


def _lock_for(location: str) -> threading.RLock:
    with _locks_guard:
        return _locks.setdefault(location, threading.RLock())


def namespace_of(folder: Path) -> str:
    """A short, stable name for one console's configuration folder."""
    resolved = str(folder.expanduser().resolve())
    return hashlib.sha256(resolved.encode("utf-8")).hexdigest()[:12]


def usable_keyring(candidate: Any = None) -> Any | None:
    """The keyring backend to use, or None when there is no usable one: the "fail" backend,
    a chainer with nothing to chain, the null backend, or one that errors at first use."""
    try:
        import keyring
        from keyring.backends import chainer, fail
    except ImportError:
        return None
    try:
        backend = candidate if candidate is not None else keyring.get_keyring()
    except Exception:  # a broken keyring configuration file, a backend that cannot load
        return None
    if isinstance(backend, fail.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    if type(backend).__module__.endswith("backends.null"):
        return None
    try:
        backend.get_password(SERVICE, f"probe/{NAMES_ENTRY}")
    except Exception as exc:  # locked collection, no D-Bus session, a daemon gone
        log.info("The OS keyring %s cannot be used: %s", type(backend).__name__, exc)
        return None
    return backend


class SecretStore:
    """One console's secrets. The backend and folder are resolved on first use (not at
    construction, so ``WATCHFLOOR_HOME`` set up to then counts) and kept from then on.

    ``path``: the secrets file (default: secrets.json in the configuration folder).
    ``keyring_backend``: a keyring backend to use instead of the system's choice.
    ``use_keyring``: False forces the file; None decides automatically.
    """

    def __init__(
        self,
        path: Path | None = None,
        *,
        keyring_backend: Any = None,
        use_keyring: bool | None = None,
    ) -> None:
        self._path = path
        self._keyring_candidate = keyring_backend
        self._use_keyring = use_keyring
        self._resolved = False
        self._keyring: Any = None
        self._namespace = ""
        self._resolve_lock = threading.Lock()

    # --- which backend -------------------------------------------------------------------

    def _resolve(self) -> None:
        with self._resolve_lock:
            if self._resolved:
                return
            if self._path is None:
                self._path = config_dir() / FILE_NAME
            self._namespace = namespace_of(self._path.parent)
            wanted = self._use_keyring
            if wanted is None:
                wanted = os.environ.get(BACKEND_ENV, "").strip().lower() != "file"
            if wanted:
                self._keyring = usable_keyring(self._keyring_candidate)
                if self._keyring is None:
                    log.info(
                        "No usable OS keyring; secrets are kept in %s (owner-only)", self._path
                    )
            self._resolved = True

    @property
    def path(self) -> Path:
        """The secrets file (used when no keyring is)."""
        self._resolve()
        assert self._path is not None
        return self._path

    @property
    def uses_keyring(self) -> bool:
        self._resolve()
        return self._keyring is not None

    @property
    def backend(self) -> str:
        """Where the secrets are, in words for the log and ``secrets list``."""
        self._resolve()
        if self._keyring is not None:
            return f"keyring {type(self._keyring).__name__} (service {SERVICE!r})"
        return f"file {self._path}"

    def __repr__(self) -> str:
        return f"SecretStore({self.backend if self._resolved else 'unresolved'})"

    # --- the API -------------------------------------------------------------------------

    def get(self, name: str) -> str | None:
        self._resolve()
        _check_name(name)
        with self._locked():
            return self._get(name)

    def set(self, name: str, value: str) -> None:
        self._resolve()
        _check_name(name)
        if not isinstance(value, str):
            raise TypeError("a secret's value is a string")
        with self._locked():
            self._set(name, value)

    def setdefault(self, name: str, value: str) -> str:
        """Stores ``value`` unless ``name`` has one already; returns the value in force. Two
        consoles creating a first key at once agree on one (the store is locked meanwhile)."""
        self._resolve()
        _check_name(name)
        with self._locked():
            existing = self._get(name)
            if existing is not None:
                return existing
            self._set(name, value)
            stored = self._get(name)
        if stored is None:
            raise SecretStoreError(f"{self.backend}: the secret {name!r} did not stay stored")
        return stored

    def delete(self, name: str) -> bool:
        """Removes ``name``; False if there was no such secret."""
        self._resolve()
        _check_name(name)
        with self._locked():
            if self._keyring is not None:
                return self._keyring_delete(name)
            secrets = self._read_file()
            if name not in secrets:
                return False
            del secrets[name]
            self._write_file(secrets)
            return True

    def _get(self, name: str) -> str | None:
        if self._keyring is not None:
            return self._keyring_get(name)
        return self._read_file().get(name)

    def _set(self, name: str, value: str) -> None:
        if self._keyring is not None:
            self._keyring_set(name, value)
        else:
            secrets = self._read_file()
            secrets[name] = value
            self._write_file(secrets)

    def names(self) -> list[str]:
        self._resolve()
        with self._locked():
            if self._keyring is not None:
                return sorted(self._keyring_names())
            return sorted(self._read_file())

    # --- the file ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One writer at a time: threads through a lock per location, processes through an
        advisory lock on a file next to the secrets (POSIX)."""
        location = self.backend
        with _lock_for(location):
            if self._keyring is not None or os.name != "posix":
                yield
                return
            import fcntl

            assert self._path is not None
            self._path.parent.mkdir(parents=True, exist_ok=True)
            lock_path = self._path.with_name(f".{self._path.name}.lock")
            descriptor = os.open(lock_path, os.O_RDWR | os.O_CREAT, private_files.OWNER_ONLY)
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX)
                yield
            finally:
                os.close(descriptor)  # releases the lock

    def _read_file(self) -> dict[str, str]:
        path = self.path
        if not path.exists():
            return {}
        try:
            private_files.tighten(path)
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise SecretStoreError(f"{path}: the secrets file is unusable ({exc})") from None
        if (
            not isinstance(document, dict)
            or document.get("version") != FORMAT_VERSION
            or not isinstance(document.get("secrets"), dict)
            or not all(isinstance(v, str) for v in document["secrets"].values())
        ):
            raise SecretStoreError(f"{path}: the secrets file is unusable (not format 1)")
        return dict(document["secrets"])

    def _write_file(self, secrets: dict[str, str]) -> None:
        path = self.path
        text = json.dumps({"version": FORMAT_VERSION, "secrets": secrets}, indent=2)
        try:
            if path.exists():
                private_files.replace(path, text)
            elif not private_files.create(path, text):
                private_files.replace(path, text)  # created meanwhile: we hold the lock
        except OSError as exc:
            raise SecretStoreError(f"{path}: cannot write the secrets file ({exc})") from None

    # --- the keyring ---------------------------------------------------------------------

    def _entry(self, name: str) -> str:
        return f"{self._namespace}/{name}"

    def _keyring_get(self, name: str) -> str | None:
        try:
            return self._keyring.get_password(SERVICE, self._entry(name))
        except Exception as exc:
            raise SecretStoreError(f"{self.backend}: cannot read {name!r} ({exc})") from None

    def _keyring_set(self, name: str, value: str) -> None:
        try:
            self._keyring.set_password(SERVICE, self._entry(name), value)
            names = self._keyring_names()
            if name not in names:
                self._keyring.set_password(
                    SERVICE, self._entry(NAMES_ENTRY), json.dumps(sorted({*names, name}))
                )
        except SecretStoreError:
            raise
        except Exception as exc:
            raise SecretStoreError(f"{self.backend}: cannot store {name!r} ({exc})") from None

    def _keyring_delete(self, name: str) -> bool:
        try:
            if self._keyring.get_password(SERVICE, self._entry(name)) is None:
                return False
            self._keyring.delete_password(SERVICE, self._entry(name))
            names = self._keyring_names() - {name}
            self._keyring.set_password(SERVICE, self._entry(NAMES_ENTRY), json.dumps(sorted(names)))
        except SecretStoreError:
            raise
        except Exception as exc:
            raise SecretStoreError(f"{self.backend}: cannot delete {name!r} ({exc})") from None
        return True

    def _keyring_names(self) -> set[str]:
        try:
            text = self._keyring.get_password(SERVICE, self._entry(NAMES_ENTRY))
        except Exception as exc:
            raise SecretStoreError(f"{self.backend}: cannot list the secrets ({exc})") from None
        try:
            names = json.loads(text) if text else []
        except ValueError:
            names = []
        return {str(n) for n in names} if isinstance(names, list) else set()


def _check_name(name: str) -> None:
    if not name or name == NAMES_ENTRY or "/" in name or len(name) > 128:
        raise ValueError(f"{name!r} is not a usable secret name")
