"""Bundled data files (``resources/``): read once per process, whoever asks.

Rules, terminology, layouts and checklists are read at start-up by the core and again by
panels; caching the text means the disk is touched once. Each caller parses its own copy, so
no caller can change what another one sees.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any


@cache
def read_text(path: str) -> str:
    return resources.files("resources").joinpath(path).read_text(encoding="utf-8")


def read_json(path: str) -> Any:
    return json.loads(read_text(path))


def resource_path(path: str) -> Path:
    """A bundled file as a path, for readers that need one (SQLite, our site-layer loader)."""
    return Path(str(resources.files("resources").joinpath(path)))
