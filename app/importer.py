"""Importing files (``main.py import PATH...``): alerts as CAP, Atom/RSS with CAP, GeoJSON,
STIX, tool-API JSON, or vendor JSON through a field mapping; posts as JSON Lines or CSV.

Each alert file is all or nothing: if any item of it is rejected, nothing of that file is
stored, so an operator never works from half a file and re-importing the fixed file gives the
whole picture. Post files (``.jsonl``, ``.ndjson``, ``.csv``) are exports of thousands of posts
from strangers: a bad line is skipped with its line number and reason, the rest is imported.
Files are independent: one bad file does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.model import Alert
from app.social.post_files import PostFileError, is_post_file, read_posts
from app.storage import StorageError
from app.terminology import Terminology
from app.toolapi.adapters import AdapterError
from app.toolapi.adapters.parse import DEFAULT_MAX_BYTES, parse_alerts
from app.toolapi.schema import AlertIn

log = logging.getLogger(__name__)

# Stores and publishes one batch through the ingest pipeline (where post authors are
# pseudonymised), e.g. ``Ingest.accept``.
StoreIngest = Callable[[Sequence[Any]], Any]


@dataclass(frozen=True, slots=True)
class FileResult:
    """The outcome for one file: how many alerts were stored, or why none were."""

    path: Path
    accepted: int = 0
    rejected: tuple[str, ...] = ()
    skipped: tuple[str, ...] = ()
    error: str | None = None
    format: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and not self.rejected


def import_files(
    paths: Iterable[str | Path],
    store_ingest: StoreIngest,
    terms: Terminology,
    tool_id: str = "import",
    *,
    mapping: dict[str, Any] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> list[FileResult]:
    """Imports each file in order; ``store_ingest`` stores and publishes one file's records
    as one batch (e.g. ``Ingest.accept``). Identifiers are namespaced by ``tool_id``."""
    return [
        import_file(Path(path), store_ingest, terms, tool_id, mapping=mapping, max_bytes=max_bytes)
        for path in paths
    ]


def import_file(
    path: Path,
    store_ingest: StoreIngest,
    terms: Terminology,
    tool_id: str = "import",
    *,
    mapping: dict[str, Any] | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> FileResult:
    if is_post_file(path.suffix):
        return import_post_file(path, store_ingest, tool_id, max_bytes=max_bytes)
    try:
        batch = parse_alerts(_read(path, max_bytes), mapping=mapping, max_bytes=max_bytes)
    except (OSError, AdapterError) as exc:
        return _refused(FileResult(path, error=_reason(exc)))
    skipped = tuple(str(s) for s in batch.skipped)
    rejected = tuple(str(r) for r in batch.rejected)
    records, problems = _records(batch.alerts, terms, tool_id)
    if rejected or problems:
        return _refused(FileResult(path, rejected=rejected + problems, skipped=skipped))
    if records:
        try:
            store_ingest(records)
        except StorageError as exc:
            return _refused(FileResult(path, skipped=skipped, error=str(exc)))
    log.info("Imported %s (%s): %d alert(s)", path, batch.format, len(records))
    return FileResult(path, len(records), skipped=skipped, format=batch.format)


def import_post_file(
    path: Path, store_ingest: StoreIngest, tool_id: str = "import", *, max_bytes: int
) -> FileResult:
    """Stores the valid posts of a JSON Lines or CSV file as one batch; the lines that are not
    valid posts are reported in ``skipped`` (the file itself is not refused for them)."""
    try:
        lines = read_posts(_read(path, max_bytes), path.suffix)
    except (OSError, AdapterError, PostFileError) as exc:
        return _refused(FileResult(path, error=_reason(exc)))
    records = [post.to_record(tool_id) for post in lines.posts]
    if records:
        try:
            store_ingest(records)
        except StorageError as exc:
            return _refused(FileResult(path, skipped=lines.rejected, error=str(exc)))
    log.info(
        "Imported %s (%s): %d post(s), %d line(s) skipped",
        path,
        lines.format,
        len(records),
        len(lines.rejected),
    )
    return FileResult(path, len(records), skipped=lines.rejected, format=f"{lines.format} posts")


def _read(path: Path, max_bytes: int) -> bytes:
    """At most one byte over the limit is read, so a huge or endless file (a device, a pipe)
    is refused without being loaded."""
    with path.open("rb") as stream:
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise AdapterError(f"file is larger than the limit of {max_bytes} bytes")
    return data


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"cannot read the file: {exc.strerror or exc}"
    return str(exc)


def _records(
    alerts: Sequence[AlertIn], terms: Terminology, tool_id: str
) -> tuple[list[Alert], tuple[str, ...]]:
    records, problems = [], []
    for alert in alerts:
        try:
            records.append(alert.to_record(tool_id, terms))
        except ValueError as exc:
            problems.append(f"{alert.identifier}: {exc}")
    return records, tuple(problems)


def _refused(result: FileResult) -> FileResult:
    log.warning(
        "Nothing imported from %s: %s",
        result.path,
        result.error or f"{len(result.rejected)} item(s) rejected",
    )
    return result
