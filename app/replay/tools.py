"""An exercise's simulated tools and the connectors the console pulls them with.

One ``SimulatedToolServer`` on a free loopback port hosts a ``SimulatedTool`` per tool the
scenario names. The console connects to each with an ordinary ``RestConnector`` marked
``simulated``, so exercise data takes exactly the path live data takes, and operators' actions
on exercise alerts may go back to these tools (and only to these: see ``AlertService``).

The connectors run on threads of their own (not the core's ``SourceRunner``, whose sources live
as long as the core) so that stopping or changing the exercise stops exactly them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from app.hub import Hub
from app.ingest import Ingest
from app.scenario.model import ScenarioSpec
from app.simtools.server import SimulatedToolServer
from app.simtools.tool import SimulatedTool
from app.storage import RecordStore
from app.sync.state import FeedPosition, SyncState

log = logging.getLogger(__name__)

POLL_INTERVAL_S = 1.0
JOIN_TIMEOUT_S = 5.0
_ALERTING = frozenset({"alert", "threat_intel", "camera_failure"})
_FEEDS = {"detection": "detections", "post": "posts", "observation": "observations"}
_FEEDS |= {"track": "tracks"}
FEED_ORDER = ("alerts", "detections", "observations", "tracks", "posts")


def served_kinds(spec: ScenarioSpec) -> dict[str, tuple[str, ...]]:
    """The tool-API feeds each of the scenario's tools serves."""
    feeds: dict[str, set[str]] = {tool: set() for tool in spec.tools}
    for inject in (*spec.injects, *(c.inject for c in spec.conditions)):
        if inject.kind in _ALERTING or "alert" in inject.data:
            feeds[inject.tool].add("alerts")
        if inject.kind in _FEEDS:
            feeds[inject.tool].add(_FEEDS[inject.kind])
    for series in spec.series:
        feeds[series.tool].add("observations")
    for route in spec.routes:
        feeds[route.tool].add("tracks")
    return {tool: tuple(f for f in FEED_ORDER if f in served) for tool, served in feeds.items()}


class ExerciseTools:
    """The scenario's simulated tools, served over HTTP while the exercise runs."""

    def __init__(self, spec: ScenarioSpec) -> None:
        self.spec = spec
        self.tools = {tool_id: SimulatedTool(tool_id) for tool_id in spec.tools}
        self.server = SimulatedToolServer()
        self.urls = {tool_id: self.server.add(tool) for tool_id, tool in self.tools.items()}

    def start(self) -> ExerciseTools:
        self.server.start()
        return self

    def stop(self) -> None:
        self.server.stop()

    def connector_configs(self, connector_ids: dict[str, str]) -> list[dict[str, Any]]:
        kinds = served_kinds(self.spec)
        return [
            {
                "plugin": "rest",
                "params": {
                    "id": connector_ids[tool_id],
                    "title": self.spec.tool_titles.get(tool_id, tool_id),
                    "base_url": url,
                    "poll_interval_s": POLL_INTERVAL_S,
                    "simulated": True,
                    "kinds": list(kinds[tool_id] or ("alerts",)),
                },
            }
            for tool_id, url in self.urls.items()
        ]


def connector_ids(tool_ids: list[str], taken: set[str]) -> dict[str, str]:
    """Each tool's connector id: the tool's own id, unless a configured (possibly real)
    connector already uses it; then ``exercise-<tool>``, so that the two never share a cursor,
    an outbox or a route for operators' actions."""
    chosen = {}
    for tool_id in tool_ids:
        connector = tool_id if tool_id not in taken else f"exercise-{tool_id}"[:64]
        chosen[tool_id] = connector
    return chosen


class ExerciseConnectors:
    """Runs the exercise's connectors, each on its own thread, and lists them in ``sources``
    (the core's list) while they run, so the alert service routes actions to them."""

    def __init__(
        self,
        store: RecordStore,
        ingest: Ingest,
        hub: Hub,
        sources: list[Any],
        build: Callable[[dict[str, Any]], Any],
    ) -> None:
        self.store = store
        self.ingest = ingest
        self.hub = hub
        self.sources = sources
        self.build = build
        self._token = threading.Event()
        self._running: list[tuple[Any, threading.Thread]] = []

    def taken(self) -> set[str]:
        return {str(getattr(source, "id", "")) for source in self.sources}

    def start(self, configs: list[dict[str, Any]]) -> None:
        self._token = threading.Event()
        for config in configs:
            params = config["params"]
            self._forget_cursors(params["id"], params.get("kinds", ["alerts"]))
            connector = self.build(config)
            if connector is None:
                continue
            thread = threading.Thread(
                target=self._guarded,
                args=(connector, self._token),
                name=f"exercise-source-{connector.id}",
                daemon=True,
            )
            self.sources.append(connector)
            self._running.append((connector, thread))
            thread.start()

    def _forget_cursors(self, connector_id: str, kinds: list[str]) -> None:
        """A new tool server numbers its feeds from 1: a cursor left by an earlier exercise
        with the same connector id would skip its first records."""
        for kind in kinds:
            name = connector_id if kind == "alerts" else f"{connector_id}/{kind}"
            SyncState(self.store, name).advance(FeedPosition())

    def _guarded(self, connector: Any, token: threading.Event) -> None:
        try:
            connector.run(self.ingest, self.hub, token)
        except Exception:
            log.exception("Exercise connector %s stopped with an error", connector.id)

    def stop(self) -> None:
        self._token.set()
        for connector, thread in self._running:
            thread.join(JOIN_TIMEOUT_S)
            if thread.is_alive():
                log.error("Exercise connector %s did not stop", connector.id)
            if connector in self.sources:
                self.sources.remove(connector)
        self._running.clear()
