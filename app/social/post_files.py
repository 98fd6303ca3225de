"""Posts from files: JSON Lines (one tool-API post per line) and CSV with a header row.

Exports from monitoring platforms are long and messy, so a file of posts is not all or nothing
like a file of alerts: each bad post is rejected with its line number and a reason, and the
rest is imported. Every line is decoded as strict UTF-8 on its own, so one broken line cannot
hide the good ones. Posts pass the same ``PostIn`` validation as over REST; their text is kept
as written (markup, bidirectional controls, invisible characters, emoji), within its length.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from app.toolapi.records import PostIn
from app.toolapi.schema import describe_error
from i18n import gettext

SUFFIXES = {".jsonl": "JSON Lines", ".ndjson": "JSON Lines", ".csv": "CSV"}
CSV_COLUMNS = ("platform", "author", "text", "time", "lat", "lon", "language", "reply_to")
REQUIRED_COLUMNS = frozenset({"platform", "author", "text", "time"})
_BOM = b"\xef\xbb\xbf"


class PostFileError(ValueError):
    """The whole file is unusable (e.g. a CSV without the columns a post needs)."""


@dataclass(frozen=True, slots=True)
class PostLines:
    """What a file held: the valid posts, and one reason per rejected line."""

    posts: tuple[PostIn, ...]
    rejected: tuple[str, ...]
    format: str


def is_post_file(suffix: str) -> bool:
    return suffix.lower() in SUFFIXES


def read_posts(data: bytes, suffix: str) -> PostLines:
    """Parses a whole file; raises ``PostFileError`` only when no line can be read at all."""
    name = SUFFIXES[suffix.lower()]
    data = data.removeprefix(_BOM)  # spreadsheet programs write one in front of UTF-8
    reader = _csv_items if name == "CSV" else _json_lines
    posts, rejected = [], []
    repeats: Counter[str] = Counter()
    for line, item in reader(data):
        if isinstance(item, str):
            rejected.append(item)
            continue
        try:
            posts.append(PostIn.model_validate(_with_identifier(item, repeats)))
        except ValidationError as exc:
            rejected.append(_at(line, describe_error(exc)))
    return PostLines(tuple(posts), tuple(rejected), name)


def _at(line: int, reason: str) -> str:
    return gettext("line {line}: {reason}").format(line=line, reason=reason)


def _not_utf8(line: int, error: UnicodeDecodeError) -> str:
    # The offending byte and where it is, never the line itself (it may hold a raw handle).
    return gettext("line {line}: not valid UTF-8 (byte {byte} at column {column})").format(
        line=line, byte=f"0x{error.object[error.start]:02x}", column=error.start + 1
    )


def _json_lines(data: bytes) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """``(line, post)`` per non-blank line, or ``(line, reason)`` for a line that is no post."""
    for number, raw in enumerate(data.splitlines(), start=1):
        try:
            text = raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            yield number, _not_utf8(number, exc)
            continue
        if not text.strip():
            continue
        try:
            item = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, _at(number, gettext("not JSON ({reason})").format(reason=exc.msg))
            continue
        if not isinstance(item, dict):
            yield number, _at(number, gettext("not a JSON object"))
            continue
        yield number, item


def _csv_items(data: bytes) -> Iterator[tuple[int, dict[str, Any] | str]]:
    """``(first line, post)`` per CSV record; a quoted text may span lines, so a record whose
    lines include an undecodable one is rejected whole, and the records after it are read."""
    bad: dict[int, UnicodeDecodeError] = {}
    # csv's own field limit (131,072 characters) is far above a post's, and a field over it
    # is one more rejected record.
    reader = csv.reader(_decoded_lines(data, bad), strict=True)
    header = _header(reader, bad)
    last = reader.line_num
    while True:
        first = last + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            last = reader.line_num
            yield first, _at(first, gettext("not CSV ({reason})").format(reason=exc))
            continue
        last = reader.line_num
        broken = next((n for n in range(first, last + 1) if n in bad), None)
        if broken is not None:
            yield first, _not_utf8(broken, bad[broken])
        elif any(cell.strip() for cell in row):
            item = _csv_post(header, row)
            yield first, item if isinstance(item, dict) else _at(first, item)


def _decoded_lines(data: bytes, bad: dict[int, UnicodeDecodeError]) -> Iterator[str]:
    """Each line strictly decoded; an undecodable one is noted in ``bad`` and stands in
    replaced, so that the CSV structure around it stays intact."""
    for number, raw in enumerate(data.splitlines(keepends=True), start=1):
        try:
            yield raw.decode("utf-8", errors="strict")
        except UnicodeDecodeError as exc:
            bad[number] = exc
            yield raw.decode("utf-8", errors="replace")


def _header(reader: Any, bad: dict[int, UnicodeDecodeError]) -> list[str]:
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error) as exc:
        raise PostFileError(gettext("the CSV file has no header row")) from exc
    if 1 in bad:
        raise PostFileError(_not_utf8(1, bad[1]))
    if REQUIRED_COLUMNS - set(header):
        raise PostFileError(
            gettext("the CSV header must name the columns {columns}").format(
                columns=", ".join(CSV_COLUMNS)
            )
        )
    return header


def _csv_post(header: list[str], row: list[str]) -> dict[str, Any] | str:
    """A CSV record as tool-API JSON (empty cells are absent values, lat/lon a GeoJSON
    point), or why its position is unusable."""
    cells = {name: value for name, value in zip(header, row, strict=False) if value != ""}
    item: dict[str, Any] = {
        name: cells[name]
        for name in ("identifier", "platform", "author", "text", "time", "language", "reply_to")
        if name in cells
    }
    if "lat" in cells or "lon" in cells:
        try:
            lon, lat = float(cells["lon"]), float(cells["lat"])
        except (KeyError, ValueError):
            return gettext("lat and lon must both be numbers, or both empty")
        item["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
    return item


def _with_identifier(item: dict[str, Any], repeats: Counter[str]) -> dict[str, Any]:
    """Exports often carry no identifier; one is derived from what the post says, so that
    importing the same file again updates instead of doubling. The author is left out: an
    unkeyed hash of a handle could be reversed by trying handles."""
    if item.get("identifier") not in (None, ""):
        return item
    seed = "\x1f".join(str(item.get(name, "")) for name in ("platform", "time", "text"))
    digest = hashlib.sha256(seed.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    repeats[digest] += 1
    suffix = "" if repeats[digest] == 1 else f"-{repeats[digest]}"
    return {**item, "identifier": f"post-{digest}{suffix}"}
