"""Plays a scenario's alert injects into simulated tools, at scenario time, as tool-API JSON:
the console then pulls them over REST exactly as it pulls a real tool's alerts."""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from app.demo.scenario import Scenario
from app.model import utc_now
from app.simtools.tool import SimulatedTool

log = logging.getLogger(__name__)

TICK_S = 0.2
_COPIED = (
    "sender",
    "event_type",
    "headline",
    "description",
    "urgency",
    "severity",
    "certainty",
    "confidence",
    "category",
    "priority",
)


def alert_json(data: dict[str, Any], identifier: str, sent: datetime) -> dict[str, Any]:
    """A scenario alert as the tool would serve it; always an exercise."""
    item = {key: data[key] for key in _COPIED if key in data}
    item.update(identifier=identifier, sent=sent.isoformat(), status="Exercise")
    if data.get("point"):
        lat, lon = data["point"]
        item["geometry"] = {"type": "Point", "coordinates": [lon, lat]}
    return item


class ScenarioFeeder:
    def __init__(
        self, scenario: Scenario, tools: dict[str, SimulatedTool], speed: float = 1.0
    ) -> None:
        self.scenario = scenario
        self.tools = tools
        self.speed = speed
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="scenario-feeder", daemon=True)

    def start(self) -> ScenarioFeeder:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        started, origin = time.monotonic(), utc_now()
        played_s, loop = 0.0, 0
        duration = self.scenario.duration_s
        while not self._stop.wait(TICK_S):
            now_s = (time.monotonic() - started) * self.speed - loop * duration
            end_s = min(now_s, duration)
            for index, inject in self.scenario.injects_between(
                played_s, end_s, frozenset({"alert"})
            ):
                sent = origin + timedelta(seconds=(loop * duration + inject.at_s) / self.speed)
                tool = self.tools.get(inject.data["source_tool"])
                if tool is not None:
                    tool.publish(alert_json(inject.data, f"demo-{loop}-{index}", sent))
            played_s = end_s
            if now_s >= duration:
                loop, played_s = loop + 1, 0.0
