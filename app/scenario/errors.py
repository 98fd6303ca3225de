"""Problems found in a scenario file, each pointing at a file, a line and a field.

A trainer fixes a scenario in a text editor, so every problem reads like a compiler message
(``harbour.yaml:42: injects[3].data.confidence: 1.4 is greater than the maximum of 1``) that
an editor can jump to. All problems of a file are reported together, sorted by line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

# A place in the document: mapping keys and list indexes from the root.
FieldPath = tuple[str | int, ...]


def field_name(path: Iterable[str | int]) -> str:
    """``("injects", 3, "data", "confidence")`` as ``injects[3].data.confidence``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def display_path(path: Path) -> str:
    """The file as the trainer knows it: relative to the working folder when it is inside."""
    if not path.is_absolute():
        return str(path)
    try:
        relative = os.path.relpath(path)
    except ValueError:  # another drive (Windows)
        return str(path)
    return str(path) if relative.startswith("..") else relative


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [part for part in (where, self.field, self.message) if part]
        return ": ".join(parts)


class ScenarioError(ValueError):
    """The scenario cannot be used. The message lists every problem, one per line, each naming
    file, line and field; ``problems`` holds them for callers that show them otherwise."""

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem("", 0, "", problems)]
        self.problems = sorted(problems, key=lambda p: (p.file, p.line))
        super().__init__("\n".join(str(p) for p in self.problems))
