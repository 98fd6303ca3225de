"""Map benchmarks: live tracks at 1k/5k/10k, alert-to-marker latency, symbol renders.

The console runs offscreen with its real page (QtWebEngine, our script, Leaflet); records go
through the hub as in service. Targets (issue 4): 5,000 tracks at 1 Hz with frames under 33 ms;
alert stored to marker drawn p95 <= 1 s.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from app.gc_tuning import tune_for_long_runs
from app.model import GeoPoint, Track, utc_now
from app.settings import Settings
from tests.factories import alert

Row = tuple[str, str, str]
CENTRE = (59.9117, 10.7336)


STALLS: list[float] = []  # how long each round of GUI events took, in seconds


def _pump(until: Callable[[], bool], timeout_s: float) -> bool:
    from PySide6.QtWidgets import QApplication

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        started = time.monotonic()
        QApplication.processEvents()
        STALLS.append(time.monotonic() - started)
        if until():
            return True
        time.sleep(0.002)
    return False


def _js(panel: Any, script: str) -> Any:
    box: list[Any] = []
    panel.run_js(f"JSON.stringify({script})", box.append)
    _pump(lambda: bool(box), 10)
    return json.loads(box[0])


def _open_console(folder: Path):  # type: ignore[no-untyped-def]
    from bench.desk import signed_in_console
    from widgets.application import create_application
    from widgets.layouts import LayoutStore

    app = create_application()
    settings = Settings(database_url=f"sqlite:///{folder / 'bench.db'}", demo=False)
    console = signed_in_console(app, settings, LayoutStore(folder / "layouts"))
    console.window.resize(1600, 1000)
    console.window.show()
    console.core.start()
    tune_for_long_runs()  # as the console does once its window is open
    panel = console.window.panels["map"]
    if not _pump(lambda: panel.ready, 30):
        raise RuntimeError("the map page did not load")
    _js(panel, "Watchfloor.state.map.setView([59.9117, 10.7336], 13, {animate: false}) && 1")
    return app, console, panel


def _tracks(count: int, second: int) -> list[Track]:
    rng = random.Random(second)
    now = utc_now()
    return [
        Track(
            identifier=f"t-{n}",
            source_id="bench",
            time=now,
            point=GeoPoint(
                CENTRE[0] + rng.uniform(-0.03, 0.03), CENTRE[1] + rng.uniform(-0.06, 0.06)
            ),
            cot_type=("a-f-G", "a-h-G", "a-u-G", "a-n-A")[n % 4],
            course_deg=rng.uniform(0, 360),
        )
        for n in range(count)
    ]


def live_tracks(counts: tuple[int, ...] = (1000, 5000, 10000), seconds: int = 6) -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as scratch:
        _app, console, panel = _open_console(Path(scratch))
        sent: list[int] = []
        panel.sig_batch_sent.connect(sent.append)
        try:
            for count in counts:
                batches = [_tracks(count, s) for s in range(seconds)]  # built before timing
                # One untimed second first: symbols are drawn once and cached, not per frame.
                console.core.hub.publish_batch(_tracks(count, -1))
                _pump(lambda: False, 1)
                _js(panel, "(Watchfloor.state.frames.length = 0) || 1")
                sent.clear()
                STALLS.clear()
                start = time.monotonic()
                for second, batch in enumerate(batches):
                    console.core.hub.publish_batch(batch)
                    _pump(lambda s=second, t0=start: time.monotonic() - t0 >= s + 1, 2)
                elapsed = time.monotonic() - start
                stats = _js(panel, "Watchfloor.stats()")
                rate = sum(sent) / elapsed
                rows += [
                    (
                        "map",
                        f"{count:,} tracks at 1 Hz: updates drawn per second",
                        f"{rate:,.0f}/s",
                    ),
                    (
                        "map",
                        f"{count:,} tracks: canvas frame p95 / max of {stats['frames']} (< 33 ms)",
                        f"{stats['frameP95']:.1f} / {stats['frameMax']:.1f} ms",
                    ),
                    (
                        "map",
                        f"{count:,} tracks: longest GUI-thread stall (feed, JSON, hand-over)",
                        f"{max(STALLS) * 1000:.0f} ms",
                    ),
                ]
        finally:
            console.window.close()
            console.shutdown()
    return rows


def alert_to_marker(count: int = 60) -> list[Row]:
    with tempfile.TemporaryDirectory() as scratch:
        _app, console, panel = _open_console(Path(scratch))
        stored: dict[str, float] = {}

        def feed() -> None:
            for n in range(count):
                identifier = f"bench-{n}"
                # One tool each, so no two are folded together as repeats.
                fresh = alert(
                    identifier, sent=utc_now(), point=GeoPoint(*CENTRE), source_tool=identifier
                )
                console.core.ingest.accept([fresh])
                stored[identifier] = time.time() * 1000
                time.sleep(0.05)

        worker = threading.Thread(target=feed)
        worker.start()
        try:
            _pump(lambda: not worker.is_alive(), 60)
            script = "(Watchfloor.stats().objects.alert || 0)"
            _pump(lambda: _js(panel, script) >= count, 10)
            drawn = _js(panel, "Object.fromEntries(Watchfloor.state.drawnAt)")
        finally:
            worker.join()
            console.window.close()
            console.shutdown()
    delays = sorted(drawn[key] - stored[key] for key in stored if key in drawn)
    p95 = delays[int(len(delays) * 0.95) - 1] if delays else float("nan")
    return [
        (
            "map",
            f"alert stored to marker drawn, p95 / median of {len(delays)} (target p95 <= 1 s)",
            f"{p95:.0f} / {statistics.median(delays):.0f} ms",
        )
    ]


def symbol_renders(count: int = 400) -> list[Row]:
    from widgets.application import create_application
    from widgets.qt_symbols import SymbolRenderer

    create_application()
    renderer = SymbolRenderer()
    renderer.svg("10031500002201000000")  # loading milsymbol is start-up, not rendering
    codes = ["10031500002201000000", "10051500001100000000", "10061000000000000000"]
    start = time.perf_counter()
    for n in range(count):
        renderer.svg(codes[n % 3], 20 + n)  # every size new: no cache hits
    rate = count / (time.perf_counter() - start)
    start = time.perf_counter()
    for n in range(count):
        renderer.icon(codes[n % 3], 16 + n % 40)
    icons = count / (time.perf_counter() - start)
    return [
        ("map", "symbol SVG renders (QJSEngine + milsymbol, uncached)", f"{rate:,.0f}/s"),
        ("map", "symbol icons (SVG to pixmap, cached SVG)", f"{icons:,.0f}/s"),
    ]


def map_benchmarks() -> list[Row]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    return symbol_renders() + alert_to_marker() + live_tracks()
