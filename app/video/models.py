"""The model registry: detection model versions a camera can switch to, with their metrics.

A registry is a folder: ``registry.json`` lists the versions, and each version's weights sit in
a folder of their own (``v3/best.pt``), copied there so the training run that produced them
can be deleted. The list is rewritten through a temporary file, so a crash never leaves half a
registry; a registry file that cannot be read stops every change with a clear error instead of
being replaced by an empty one (which would orphan every model in it).

Versions are ``v1``, ``v2``, ... in order of registration and never reused.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import threading
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from app import paths
from app.model import utc_now
from app.video.messages import ModelVersion

log = logging.getLogger(__name__)

REGISTRY_FILE = "registry.json"
FORMAT_VERSION = 1
WEIGHT_SUFFIXES = (".pt", ".onnx")
METRICS = ("precision", "recall", "map50", "map50_95")
_VERSION = re.compile(r"v([1-9][0-9]*)")


class RegistryError(Exception):
    """The registry file is unreadable or malformed; it is left as it is for a person to fix."""


def default_root() -> Path:
    return paths.data_dir() / "models"


class ModelRegistry:
    """Registered model versions under ``root`` (default: ``models`` in the data folder).

    Safe to share between threads of one process; every call reads the file again, so a model
    registered by ``train-detector`` in another process shows up without a restart."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root).absolute() if root is not None else default_root()
        self._lock = threading.Lock()

    @property
    def file(self) -> Path:
        return self.root / REGISTRY_FILE

    def register(
        self,
        weights: Path,
        title: str,
        base: str = "",
        dataset: str = "",
        metrics: Mapping[str, float] | None = None,
        copy: bool = True,
    ) -> ModelVersion:
        """Adds ``weights`` as the next version. With ``copy`` the file is copied into the
        registry (the usual case: training runs are scratch); without, the entry points at
        ``weights`` where it is."""
        weights = Path(weights)
        if not weights.is_file():
            raise FileNotFoundError(f"no weights file at {weights}")
        if weights.suffix.lower() not in WEIGHT_SUFFIXES:
            raise ValueError(f"{weights}: weights must be .pt or .onnx")
        with self._lock:
            entries = self._read()
            version = f"v{_next_number(entries)}"
            stored = self._store(weights, version) if copy else weights.resolve()
            entry = {
                "version": version,
                "title": title,
                "file": _relative_to(stored, self.root),
                "base": str(base),
                "dataset": str(dataset),
                "created": utc_now().isoformat(),
                "metrics": {str(k): float(v) for k, v in (metrics or {}).items()},
            }
            self._write([*entries, entry])
        log.info("registered model %s (%s) from %s", version, title, weights)
        return self._to_version(entry)

    def versions(self) -> list[ModelVersion]:
        with self._lock:
            entries = self._read()
        return [self._to_version(entry) for entry in entries]

    def get(self, version: str) -> ModelVersion:
        """The registered ``version``; ``KeyError`` when there is none."""
        for model in self.versions():
            if model.version == version:
                return model
        raise KeyError(version)

    def path(self, version: str) -> Path:
        """Where ``version``'s weights are (``KeyError`` when it is not registered)."""
        return Path(self.get(version).path)

    def _store(self, weights: Path, version: str) -> Path:
        """Copies through a temporary name so a half-copied file never carries the real one;
        a folder left by a registration that crashed before the list was written is reused."""
        folder = self.root / version
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / weights.name
        partial = folder / f".{weights.name}.partial"
        shutil.copyfile(weights, partial)
        os.replace(partial, target)
        return target

    def _read(self) -> list[dict[str, Any]]:
        if not self.file.exists():
            return []
        try:
            document = json.loads(self.file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise RegistryError(f"cannot read the model registry {self.file}: {exc}") from exc
        return _validated(document, self.file)

    def _write(self, entries: list[dict[str, Any]]) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        document = {"format": FORMAT_VERSION, "models": entries}
        fd, tmp = tempfile.mkstemp(prefix=".registry-", dir=self.root)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, indent=2, ensure_ascii=False)
            os.replace(tmp, self.file)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _to_version(self, entry: Mapping[str, Any]) -> ModelVersion:
        path = Path(entry["file"])
        metrics = entry.get("metrics", {})
        ordered = [k for k in METRICS if k in metrics] + sorted(set(metrics) - set(METRICS))
        return ModelVersion(
            version=entry["version"],
            title=entry["title"],
            path=str(path if path.is_absolute() else self.root / path),
            created=datetime.fromisoformat(entry["created"]),
            metrics=tuple((k, float(metrics[k])) for k in ordered),
        )


def _validated(document: Any, file: Path) -> list[dict[str, Any]]:
    models = document.get("models") if isinstance(document, dict) else None
    if not isinstance(models, list):
        raise RegistryError(f"the model registry {file} has no 'models' list")
    for index, entry in enumerate(models):
        keys = ("version", "title", "file", "created")
        if not isinstance(entry, dict) or not all(isinstance(entry.get(k), str) for k in keys):
            raise RegistryError(f"the model registry {file}: entry {index} is malformed")
        if not _VERSION.fullmatch(entry["version"]):
            raise RegistryError(f"the model registry {file}: bad version {entry['version']!r}")
        try:
            datetime.fromisoformat(entry["created"])
            for value in entry.get("metrics", {}).values():
                float(value)
        except (TypeError, ValueError, AttributeError) as exc:
            raise RegistryError(f"the model registry {file}: entry {index}: {exc}") from exc
    return models


def _next_number(entries: list[dict[str, Any]]) -> int:
    numbers = [int(_VERSION.fullmatch(e["version"]).group(1)) for e in entries]  # type: ignore[union-attr]
    return max(numbers, default=0) + 1


def _relative_to(path: Path, root: Path) -> str:
    """Stored relative to the registry when inside it, so the whole folder can be moved."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)
