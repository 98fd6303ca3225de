"""Where user data and configuration live: the platform's own folders, unless
``WATCHFLOOR_HOME`` points elsewhere (portable installs, tests, a second console on one desk)."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "watchfloor"


def _home_override() -> Path | None:
    value = os.environ.get("WATCHFLOOR_HOME")
    return Path(value).expanduser() if value else None


def data_dir() -> Path:
    base = _home_override()
    path = base / "data" if base else Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def config_dir() -> Path:
    base = _home_override()
    path = (
        base / "config" if base else Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path


def default_database_url() -> str:
    return f"sqlite:///{data_dir() / 'watchfloor.db'}"
