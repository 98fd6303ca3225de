"""Tool credentials from the secret store, never from the settings file.

A connector's ``auth`` names its credential with ``secret: NAME``; the value is read from the
``SecretStore`` when the connector is built, and lives only in that connector's memory. A
credential still written in the settings file (``token``, ``password``, ``key``) is moved into
the secret store at start and the file rewritten without it, with one warning: settings files
get copied, mailed and committed; a secret must not go with them.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

from app.security.secrets import SecretStore, SecretStoreError
from app.sync.config import SECRET_FIELD_OF, SECRET_FIELDS, ConnectorConfig

log = logging.getLogger(__name__)


class CredentialError(ValueError):
    """A connector's secret is missing from the secret store (the message names it)."""


def secret_name(connector_id: str) -> str:
    return f"tool-{connector_id}"


def resolve(config: ConnectorConfig, secrets: SecretStore | None = None) -> ConnectorConfig:
    """``config`` with the credential its ``auth.secret`` names filled in."""
    auth = config.auth
    if not auth.secret:
        return config
    field = SECRET_FIELD_OF.get(auth.kind)
    if field is None:
        raise CredentialError(f"{config.id}: {auth.kind} authentication takes no secret")
    store = secrets if secrets is not None else SecretStore()
    try:
        value = store.get(auth.secret)
    except SecretStoreError as exc:
        raise CredentialError(f"{config.id}: {exc}") from None
    if value is None:
        raise CredentialError(
            f"{config.id}: the secret {auth.secret!r} is not in the secret store "
            f"({store.backend}); set it with 'main.py secrets set {auth.secret}'"
        )
    return config.model_copy(update={"auth": auth.model_copy(update={field: value})})


def move_plain_credentials(path: Path, secrets: SecretStore | None = None) -> list[str]:
    """Moves credentials written in the settings file at ``path`` into the secret store and
    rewrites the file with ``secret: NAME`` in their place. Returns the secrets' names. Each
    value is stored and read back before the file loses it. A file that cannot be read is
    left alone (the settings loader reports it)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    if not isinstance(document, dict) or not isinstance(document.get("sources"), list):
        return []
    store = secrets if secrets is not None else SecretStore()
    moved: list[str] = []
    for source in document["sources"]:
        auth = _auth_of(source)
        if auth is None:
            continue
        plain = [name for name in SECRET_FIELDS if auth.get(name)]
        if not plain:
            continue
        connector_id = str(source["params"].get("id", "tool"))
        name = str(auth.get("secret") or secret_name(connector_id))
        field = SECRET_FIELD_OF.get(str(auth.get("kind", "none")), plain[0])
        value = str(auth.get(field) or auth[plain[0]])
        store.set(name, value)
        if store.get(name) != value:
            raise SecretStoreError(f"{store.backend}: {name!r} did not read back as written")
        for key in plain:
            del auth[key]
        auth["secret"] = name
        moved.append(name)
    if moved:
        _write(path, document)
        log.warning(
            "Moved %d tool credential(s) from %s into the secret store (%s): %s",
            len(moved),
            path,
            store.backend,
            ", ".join(moved),
        )
    return moved


def _auth_of(source: Any) -> dict[str, Any] | None:
    if not isinstance(source, dict) or not isinstance(source.get("params"), dict):
        return None
    auth = source["params"].get("auth")
    return auth if isinstance(auth, dict) else None


def _write(path: Path, document: dict[str, Any]) -> None:
    """Replaces the settings file in one step, keeping its permissions."""
    mode = path.stat().st_mode & 0o777
    fd, temporary = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
