"""``main.py --headless``: the core with no display, as a detector node or a soak test runs it."""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

from app.gc_tuning import tune_for_long_runs
from app.messages import SourceHealth
from app.model import RECORD_TYPES
from app.replay.messages import ExerciseStatus
from app.replay.scoring import score_summary
from app.runtime import Core

log = logging.getLogger(__name__)

REPORT_EVERY_S = 10.0
# After a scenario's end: time for the connectors to pull its last records (they poll every 1 s).
SCENARIO_GRACE_S = 3.0


class _Tally:
    """Counts what reached the hub, by record type, for the periodic log line."""

    def __init__(self) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def on_records(self, batch: Sequence[Any]) -> None:
        with self._lock:
            self.counts.update(type(r).__name__ for r in batch if isinstance(r, RECORD_TYPES))

    def on_health(self, batch: Sequence[SourceHealth]) -> None:
        for health in batch:
            if health.last_error:
                log.warning("%s is %s: %s", health.title, health.state, health.last_error)

    def summary(self) -> str:
        with self._lock:
            parts = [f"{name}: {count}" for name, count in sorted(self.counts.items())]
        return ", ".join(parts) or "no records yet"


class _ScenarioEnd:
    """Stops a headless exercise a grace period after its scenario reached its end."""

    def __init__(self, stop: threading.Event) -> None:
        self.timer = threading.Timer(SCENARIO_GRACE_S, stop.set)
        self.timer.daemon = True

    def on_status(self, batch: Sequence[ExerciseStatus]) -> None:
        if any(status.finished for status in batch) and not self.timer.ident:
            log.info("The scenario has ended; stopping in %.0f s", SCENARIO_GRACE_S)
            self.timer.start()


def run(core: Core, duration_s: float | None) -> int:
    stop = threading.Event()
    previous = {
        sig: signal.signal(sig, lambda *_: stop.set()) for sig in (signal.SIGINT, signal.SIGTERM)
    }
    tally = _Tally()
    subscriptions = [
        core.hub.subscribe(object, tally.on_records),
        core.hub.subscribe(SourceHealth, tally.on_health),
    ]
    ending = _ScenarioEnd(stop)
    if core.scenario is not None:
        subscriptions.append(core.hub.subscribe(ExerciseStatus, ending.on_status))
    deadline = None if duration_s is None else time.monotonic() + duration_s
    log.info("Headless core running on %s", core.engine.url.render_as_string())
    tune_for_long_runs()
    core.start()
    try:
        while not stop.is_set():
            remaining = REPORT_EVERY_S if deadline is None else deadline - time.monotonic()
            if remaining <= 0 or stop.wait(min(REPORT_EVERY_S, remaining)):
                break
            log.info("Received %s", tally.summary())
    finally:
        ending.timer.cancel()
        core.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for subscription in subscriptions:
            subscription.cancel()
    log.info("Stopped. Received %s", tally.summary())
    if core.scenario is not None:
        log.info("Exercise %s: %s", core.scenario.id, score_summary(core.exercise.final_score))
    return 0
