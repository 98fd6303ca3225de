"""Garbage-collector settings for a console that runs for a whole shift.

With Python's default thresholds, a full collection over tens of thousands of live records
pauses every thread for 40 to 60 ms, often enough to stall the GUI under an alert burst
(measured in ``bench/``). Records are acyclic frozen dataclasses freed by reference counting,
so collecting cycles less often costs little memory; objects alive after start-up are frozen
out of every later scan.
"""

from __future__ import annotations

import gc

THRESHOLDS = (20_000, 50, 1_000)


def tune_for_long_runs() -> None:
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
