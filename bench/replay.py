"""Replay benchmarks: how fast the engine plays a scenario into its simulated tools, and how
fast the console ingests an exercise through REST.

Run alone with ``python -m bench.replay`` (or with every benchmark, ``python -m bench``).
"""

from __future__ import annotations

import sys
import tempfile
import threading
import time
from pathlib import Path

from app.model import Observation
from app.replay.clock import MAX_SPEED, SimClock
from app.replay.engine import ReplayEngine
from app.runtime import Core
from app.scenario.model import InjectSpec, RouteSpec, ScenarioSpec, SeriesSpec
from app.settings import Settings
from app.simtools.tool import SimulatedTool

Row = tuple[str, str, str]
TICK_S = 0.1  # the exercise service ticks the engine ten times a second


def bench_spec(
    duration_s: float, sensors: int, every_s: float, alerts: int, routes: int
) -> ScenarioSpec:
    """Sensor series (most of the events), alert injects spread over the run, moving units."""
    series = tuple(
        SeriesSpec(f"s{n}", f"sensor-{n}", "ATP", "RLU", every_s, (100.0, 140.0, 90.0), "sensors")
        for n in range(sensors)
    )
    injects = tuple(
        InjectSpec(
            f"a{n}",
            duration_s * n / max(1, alerts),
            "alert",
            "weapons",
            {
                "sender": "bench@exercise.invalid",
                "event_type": "knife",
                "headline": f"Bench alert {n}",
                "description": "",
                "confidence": 0.8,
                "point": [59.0 + (n // 1000) * 0.01, 10.0 + (n % 1000) * 0.01],
            },
        )
        for n in range(alerts)
    )
    points = ((59.911, 10.733), (59.912, 10.734), (59.911, 10.735))
    units = tuple(
        RouteSpec(f"r{n}", f"Unit {n}", "a-f-G", points, 1.4, 1.0, "tracking")
        for n in range(routes)
    )
    return ScenarioSpec(
        id="bench",
        title="Replay benchmark",
        description="",
        city="",
        duration_s=duration_s,
        injects=injects,
        series=series,
        routes=units,
    )


def engine_rate(events: int = 1_000_000) -> list[Row]:
    """The engine's own work at maximum speed: what is due, as JSON, into the tools' feeds.
    The clock is driven by hand (60x, one tick per 0.1 s of wall time) and only the engine's
    time is counted; the tools' feeds are emptied between ticks, as the console's pulls do."""
    duration_s = 5000.0
    routes, alerts = 20, 10_000
    sensors = (events - alerts - routes * int(duration_s)) // int(duration_s)
    spec = bench_spec(duration_s - 0.5, sensors, 1.0, alerts, routes)
    fake = [0.0]
    clock = SimClock(MAX_SPEED, monotonic=lambda: fake[0], limit_s=spec.duration_s)
    tools = {tool_id: SimulatedTool(tool_id) for tool_id in spec.tools}
    engine = ReplayEngine(spec, tools, clock, "bench")
    total = engine.schedule.count(spec.duration_s)
    busy = 0.0
    published = 0
    while not engine.finished:
        fake[0] += TICK_S
        started = time.perf_counter()
        published += engine.advance()
        busy += time.perf_counter() - started
        for tool_id in tools:
            tools[tool_id] = SimulatedTool(tool_id)
    assert published == total, (published, total)
    needed = total / spec.duration_s * MAX_SPEED
    return [
        (
            "replay",
            f"engine: due + JSON + into tool feeds, {total:,} events at max speed",
            f"{total / busy:,.0f} events/s",
        ),
        (
            "replay",
            f"engine: share of one core needed at {MAX_SPEED:g}x ({needed:,.0f} events/s)",
            f"{needed / (total / busy):.1%}",
        ),
    ]


def rest_ingest_rate(sensors: int = 40, duration_s: float = 60.0) -> list[Row]:
    """End to end through REST: a real core plays an exercise at 60x; from the start until
    every reading is stored and published (readings every 0.1 s of scenario time)."""
    spec = bench_spec(duration_s, sensors, 0.1, 0, 0)
    expected = sensors * (int(duration_s / 0.1) + 1)
    played_s = duration_s / MAX_SPEED
    done = threading.Event()
    seen = [0]

    def on_observations(batch: list) -> None:
        seen[0] += len(batch)
        if seen[0] >= expected:
            done.set()

    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database_url=f"sqlite:///{Path(folder) / 'bench.db'}", demo=False)
        core = Core(settings)
        core.hub.subscribe(Observation, on_observations)
        core.start()
        started = time.perf_counter()
        core.exercise.start_exercise(spec, speed=MAX_SPEED)
        done.wait(600)
        elapsed = time.perf_counter() - started
        core.stop()
    return [
        (
            "replay",
            f"end to end over REST at {MAX_SPEED:g}x: {seen[0]:,} readings stored and published",
            f"{seen[0] / elapsed:,.0f} /s ({elapsed:.1f} s, of which {played_s:.0f} s playing)",
        )
    ]


def replay_benchmarks() -> list[Row]:
    return engine_rate() + rest_ingest_rate()


if __name__ == "__main__":
    for area, measure, result in replay_benchmarks():
        print(f"{area:<10} {measure:<80} {result}")
    sys.exit(0)
