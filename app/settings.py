"""User settings: a versioned schema, migrated forward on load, written atomically.

A workstation's settings outlive many releases; every change of shape bumps ``VERSION`` and adds a
step to ``MIGRATIONS`` so that an old file is carried forward instead of silently reset.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from app import paths

log = logging.getLogger(__name__)

VERSION = 1
# Layouts (arrangements of panels). Since sign-in, the signed-in person's roles choose the
# layout; "role" only remembers which of their own layouts they used last.
ROLES = ("operator", "commander", "trainer", "viewer")

Migration = Callable[[dict[str, Any]], dict[str, Any]]
# MIGRATIONS[n] turns a version-n document into a version-(n+1) document.
MIGRATIONS: dict[int, Migration] = {}


class SettingsError(Exception):
    """The settings file cannot be used; the message says why, for the operator."""


@dataclass(slots=True)
class Settings:
    language: str = "en"
    role: str = "operator"
    database_url: str = ""
    demo: bool = True
    demo_speed: float = 1.0
    # A training scenario (bundled name or file) played at start instead of the demo, at
    # ``demo_speed`` (0.5-60); see app/replay.
    scenario: str = ""
    sources: list[dict[str, Any]] = field(default_factory=list)
    flood_threshold: int = 100
    alert_sound: bool = True
    alert_flash: bool = True
    # Basemaps, site layers and optional online sources (see app/map/config.py).
    map: dict[str, Any] = field(default_factory=dict)
    # Cameras' detectors, models, ground mapping and the face-blur default (app/video/config.py).
    video: dict[str, Any] = field(default_factory=dict)
    # This desk's name in the audit log and session records (empty: the host name).
    workstation: str = ""
    # Roles, routing and unmask rules (YAML); empty: the bundled resources/security/policy.yaml.
    policy_file: str = ""
    # Directory sign-in (LDAP/Active Directory, app/security/directory.py); empty: local only.
    directory: dict[str, Any] = field(default_factory=dict)
    # Records older than this many days are purged (app/security/retention.py); 0 keeps
    # everything. The audit log is never purged.
    retention_days: int = 90
    # Hours between purges (the first runs shortly after start).
    retention_interval_h: float = 1.0

    def effective_database_url(self) -> str:
        return self.database_url or paths.default_database_url()

    def effective_workstation(self) -> str:
        """How this desk is named in the audit log and to the other workstations."""
        return self.workstation or socket.gethostname()


def migrate(document: dict[str, Any]) -> dict[str, Any]:
    """Brings a settings document of any known version up to ``VERSION``."""
    version = document.get("version", 1)
    if not isinstance(version, int) or version < 1:
        raise SettingsError(f"settings version {version!r} is not a positive whole number")
    if version > VERSION:
        raise SettingsError(
            f"settings were written by a newer Watchfloor (version {version}, this one "
            f"understands up to {VERSION})"
        )
    while version < VERSION:
        document = MIGRATIONS[version](dict(document))
        version += 1
        document["version"] = version
    return document


def from_document(document: dict[str, Any]) -> Settings:
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(document) - known - {"version"})
    if unknown:
        log.warning("Ignoring unknown settings: %s", ", ".join(unknown))
    settings = Settings(**{k: v for k, v in document.items() if k in known})
    if settings.role not in ROLES:
        raise SettingsError(f"role {settings.role!r} is not one of {', '.join(ROLES)}")
    return settings


def default_path() -> Path:
    return paths.config_dir() / "settings.json"


def load(path: Path | None = None) -> Settings:
    """Reads settings; a missing file gives defaults, a broken one a clear ``SettingsError``."""
    path = path or default_path()
    if not path.exists():
        return Settings()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise SettingsError(f"settings file {path} does not hold a JSON object")
    return from_document(migrate(document))


def save(settings: Settings, path: Path | None = None) -> None:
    """Writes through a temporary file so a crash or full disk never leaves half a file."""
    path = path or default_path()
    document = {"version": VERSION, **asdict(settings)}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def remember_choices(language: str, role: str, path: Path | None = None) -> None:
    """Persists what the operator chose in the window (language, role) and nothing else:
    one-off command-line overrides such as ``--db`` must not become permanent. A settings file
    that cannot be read is left as it is rather than replaced."""
    try:
        stored = load(path)
    except SettingsError as exc:
        log.error("Not saving language and role: %s", exc)
        return
    stored.language, stored.role = language, role
    save(stored, path)
