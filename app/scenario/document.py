"""A scenario file read into plain data plus the line every field was written on.

YAML is composed with PyYAML, whose nodes carry start marks. JSON is parsed by the ``json``
module, which is the authority on what JSON means (PyYAML reads ``1e5`` as text, pairs
``\\ud83d\\ude00`` into nothing and rejects tab indentation), and the lines come from a small
walk over the already-validated text. Either way a field's line is the line of its key, or of
the item for list entries, so a message points where the trainer would type the fix.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass, field
from json.decoder import scanstring  # type: ignore[attr-defined]
from pathlib import Path
from typing import Any

import yaml

from app.scenario.errors import FieldPath, Problem, ScenarioError, display_path, field_name

MAX_BYTES = 32 * 1024 * 1024
# libyaml's loader when PyYAML was built with it: the same nodes and marks, ten times faster.
YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_SPACE = re.compile(r"[ \t\n\r]*")
_MAX_DEPTH = 200


@dataclass(frozen=True)
class Document:
    path: Path
    data: Any
    lines: dict[FieldPath, int]
    # Keys written twice in one mapping (the parser keeps the last silently): path, line.
    duplicates: list[tuple[FieldPath, int]] = field(default_factory=list)

    @property
    def file(self) -> str:
        return display_path(self.path)

    def line(self, path: FieldPath) -> int:
        """The line of ``path``, or of its nearest ancestor the index knows."""
        key = self._normalised(path)
        while key and key not in self.lines:
            key = key[:-1]
        return self.lines.get(key, 1)

    def problem(self, path: FieldPath, message: str) -> Problem:
        return Problem(self.file, self.line(path), field_name(path), message)

    def _normalised(self, path: FieldPath) -> FieldPath:
        """Mapping keys as the index spells them (text), list indexes as numbers."""
        out: list[str | int] = []
        node: Any = self.data
        for part in path:
            if isinstance(node, list) and isinstance(part, int):
                out.append(part)
                node = node[part] if 0 <= part < len(node) else None
            else:
                out.append(str(part))
                node = node.get(part) if isinstance(node, dict) else None
        return tuple(out)


def read_document(path: Path) -> Document:
    """Read ``path`` (YAML unless its suffix is ``.json``); a file that cannot be parsed raises
    ``ScenarioError`` naming the line of the syntax error."""
    file = display_path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError([Problem(file, 0, "", "file not found")]) from None
    except OSError as exc:
        raise ScenarioError(
            [Problem(file, 0, "", f"cannot read the file ({exc.strerror})")]
        ) from exc
    if len(raw) > MAX_BYTES:
        raise ScenarioError([Problem(file, 0, "", f"larger than {MAX_BYTES // 2**20} MiB")])
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError([Problem(file, line, "", "not UTF-8 text")]) from None
    reader = _read_json if path.suffix.lower() == ".json" else _read_yaml
    data, lines, duplicates = reader(text, file)
    if data is None:
        raise ScenarioError([Problem(file, 1, "", "the file is empty")])
    return Document(path, data, lines, duplicates)


# --- YAML ----------------------------------------------------------------------------------


def _read_yaml(text: str, file: str) -> tuple[Any, dict[FieldPath, int], list]:
    loader = YAML_LOADER(text)
    lines: dict[FieldPath, int] = {}
    duplicates: list[tuple[FieldPath, int]] = []
    try:
        node = loader.get_single_node()
        if node is not None:  # walked before constructing, which flattens merge keys in place
            _walk_yaml(node, (), lines, duplicates)
        data = None if node is None else loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        detail = " ".join(str(part) for part in (exc.context, exc.problem) if part)
        line = mark.line + 1 if mark else 0
        raise ScenarioError([Problem(file, line, "", f"YAML syntax error: {detail}")]) from None
    except yaml.YAMLError as exc:
        raise ScenarioError([Problem(file, 0, "", f"not valid YAML: {exc}")]) from None
    finally:
        loader.dispose()
    return data, lines, duplicates


def _walk_yaml(node: yaml.Node, path: FieldPath, lines: dict, duplicates: list) -> None:
    lines.setdefault(path, node.start_mark.line + 1)
    if len(path) > _MAX_DEPTH:  # aliases can make a node its own child
        return
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                continue
            child = (*path, key_node.value)
            if key_node.value in seen:
                duplicates.append((child, key_node.start_mark.line + 1))
            seen.add(key_node.value)
            lines[child] = key_node.start_mark.line + 1
            _walk_yaml(value_node, child, lines, duplicates)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk_yaml(item, (*path, index), lines, duplicates)


# --- JSON ----------------------------------------------------------------------------------


def _read_json(text: str, file: str) -> tuple[Any, dict[FieldPath, int], list]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        problem = Problem(
            file, exc.lineno, "", f"JSON syntax error: {exc.msg} (column {exc.colno})"
        )
        raise ScenarioError([problem]) from None
    lines: dict[FieldPath, int] = {}
    duplicates: list[tuple[FieldPath, int]] = []
    try:
        _JsonLines(text, lines, duplicates).walk(0, ())
    except RecursionError:  # valid but absurdly nested: messages fall back to line 1
        lines.clear()
    return data, lines, duplicates


class _JsonLines:
    """Records the line of every key and list item of a text ``json.loads`` has accepted."""

    def __init__(self, text: str, lines: dict, duplicates: list) -> None:
        self.text, self.lines, self.duplicates = text, lines, duplicates
        self._newlines = [i for i, char in enumerate(text) if char == "\n"]
        self._scalar = json.JSONDecoder().raw_decode

    def line(self, pos: int) -> int:
        return bisect.bisect_left(self._newlines, pos) + 1

    def skip(self, pos: int) -> int:
        return _SPACE.match(self.text, pos).end()  # type: ignore[union-attr]

    def walk(self, pos: int, path: FieldPath) -> int:
        """Index the value at ``pos``; returns the position just after it."""
        pos = self.skip(pos)
        self.lines.setdefault(path, self.line(pos))
        char = self.text[pos]
        if char == "{":
            return self._object(pos, path)
        if char == "[":
            return self._array(pos, path)
        return self._scalar(self.text, pos)[1]

    def _object(self, pos: int, path: FieldPath) -> int:
        pos, seen = self.skip(pos + 1), set()
        if self.text[pos] == "}":
            return pos + 1
        while True:
            pos = self.skip(pos)
            key, end = scanstring(self.text, pos + 1)
            child = (*path, key)
            if key in seen:
                self.duplicates.append((child, self.line(pos)))
            seen.add(key)
            self.lines[child] = self.line(pos)
            pos = self.skip(self.walk(self.skip(end) + 1, child))
            if self.text[pos] == "}":
                return pos + 1
            pos += 1

    def _array(self, pos: int, path: FieldPath) -> int:
        pos, index = self.skip(pos + 1), 0
        if self.text[pos] == "]":
            return pos + 1
        while True:
            pos = self.skip(self.walk(pos, (*path, index)))
            index += 1
            if self.text[pos] == "]":
                return pos + 1
            pos += 1
