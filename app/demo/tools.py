"""The demo's simulated remote tools: one per tool the scenario's alerts name or that serves
its other records, served over HTTP on a free loopback port, fed by the scenario, and
connected to exactly like real tools."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.demo.scenario import Scenario
from app.demo.source import bundled_scenario_path
from app.simtools.feeder import ScenarioFeeder
from app.simtools.server import SimulatedToolServer
from app.simtools.tool import SimulatedTool

# Human names for the tools of the bundled scenario; a tool not listed is named by its id.
TOOL_TITLES = {
    "weapon-detection": "Weapon detection",
    "video-analytics": "Video analytics",
    "video-management": "Video management",
    "social-monitor": "Social-media monitor",
    "bio-sensors": "Biological-risk sensors",
    "threat-intel": "Threat intelligence",
    "cyber-monitor": "Cyber monitor",
    "patrol-tracking": "Patrol tracking",
}


# Which demo tool serves the scenario's other records, as the seed city's tools did.
RECORD_TOOLS = {
    "detection": "video-analytics",
    "observation": "bio-sensors",
    "track": "patrol-tracking",
    "post": "social-monitor",
}
FEEDS = {
    "detection": "detections",
    "observation": "observations",
    "track": "tracks",
    "post": "posts",
}


class DemoTools:
    def __init__(self, scenario: str = "", speed: float = 1.0) -> None:
        self.scenario = Scenario.load(Path(scenario) if scenario else bundled_scenario_path())
        self.record_tools = dict(RECORD_TOOLS)
        alerting = {i.data["source_tool"] for i in self.scenario.injects if i.kind == "alert"}
        # A tool may serve only tracks (no alert names it); it must exist to be polled.
        tool_ids = sorted(alerting | set(self.record_tools.values()))
        self.tools = {tool_id: SimulatedTool(tool_id) for tool_id in tool_ids}
        self.server = SimulatedToolServer()
        self.urls = {tool_id: self.server.add(tool) for tool_id, tool in self.tools.items()}
        self.feeder = ScenarioFeeder(self.scenario, self.tools, speed, self.record_tools)

    def start(self) -> DemoTools:
        self.server.start()
        self.feeder.start()
        return self

    def stop(self) -> None:
        self.feeder.stop()
        self.server.stop()

    def connector_configs(self) -> list[dict[str, Any]]:
        return [
            {
                "plugin": "rest",
                "params": {
                    "id": tool_id,
                    "title": TOOL_TITLES.get(tool_id, tool_id),
                    "base_url": url,
                    "poll_interval_s": 1.0,
                    "simulated": True,
                    "kinds": self._kinds(tool_id),
                },
            }
            for tool_id, url in self.urls.items()
        ]

    def unserved_kinds(self) -> list[str]:
        """The scenario's record kinds no simulated tool serves: the demo source plays them."""
        return sorted(set(RECORD_TOOLS) - set(self.record_tools))

    def _kinds(self, tool_id: str) -> list[str]:
        served = [FEEDS[kind] for kind, tool in self.record_tools.items() if tool == tool_id]
        return ["alerts", *served]
