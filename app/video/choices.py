"""Which model each camera runs, as operators chose it: kept across restarts.

Operators switch a camera to a freshly trained model version from the video panel; the choice
must survive a restart without rewriting the workstation's settings file (which an
administrator may manage), so it lives in its own small file beside the model registry.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger(__name__)


class ModelChoices:
    def __init__(self, path: Path) -> None:
        self.path = path
        self._choices = self._load()

    def _load(self) -> dict[str, str | None]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.error("Ignoring the cameras' model choices in %s: %s", self.path, exc)
            return {}
        if not isinstance(document, dict):
            return {}
        return {str(k): (str(v) if v else None) for k, v in document.items()}

    def chosen(self, camera_id: str) -> tuple[bool, str | None]:
        """(whether an operator chose, the version chosen; ``None`` = built-in detectors)."""
        return (camera_id in self._choices, self._choices.get(camera_id))

    def choose(self, camera_id: str, version: str | None) -> None:
        self._choices[camera_id] = version
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(prefix=".choices-", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(self._choices, handle, indent=2)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
