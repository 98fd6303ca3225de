"""A Babel extractor for our data files: every ``"name"`` value in a JSON document is a
user-visible label (terminology entries, priorities, categories, health states)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import IO, Any

Extracted = tuple[int, str | None, str, list[str]]


def _names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "name" and isinstance(value, str):
                yield value
            else:
                yield from _names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _names(item)


def extract_json_names(
    fileobj: IO[bytes], keywords: Any, comment_tags: Any, options: Any
) -> Iterator[Extracted]:
    document = json.loads(fileobj.read().decode("utf-8"))
    for name in _names(document):
        # No line numbers in parsed JSON; the catalog is written without locations anyway.
        yield 0, None, name, []
