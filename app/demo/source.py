"""Plays the bundled scenario as a live source, looping, on a wall clock scaled by ``speed``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from importlib import resources
from pathlib import Path

from app.demo.scenario import INJECT_KINDS, Scenario
from app.hub import Hub
from app.ingest import Ingest
from app.messages import HealthState, SourceHealth
from app.model import utc_now
from app.storage import StorageError
from app.terminology import default_terminology
from i18n import N_, gettext

log = logging.getLogger(__name__)

TICK_S = 0.25
TITLE = N_("Demo scenario")


def bundled_scenario_path() -> Path:
    with resources.as_file(resources.files("resources").joinpath("demo/scenario.json")) as path:
        return Path(path)


class DemoScenarioSource:
    id = "demo"

    def __init__(
        self, scenario: str = "", speed: float = 1.0, kinds: list[str] | None = None
    ) -> None:
        if not 0.1 <= speed <= 60:
            raise ValueError(f"demo speed {speed} is outside 0.1 to 60")
        self.scenario = Scenario.load(Path(scenario) if scenario else bundled_scenario_path())
        self.speed = speed
        # The demo's simulated tools serve the alerts over REST; this source plays the rest.
        self.kinds = frozenset(kinds) if kinds is not None else INJECT_KINDS

    @property
    def title(self) -> str:
        return gettext(TITLE)

    def run(self, ingest: Ingest, hub: Hub, token: threading.Event) -> None:
        terms = default_terminology()
        started = time.monotonic()
        origin = utc_now()
        played_s, loop, sent = 0.0, 0, 0
        pending: list[object] = []
        hub.publish(self._health(HealthState.OK, "", sent))
        while not token.wait(TICK_S):
            now_s = (time.monotonic() - started) * self.speed - loop * self.scenario.duration_s
            end_s = min(now_s, self.scenario.duration_s)
            pending.extend(
                self.scenario.records_between(
                    played_s, end_s, self._clock(origin, loop), loop, terms, self.kinds
                )
            )
            played_s = end_s
            if pending:
                try:
                    sent += ingest.accept(pending)
                    pending = []
                    hub.publish(self._health(HealthState.OK, "", sent))
                except StorageError as exc:
                    # Keep the batch; it is retried on the next tick, so nothing is lost.
                    hub.publish(self._health(HealthState.DEGRADED, str(exc), sent))
            if now_s >= self.scenario.duration_s:
                loop, played_s = loop + 1, 0.0
        log.info("Demo scenario stopped after %d record(s)", sent)

    def _clock(self, origin: datetime, loop: int) -> Callable[[float], datetime]:
        offset_s = loop * self.scenario.duration_s

        def to_time(scenario_s: float) -> datetime:
            return origin + timedelta(seconds=(offset_s + scenario_s) / self.speed)

        return to_time

    def _health(self, state: HealthState, error: str, sent: int) -> SourceHealth:
        return SourceHealth(self.id, self.title, state, error, records_in=sent)
