"""The replay engine: publishes a scenario into its simulated tools as the clock says.

Each ``advance()`` publishes, in time order, everything due between the last call and the
clock's scenario time, as tool-API JSON into the inject's simulated tool; the console then
pulls it over REST exactly as it pulls from real tools. A record carries the wall time the
clock maps its scenario time to, so records spread out as the clock runs, and a forward seek
stamps everything it skips with the moment of the seek. Going back (a backward seek, a restart)
starts a new run: new identifiers, so the console sees new records, not old ones rewritten.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Callable, Iterable
from pathlib import Path

from app.replay.clock import SimClock
from app.replay.injects import Item, inject_items, observation_item, track_item
from app.replay.routes import RouteWalker
from app.replay.schedule import INJECT, ROUTE, SERIES, Due, Schedule
from app.scenario.model import InjectSpec, ScenarioSpec, exercise_identifier
from app.simtools.tool import SimulatedTool

log = logging.getLogger(__name__)

ActionLookup = Callable[[str], Iterable[str]]
# Told (old run id, new run id, the old run's clock anchors) when going back starts a new run.
NewRunCallback = Callable[[str, str, tuple[tuple[str, float, float], ...]], None]


def new_run_id() -> str:
    """Short enough to keep identifiers readable, random enough never to meet an old run."""
    return uuid.uuid4().hex[:10]


def _no_actions(_identifier: str) -> frozenset[str]:
    return frozenset()


class ReplayEngine:
    """``action_lookup(stored_alert_identifier)`` returns the actions done on an alert (the
    exercise service reads them from the store); ``urls`` are the tools' base URLs (for
    snapshot links) and ``connector_ids`` the connector each tool is pulled by, when it differs
    from the tool's id. ``on_new_run`` is told when going back starts a new run."""

    def __init__(
        self,
        spec: ScenarioSpec,
        tools: dict[str, SimulatedTool],
        clock: SimClock,
        run_id: str,
        action_lookup: ActionLookup = _no_actions,
        *,
        urls: dict[str, str] | None = None,
        connector_ids: dict[str, str] | None = None,
        on_new_run: NewRunCallback | None = None,
        make_run_id: Callable[[], str] = new_run_id,
    ) -> None:
        self.spec = spec
        self.tools = tools
        self.clock = clock
        self.action_lookup = action_lookup
        self.urls = urls or {}
        self.connector_ids = connector_ids or {}
        self.on_new_run = on_new_run
        self.make_run_id = make_run_id
        self.schedule = Schedule(spec)
        self._routes = [RouteWalker(r.points, r.speed_mps) for r in spec.routes]
        self._pictures: dict[Path, bytes | None] = {}
        self._reset(run_id)

    def _reset(self, run_id: str) -> None:
        self.run_id = run_id
        self.played_s = -math.inf
        self.published = 0  # records put into the tools' feeds in this run
        self.injects_played = 0  # of the scenario's own injects
        self.conditions_fired = 0
        self._decided: set[int] = set()
        self._pending: list[Due] = []

    # --- state -----------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        return self.played_s >= self.spec.duration_s

    def stored_identifier(self, inject: InjectSpec) -> str:
        """The identifier the console stores the inject's alert under."""
        connector = self.connector_ids.get(inject.tool, inject.tool)
        return f"{connector}:{exercise_identifier(self.run_id, inject.id)}"

    # --- playing ---------------------------------------------------------------------------
    def advance(self) -> int:
        """Publishes everything due up to the clock's scenario time; returns how many records
        went into the tools."""
        now_s = min(self.clock.scenario_time(), self.spec.duration_s)
        if now_s <= self.played_s:
            return 0
        due = self.schedule.due(self.played_s, now_s)
        fired = self._conditions_due(now_s)
        if fired:
            due = sorted(due + fired)
        self.played_s = now_s
        return self._publish(due)

    def seek(self, scenario_s: float) -> None:
        """Forward: publishes everything up to ``scenario_s`` at once. Back: a new run,
        replayed from the start up to ``scenario_s``."""
        target = min(max(0.0, float(scenario_s)), self.spec.duration_s)
        if target >= self.clock.scenario_time():
            self.clock.seek(target)
        else:
            self._start_new_run(target)
        self.advance()

    def restart(self) -> None:
        """A new run from the start."""
        self._start_new_run(0.0)
        self.advance()

    def _start_new_run(self, scenario_s: float) -> None:
        old, new, anchors = self.run_id, self.make_run_id(), self.clock.anchors
        self.clock.restart(scenario_s)
        self._reset(new)
        log.info(
            "Exercise %s: run %s replaces run %s at %.0f s", self.spec.id, new, old, scenario_s
        )
        if self.on_new_run is not None:
            self.on_new_run(old, new, anchors)

    # --- conditions ------------------------------------------------------------------------
    def _conditions_due(self, now_s: float) -> list[Due]:
        """Decides every condition whose deadline has passed (once each) and returns the
        condition injects now due; later ones wait in ``_pending``."""
        base = len(self.spec.injects)
        for number, condition in enumerate(self.spec.conditions):
            if number in self._decided:
                continue
            after = self.spec.inject(condition.after)
            if after is None:
                self._decided.add(number)
                continue
            deadline = after.at_s + condition.within_s
            if deadline > now_s:
                continue
            self._decided.add(number)
            done = set(self.action_lookup(self.stored_identifier(after)))
            if condition.unless not in done:
                at_s = deadline + condition.inject.at_s
                self._pending.append(Due(at_s, INJECT, base + number, 0))
                log.info("Exercise %s: condition %s fires", self.spec.id, condition.id)
        ready = [d for d in self._pending if d.at_s <= now_s]
        self._pending = [d for d in self._pending if d.at_s > now_s]
        return ready

    # --- publishing ------------------------------------------------------------------------
    def _publish(self, due: list[Due]) -> int:
        batches: dict[tuple[str, str], list[dict]] = {}
        wall_at = self.clock.wall_time
        for entry in due:
            tool, items = self._items(entry, wall_at)
            for feed, item in items:
                batches.setdefault((tool, feed), []).append(item)
        count = 0
        for (tool_id, feed), items in batches.items():
            tool = self.tools.get(tool_id)
            if tool is None:
                log.warning("Exercise %s: no simulated tool %r", self.spec.id, tool_id)
                continue
            tool.publish_records(feed, *items)
            count += len(items)
        self.published += count
        return count

    def _items(self, entry: Due, wall_at: Callable) -> tuple[str, list[Item]]:  # type: ignore[type-arg]
        at_s, group, index, step = entry
        when = wall_at(at_s)
        if group == SERIES:
            series = self.spec.series[index]
            value = series.values[step % len(series.values)]
            ident = exercise_identifier(self.run_id, f"{series.id}-{step}")
            item = observation_item(
                ident, series.sensor_id, when, series.quantity, value, series.unit
            )
            return series.tool, [("observations", item)]
        if group == ROUTE:
            spec, route = self.spec.routes[index], self._routes[index]
            point, course = route.position(step * spec.every_s)
            # One moving object: every position updates the same track.
            ident = exercise_identifier(self.run_id, spec.id)
            item = track_item(
                ident, when, point.lat, point.lon, spec.cot_type, spec.callsign, course,
                spec.speed_mps,
            )  # fmt: skip
            return spec.tool, [("tracks", item)]
        inject = self._inject(index)
        ident = exercise_identifier(self.run_id, inject.id)
        return inject.tool, inject_items(inject, ident, when, self._snapshot(inject, ident))

    def _inject(self, index: int) -> InjectSpec:
        base = len(self.spec.injects)
        if index < base:
            self.injects_played += 1
            return self.spec.injects[index]
        self.conditions_fired += 1
        return self.spec.conditions[index - base].inject

    def _snapshot(self, inject: InjectSpec, identifier: str) -> str | None:
        """Serves the inject's picture from its tool and returns the link, as a video tool
        serves its snapshots; ``None`` when it has none (or the file cannot be read)."""
        name = inject.data.get("snapshot") if inject.kind == "detection" else None
        tool = self.tools.get(inject.tool)
        if not name or tool is None:
            return None
        path = Path(str(name))
        if not path.is_absolute() and self.spec.path is not None:
            path = self.spec.path.parent / path
        picture = self._picture(path)
        if picture is None:
            return None
        served = f"/exercise/{identifier}.jpg"
        tool.serve_document(served, picture, "image/jpeg")
        return self.urls.get(inject.tool, "") + served

    def _picture(self, path: Path) -> bytes | None:
        if path not in self._pictures:
            try:
                self._pictures[path] = path.read_bytes()
            except OSError as exc:
                log.warning("Exercise %s: snapshot %s cannot be read: %s", self.spec.id, path, exc)
                self._pictures[path] = None
        return self._pictures[path]
