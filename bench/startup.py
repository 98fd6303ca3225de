"""Cold start to window shown, and idle memory with the demo running."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _probe(idle_s: float) -> tuple[float, int]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.startup_probe", str(idle_s)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert child.stdout is not None
    shown_s, rss = float("nan"), 0
    for line in child.stdout:
        if line.startswith("shown"):
            shown_s = time.perf_counter() - started
        elif line.startswith("rss"):
            rss = int(line.split()[1])
    child.wait(timeout=120)
    return shown_s, rss


def cold_start(runs: int = 3) -> list[tuple[str, str, str]]:
    starts = [_probe(0.0)[0] for _ in range(runs)]
    _, rss = _probe(10.0)
    return [
        (
            "start-up",
            f"cold start to window shown (median of {runs})",
            f"{statistics.median(starts):.2f} s",
        ),
        ("memory", "resident memory after 10 s idle, demo running", f"{rss / 2**20:.0f} MiB"),
    ]
