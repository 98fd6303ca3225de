"""Timeline benchmarks on a 24-hour recording in a real SQLite file: the review state at 20
random minutes (seek latency; the issue's target is one second) and the window query for the
last hour and for the whole day.

Run alone with ``python -m bench.timeline``; ``python -m bench`` runs it with the others.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from app.storage import RecordStore, create_engine_for, upgrade_schema
from app.terminology import default_terminology
from app.timeline.queries import events_between
from app.timeline.review import state_at
from bench.timeline_data import DAY_S, SIZES, build_day

Row = tuple[str, str, str]
SEEKS = 20
WINDOW_RUNS = 3


def timeline_benchmarks() -> list[Row]:
    day = datetime(2026, 6, 20, tzinfo=UTC)
    with tempfile.TemporaryDirectory() as folder:
        engine = create_engine_for(f"sqlite:///{Path(folder) / 'day.db'}")
        try:
            upgrade_schema(engine)
            started = time.perf_counter()
            counts = build_day(engine, day)
            built_s = time.perf_counter() - started
            store = RecordStore(engine)
            rows = [_build_row(counts, built_s)]
            rows += _seek_rows(store, day)
            rows += _window_rows(store, day)
        finally:
            engine.dispose()
    return rows


def _build_row(counts: dict[str, int], seconds: float) -> Row:
    total = sum(counts.values())
    return ("timeline", f"build 24-hour store ({total:,} rows)", f"{seconds:.1f} s")


def _seek_rows(store: RecordStore, day: datetime) -> list[Row]:
    rng = random.Random(20)
    minutes = [day + timedelta(minutes=rng.randrange(DAY_S // 60)) for _ in range(SEEKS)]
    terms = default_terminology()
    latencies, sizes = [], []
    for moment in minutes:
        started = time.perf_counter()
        with store.session() as session:
            state = state_at(session, moment, terms)
        latencies.append(time.perf_counter() - started)
        sizes.append(len(state.alerts))
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    summary = (
        f"median {_ms(statistics.median(latencies))}, p95 {_ms(p95)}, max {_ms(max(latencies))}"
    )
    verdict = "ok" if max(latencies) <= 1.0 else "OVER 1 s"
    return [
        ("timeline", f"review state at {SEEKS} random minutes of 24 h", f"{summary} ({verdict})"),
        (
            "timeline",
            "alerts in a review state (min/median/max)",
            f"{min(sizes)}/{int(statistics.median(sizes))}/{max(sizes)}",
        ),
    ]


def _window_rows(store: RecordStore, day: datetime) -> list[Row]:
    terms = default_terminology()
    rows = []
    for label, start, end in (
        ("1-hour", day + timedelta(hours=14), day + timedelta(hours=15)),
        ("24-hour", day, day + timedelta(days=1)),
    ):

        def query(start: datetime = start, end: datetime = end) -> int:
            with store.session() as session:
                return len(events_between(session, start, end, terms=terms).events)

        seconds, marks = _best_of(query)
        rows.append(("timeline", f"{label} window query ({marks} marks)", _ms(seconds)))
    return rows


def _best_of(work: Callable[[], int]) -> tuple[float, int]:
    """Median of a few runs (the first warms SQLite's page cache like a panel's first ask)."""
    times, result = [], 0
    for _ in range(WINDOW_RUNS):
        started = time.perf_counter()
        result = work()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


def main() -> None:
    sizes = ", ".join(f"{n:,} {kind}" for kind, n in SIZES.items())
    print(f"Timeline benchmarks on a 24-hour store ({sizes})")
    for area, measure, result in timeline_benchmarks():
        print(f"{area:<10} {measure:<48}  {result}")


if __name__ == "__main__":
    main()
