"""``analyze-text``: posts in as JSON Lines, one analysis out per line.

Each input line is an object with ``text`` and optionally ``language`` and ``id``; the output
line is ``{"input_line": n, "id": ..., ...analysis}``, or ``{"input_line": n, "error": reason}``
when the line cannot be analysed. A bad line never stops the stream: a feed of thousands of
posts with one broken record should still be read to its end. Output is ASCII-only JSON, so a
post's direction-control characters cannot rearrange what a terminal shows.

Exit codes: 0 every line analysed, 1 at least one line failed, 2 unusable arguments.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any, TextIO

from detectors.text.analyzer import TextAnalyzer
from detectors.text.gazetteer import load_places
from detectors.text.language import language_code

log = logging.getLogger(__name__)

OK, SOME_FAILED, USAGE = 0, 1, 2


class BadLineError(ValueError):
    """An input line that is not a post; the message is written to the output."""


def _post(line: Any) -> dict[str, Any]:
    if isinstance(line, bytes):
        try:
            line = line.decode("utf-8")
        except UnicodeDecodeError:
            raise BadLineError("line is not UTF-8") from None
    if not isinstance(line, str):
        raise BadLineError(f"line is a {type(line).__name__}, not text")
    try:
        post = json.loads(line)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise BadLineError(f"not JSON: {str(exc)[:200]}") from None
    if not isinstance(post, dict):
        raise BadLineError("not a JSON object")
    if not isinstance(post.get("text"), str):
        raise BadLineError("'text' is missing or not a string")
    return post


def _analyse(
    post: dict[str, Any], number: int, analyzer: TextAnalyzer, default: str | None
) -> dict[str, Any]:
    record: dict[str, Any] = {"input_line": number}
    if isinstance(post.get("id"), str | int) and not isinstance(post.get("id"), bool):
        record["id"] = post["id"]
    language = default
    given = post.get("language")
    if given is not None:
        language = language_code(given)
        if language is None:
            record["warning"] = f"unsupported language {str(given)[:20]!r}; detected instead"
    record |= analyzer.analyze(post["text"], language).to_dict()
    return record


def analyze_stream(
    lines: Iterable[str],
    out: TextIO,
    language: str = "auto",
    analyzer: TextAnalyzer | None = None,
) -> int:
    """Analyses every JSONL post of ``lines`` into ``out``; returns the exit code. ``language``
    ("auto" or a code) applies to posts that do not name a supported language themselves."""
    default = None if language == "auto" else language_code(language)
    if language != "auto" and default is None:
        log.error("unsupported language %r: use auto, en, it, nb, fr or ar", language)
        return USAGE
    if analyzer is None:
        analyzer = TextAnalyzer(places=load_places())
    failed = 0
    for number, line in enumerate(lines, start=1):
        if isinstance(line, str | bytes) and not line.strip():
            continue
        try:
            record = _analyse(_post(line), number, analyzer, default)
        except BadLineError as exc:
            record, failed = {"input_line": number, "error": str(exc)}, failed + 1
        except Exception as exc:  # one post must not end the stream
            log.exception("line %d could not be analysed", number)
            record = {"input_line": number, "error": f"analysis failed ({type(exc).__name__})"}
            failed += 1
        try:
            out.write(json.dumps(record, ensure_ascii=True) + "\n")
        except (BrokenPipeError, OSError) as exc:
            log.error("output closed at line %d: %s", number, exc)
            return SOME_FAILED
    out.flush()
    return SOME_FAILED if failed else OK
