"""CSV exports of the diagrams' aggregates, for spreadsheets and planning reports.

Headers are in the operator's language; values stay machine-readable (local times as
``YYYY-MM-DD HH:MM`` with the UTC offset in a column of its own, plain integers, coordinates
with a decimal point), so a spreadsheet in any locale can compute with them. Files are UTF-8
with a byte-order mark: without it, spreadsheet programs read the file in the legacy code page
and Arabic or accented headers turn to mojibake.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
from pathlib import Path

from app.stats.aggregates import (
    HOURS_PER_DAY,
    AckDistribution,
    CategoryCounts,
    LocationHeat,
    TopSources,
)
from app.terminology import Terminology
from i18n import gettext, ngettext

Rows = list[list[str]]
ENCODING = "utf-8-sig"  # UTF-8 with a byte-order mark


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def category_rows(counts: CategoryCounts, terms: Terminology) -> Rows:
    header = [gettext("Period start (local time)"), gettext("UTC offset")]
    header += [terms.category_name(category) for category in counts.categories]
    header.append(gettext("Total"))
    rows = [header]
    for start, row in zip(counts.buckets, counts.counts, strict=True):
        stamp = start.isoformat(sep=" ", timespec="minutes")
        rows.append([stamp[:16], stamp[16:] or "+00:00", *map(str, row), str(sum(row))])
    return rows


def ack_rows(distribution: AckDistribution) -> Rows:
    rows = [[gettext("From (minutes)"), gettext("To (minutes)"), gettext("Alerts")]]
    edges = distribution.edges
    for low, high, count in zip(edges[:-1], edges[1:], distribution.counts, strict=True):
        rows.append([_number(low), _number(high), str(count)])
    rows.append([gettext("Never acknowledged"), "", str(distribution.never_acknowledged)])
    return rows


def source_rows(top: TopSources) -> Rows:
    rows = [[gettext("Source"), gettext("Alerts")]]
    rows += [[name, str(count)] for name, count in zip(top.sources, top.counts, strict=True)]
    if top.others:
        others = ngettext("{count} other source", "{count} other sources", top.other_sources)
        rows.append([others.format(count=top.other_sources), str(top.others)])
    return rows


def heat_rows(heat: LocationHeat) -> Rows:
    hours = [f"{hour:02d}" for hour in range(HOURS_PER_DAY)]
    rows = [[gettext("Latitude"), gettext("Longitude"), *hours, gettext("Total")]]
    for cell, counts in zip(heat.cells, heat.counts, strict=True):
        rows.append([f"{cell.lat:.5f}", f"{cell.lon:.5f}", *map(str, counts), str(sum(counts))])
    blanks = [""] * (HOURS_PER_DAY + 1)
    if heat.elsewhere:
        rows.append([gettext("Other cells"), *blanks, str(heat.elsewhere)])
    if heat.unlocated:
        rows.append([gettext("Without a location"), *blanks, str(heat.unlocated)])
    return rows


def csv_text(rows: Rows) -> str:
    """The rows as CSV text (no byte-order mark: that belongs to the file's encoding)."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Writes the file whole or not at all: a full disk or a refused permission raises
    ``OSError`` (for the dialog to show) and leaves no half-written file behind."""
    target = Path(path)
    partial = target.with_name(f".{target.name}.part")
    try:
        partial.write_bytes(data)
        os.replace(partial, target)
    except OSError:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise
    return target


def write_csv(path: str | os.PathLike[str], rows: Rows) -> Path:
    """The rows as a CSV file, UTF-8 with a byte-order mark; see ``write_bytes``."""
    return write_bytes(path, csv_text(rows).encode(ENCODING))
