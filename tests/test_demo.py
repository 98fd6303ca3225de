"""The embedded demo, played through the real core: SQLite file, ingest, hub, source thread."""

import itertools
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import event

from app.demo.scenario import Scenario, ScenarioError
from app.demo.source import DemoScenarioSource, bundled_scenario_path
from app.messages import HealthState, SourceHealth
from app.model import Alert, Observation, Status
from app.runtime import Core
from app.settings import Settings
from app.terminology import default_terminology


def origin_clock(scenario_s: float) -> datetime:
    return datetime(2026, 6, 20, 18, 0, tzinfo=UTC) + timedelta(seconds=scenario_s)


def test_bundled_scenario_loads_and_every_inject_builds_a_valid_record() -> None:
    scenario = Scenario.load(bundled_scenario_path())
    records = list(
        scenario.records_between(0, scenario.duration_s, origin_clock, 0, default_terminology())
    )
    assert len(records) >= len(scenario.injects)
    assert all(r.status is Status.EXERCISE for r in records)
    assert {type(r).__name__ for r in records} >= {"Alert", "Detection", "Post", "Observation"}


def test_playing_in_slices_neither_skips_nor_repeats() -> None:
    scenario = Scenario.load(bundled_scenario_path())
    terms = default_terminology()
    whole = [r.identifier for r in scenario.records_between(0, 240, origin_clock, 3, terms)]
    cuts = [0, 0.25, 7.9, 8.0, 8.1, 100, 119.99, 240]
    sliced = [
        r.identifier
        for start, end in itertools.pairwise(cuts)
        for r in scenario.records_between(start, end, origin_clock, 3, terms)
    ]
    assert sorted(sliced) == sorted(whole) and len(set(whole)) == len(whole)


def test_alerts_take_category_and_priority_from_the_terminology() -> None:
    scenario = Scenario.load(bundled_scenario_path())
    terms = default_terminology()
    for record in scenario.records_between(0, 240, origin_clock, 0, terms):
        if isinstance(record, Alert):
            assert record.priority == terms.event_type(record.event_type).priority


def test_broken_scenarios_name_the_file_and_the_problem(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(
        '{"title": "x", "duration_s": 10, "injects": [{"at": 1, "kind": "ufo", "data": {}}]}'
    )
    with pytest.raises(ScenarioError, match=r"bad\.json.*ufo"):
        Scenario.load(path)
    path.write_text("{")
    with pytest.raises(ScenarioError, match=r"bad\.json"):
        Scenario.load(path)


class Collector:
    def __init__(self) -> None:
        self.records: list[object] = []
        self.health: list[SourceHealth] = []
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)

    def on_records(self, batch: Sequence[object]) -> None:
        with self.changed:
            self.records.extend(r for r in batch if not isinstance(r, SourceHealth))
            self.health.extend(r for r in batch if isinstance(r, SourceHealth))
            self.changed.notify_all()

    def wait_for(self, predicate, timeout: float = 20.0) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: predicate(self), timeout)


def test_demo_runs_through_store_and_hub_at_speed(tmp_path: Path) -> None:
    core = Core(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}", demo_speed=60))
    collector = Collector()
    core.hub.subscribe(object, collector.on_records)
    core.start()
    try:
        assert collector.wait_for(lambda c: sum(isinstance(r, Alert) for r in c.records) >= 5)
    finally:
        core.stop()
    published = {r.identifier for r in collector.records if isinstance(r, Alert)}
    stored = {a.identifier for a in core.store.latest(Alert, limit=1000)}
    assert published <= stored, "everything shown must have been stored first"
    assert collector.health[0].source_id == "demo"


def test_a_full_store_degrades_the_source_and_loses_nothing(tmp_path: Path) -> None:
    core = Core(Settings(database_url=f"sqlite:///{tmp_path / 'full.db'}", demo=False))
    full = threading.Event()
    full.set()

    def limit_growth(dbapi_connection, _record) -> None:
        if full.is_set():
            dbapi_connection.execute("PRAGMA max_page_count = 1")

    event.listen(core.engine, "connect", limit_growth)
    core.engine.dispose()
    collector = Collector()
    core.hub.subscribe(object, collector.on_records)
    core.runner.start(DemoScenarioSource(speed=60))
    try:
        assert collector.wait_for(
            lambda c: any(
                h.state is HealthState.DEGRADED and "full" in h.last_error for h in c.health
            )
        )
        full.clear()
        core.engine.dispose()  # new connections may grow again: space was freed
        assert collector.wait_for(lambda c: len(c.records) >= 10)
    finally:
        core.stop()
    stored = {o.identifier for o in core.store.latest(Observation, limit=10_000)}
    published = {r.identifier for r in collector.records if isinstance(r, Observation)}
    assert published <= stored
    # Observations from the first seconds (when the store was full) were kept and stored later.
    assert "demo-0-bio-north-bacteria-0" in stored


def test_a_broken_source_plugin_is_reported_not_fatal(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'x.db'}",
        sources=[{"plugin": "demo", "params": {"speed": 1000}}, {"plugin": "nonexistent"}],
    )
    core = Core(settings)
    collector = Collector()
    core.hub.subscribe(object, collector.on_records)
    core.start()
    core.stop()
    down = {h.source_id: h for h in collector.health if h.state is HealthState.DOWN}
    assert "speed" in down["demo"].last_error
    assert "no plugin" in down["nonexistent"].last_error
