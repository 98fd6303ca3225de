"""The REST connector against simulated tools: real HTTP servers on 127.0.0.1, a real SQLite
store, the connector running in its own thread as the console runs it."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.messages import HealthState, SourceHealth
from app.model import Alert
from app.runtime import Core
from app.settings import Settings
from app.simtools.server import SimulatedToolServer
from app.simtools.tool import Fault, SimulatedTool
from app.sync.state import SyncState

T0 = datetime(2026, 6, 20, 18, 0, tzinfo=UTC)


def tool_alert(n: int, **changes: Any) -> dict[str, Any]:
    item = {
        "identifier": f"wd-{n}",
        "sender": "weapon-detect@city.example",
        "sent": (T0 + timedelta(seconds=n)).isoformat(),
        "event_type": "knife",
        "headline": f"Knife detected, camera {n % 7}",
        "status": "Exercise",
        "severity": "Severe",
        "urgency": "Immediate",
        "certainty": "Likely",
        "confidence": 0.8,
        # About 110 m apart: separate incidents, not repeats that dedup would fold together.
        "geometry": {"type": "Point", "coordinates": [10.7336, 59.9117 + n * 0.001]},
    }
    item.update(changes)
    return item


class Watcher:
    """Collects what the core publishes, and waits for a condition on it."""

    def __init__(self, core: Core) -> None:
        self.health: list[SourceHealth] = []
        self.alerts: list[Alert] = []
        self._changed = threading.Condition()
        core.hub.subscribe(object, self.on_batch)

    def on_batch(self, batch: list[Any]) -> None:
        with self._changed:
            self.health += [m for m in batch if isinstance(m, SourceHealth)]
            self.alerts += [m for m in batch if isinstance(m, Alert)]
            self._changed.notify_all()

    def wait(self, predicate: Callable[[Watcher], bool], timeout: float = 20.0) -> None:
        with self._changed:
            assert self._changed.wait_for(lambda: predicate(self), timeout), "timed out"

    def last_health(self, source: str) -> SourceHealth | None:
        states = [h for h in self.health if h.source_id == source]
        return states[-1] if states else None

    def state_of(self, source: str) -> HealthState | None:
        last = self.last_health(source)
        return None if last is None else last.state


@pytest.fixture
def server() -> Iterator[SimulatedToolServer]:
    with SimulatedToolServer() as running:
        yield running


@pytest.fixture
def make_core(tmp_path: Path) -> Iterator[Callable[..., tuple[Core, Watcher]]]:
    cores: list[Core] = []

    def make(base_url: str, **params: Any) -> tuple[Core, Watcher]:
        connector = {
            "id": "wd",
            "title": "Weapon detection",
            "base_url": base_url,
            "poll_interval_s": 0.05,
            "retry_base_s": 0.05,
            "retry_cap_s": 0.2,
            "timeout_s": 2,
            **params,
        }
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'sync.db'}",
            sources=[{"plugin": "rest", "params": connector}],
        )
        core = Core(settings)
        watcher = Watcher(core)
        cores.append(core)
        core.start()
        return core, watcher

    yield make
    for core in cores:
        core.stop()


def stored_ids(core: Core) -> set[str]:
    return {a.identifier for a in core.store.latest(Alert, limit=100_000)}


def test_alerts_are_pulled_stored_and_published(server, make_core) -> None:
    tool = SimulatedTool("wd")
    base = server.add(tool)
    tool.publish(*(tool_alert(n) for n in range(3)))
    core, watcher = make_core(base)
    watcher.wait(lambda w: len(w.alerts) == 3)
    assert stored_ids(core) == {"wd:wd-0", "wd:wd-1", "wd:wd-2"}
    stored = core.store.get(Alert, "wd:wd-1")
    assert stored.source_tool == "wd" and stored.priority.name == "P1"  # from the terminology
    assert stored.point.lat == pytest.approx(59.9127)
    watcher.wait(lambda w: w.state_of("wd") is HealthState.OK)
    assert SyncState(core.store, "wd").position().cursor == "3"


def test_large_backlogs_are_paged_without_waiting(server, make_core) -> None:
    tool = SimulatedTool("wd")
    base = server.add(tool)
    tool.publish(*(tool_alert(n) for n in range(1234)))
    core, watcher = make_core(base, page_limit=500, poll_interval_s=30)
    watcher.wait(lambda w: len(w.alerts) == 1234)
    assert len(stored_ids(core)) == 1234


def test_an_unchanged_feed_is_answered_304_not_resent(server, make_core) -> None:
    tool = SimulatedTool("wd")
    base = server.add(tool)
    tool.publish(tool_alert(1))
    _core, watcher = make_core(base)
    watcher.wait(lambda w: len(w.alerts) == 1)
    deadline = time.monotonic() + 10
    while tool.not_modified < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert tool.not_modified >= 2
    assert len(watcher.alerts) == 1


def test_server_errors_and_timeouts_degrade_then_recover(server, make_core) -> None:
    tool = SimulatedTool("wd")
    base = server.add(tool)
    tool.publish(tool_alert(1))
    tool.inject(Fault(status=500), count=2)
    tool.inject(Fault(status=200, delay_s=1.0), count=1)  # slower than the 0.5 s timeout
    _core, watcher = make_core(base, timeout_s=0.5)
    watcher.wait(lambda w: len(w.alerts) == 1)
    errors = [h.last_error for h in watcher.health if h.source_id == "wd" and h.last_error]
    assert any("HTTP 500" in e for e in errors)
    assert any("no answer within 0.5 s" in e for e in errors)
    assert any(h.state is HealthState.DOWN for h in watcher.health)  # three failures in a row
    watcher.wait(lambda w: w.state_of("wd") is HealthState.OK)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        (
            Fault(
                status=200, body=b'{"api_version": "1", "items": [', content_type="application/json"
            ),
            "invalid page",
        ),
        (
            Fault(status=200, body=b"<html>login</html>", content_type="text/html"),
            "expected JSON, the tool sent text/html",
        ),
        (Fault(status=200, body=b'{"api_version": "2", "items": []}'), "api_version"),
        (Fault(status=200, body=b"[" + b" " * 3000 + b"]"), "refused a 3,002 byte answer"),
        (Fault(status=401, body=b"{}"), "HTTP 401"),
        (Fault(drop_connection=True), "cannot reach the tool"),
    ],
)
def test_bad_answers_are_refused_with_a_reason_and_the_connector_goes_on(
    server, make_core, fault: Fault, reason: str
) -> None:
    tool = SimulatedTool("wd")
    base = server.add(tool)
    tool.publish(tool_alert(1))
    tool.inject(fault)
    core, watcher = make_core(base, max_payload_bytes=2048)
    watcher.wait(lambda w: len(w.alerts) == 1)
    errors = " | ".join(h.last_error for h in watcher.health if h.last_error)
    assert reason in errors
    assert stored_ids(core) == {"wd:wd-1"}


def test_invalid_records_are_rejected_one_by_one_and_counted(server, make_core) -> None:
    tool = SimulatedTool("wd")
    base = server.add(tool)
    tool.publish(
        tool_alert(1),
        tool_alert(2, sent="2026-06-20T18:00:00"),  # no time zone
        tool_alert(3, geometry={"type": "Point", "coordinates": [59.9, 100.7]}),  # lat/lon swapped
        tool_alert(4, identifier="has space"),
        "not even an object",
        tool_alert(5, headline="<script>alert(1)</script>"),
    )
    core, watcher = make_core(base)
    watcher.wait(lambda w: len(w.alerts) == 2)
    watcher.wait(
        lambda w: (
            (w.last_health("wd") or SourceHealth("", "", HealthState.OK)).records_rejected == 4
        )
    )
    assert stored_ids(core) == {"wd:wd-1", "wd:wd-5"}
    assert core.store.get(Alert, "wd:wd-5").headline == "<script>alert(1)</script>"


def test_duplicate_delivery_updates_and_never_doubles(server, make_core) -> None:
    tool = SimulatedTool("wd")
    base = server.add(tool)
    tool.publish(tool_alert(1))
    core, watcher = make_core(base)
    watcher.wait(lambda w: len(w.alerts) == 1)
    # Re-sent on a later page, twice within one page: each identifier is stored once.
    tool.publish(tool_alert(1, headline="corrected"), tool_alert(1, headline="corrected again"))
    watcher.wait(lambda w: SyncState(core.store, "wd").position().cursor == "3")
    assert core.store.count(Alert) == 1
    assert core.store.get(Alert, "wd:wd-1").headline == "corrected again"
    assert watcher.alerts[-1].headline == "corrected again"


def test_a_restart_in_the_middle_of_a_sync_continues_from_the_cursor(
    server, make_core, tmp_path: Path
) -> None:
    tool = SimulatedTool("wd")
    base = server.add(tool)
    tool.publish(*(tool_alert(n) for n in range(700)))
    first, watcher = make_core(base, page_limit=300, poll_interval_s=30)
    watcher.wait(lambda w: len(w.alerts) >= 300)
    first.stop()  # mid-sync: at most part of the backlog was taken
    taken = len(stored_ids(first))
    tool.publish(*(tool_alert(n) for n in range(700, 750)))
    second, watcher2 = make_core(base, page_limit=300, poll_interval_s=30)
    # Stored first, published after: wait for both before counting what was published.
    watcher2.wait(lambda w: len(stored_ids(second)) == 750 and len(w.alerts) >= 750 - taken)
    assert len(watcher2.alerts) == 750 - taken, "the second run re-fetched nothing"


def test_operator_updates_survive_a_dead_tool_and_a_restart(make_core, tmp_path: Path) -> None:
    tool = SimulatedTool("wd")
    first_server = SimulatedToolServer().start()
    base = first_server.add(tool)
    port = first_server.port
    tool.publish(tool_alert(1))
    core, watcher = make_core(base)
    watcher.wait(lambda w: len(w.alerts) == 1)
    first_server.stop()  # the tool goes down
    action = {
        "action_id": "act-1",
        "alert_identifier": "wd-1",
        "action": "acknowledged",
        "by": "op-7",
        "at": T0.isoformat(),
        "reason": "",
    }
    SyncState(core.store, "wd").enqueue("act-1", action)
    watcher.wait(lambda w: w.state_of("wd") is HealthState.DOWN)
    core.stop()  # the console restarts while the update is still owed
    assert [u.action_id for u in SyncState(core.store, "wd").pending()] == ["act-1"]

    with SimulatedToolServer(port=port) as second_server:  # the tool comes back
        second_server.add(tool)
        core2, watcher2 = make_core(base)
        deadline = time.monotonic() + 20
        while not tool.actions and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [a["action_id"] for a in tool.actions] == ["act-1"]
        watcher2.wait(lambda w: not SyncState(core2.store, "wd").pending())
        core2.stop()
    assert json.loads(json.dumps(tool.actions[0]))["by"] == "op-7"


def test_api_key_authentication(server, make_core) -> None:
    tool = SimulatedTool("wd", api_key="s3cret")
    base = server.add(tool)
    tool.publish(tool_alert(1))
    core, watcher = make_core(base, auth={"kind": "api_key", "key": "wrong"})
    watcher.wait(lambda w: any("HTTP 401" in h.last_error for h in w.health))
    core.stop()
    _core2, watcher2 = make_core(base, auth={"kind": "api_key", "key": "s3cret"})
    watcher2.wait(lambda w: len(w.alerts) == 1)


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"base_url": "not a url"}, "base_url"),
        ({"auth": {"kind": "bearer"}}, "needs token"),
        ({"page_limit": 0}, "page_limit"),
        ({"unknown_option": 1}, "unknown_option"),
    ],
)
def test_bad_connector_settings_are_reported_not_fatal(make_core, params, reason) -> None:
    _core, watcher = make_core(params.pop("base_url", "http://127.0.0.1:9"), **params)
    watcher.wait(lambda w: w.last_health("rest") is not None)
    assert reason in watcher.last_health("rest").last_error


ADAPTERS = Path(__file__).parent / "data" / "adapters"


@pytest.mark.parametrize(
    ("document", "content_type"),
    [
        ("cap_weapon_alert.xml", "application/cap+xml"),
        ("atom_cap_feed.xml", "application/atom+xml"),
        ("stix_bundle.json", "application/stix+json"),
        ("geojson_alerts.geojson", "application/geo+json"),
    ],
)
def test_tools_speaking_standard_formats_are_polled_as_documents(
    server, make_core, document: str, content_type: str
) -> None:
    tool = SimulatedTool("wd")
    base = server.add(tool)
    tool.serve_document("/feeds/alerts", (ADAPTERS / document).read_bytes(), content_type)
    core, watcher = make_core(base, feed="document", path="/feeds/alerts")
    watcher.wait(lambda w: len(w.alerts) >= 1)
    watcher.wait(lambda w: tool.not_modified >= 1)  # unchanged document: ETag, not re-read
    assert all(a.source_tool == "wd" for a in watcher.alerts)
    assert core.store.count(Alert) >= 1


def test_a_document_with_external_entities_is_refused(server, make_core) -> None:
    tool = SimulatedTool("wd")
    base = server.add(tool)
    hostile = (
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">&x;</alert>'
    )
    tool.serve_document("/cap", hostile, "application/cap+xml")
    core, watcher = make_core(base, feed="document", path="/cap")
    watcher.wait(lambda w: any("unusable document" in h.last_error for h in w.health))
    assert core.store.count(Alert) == 0


def test_detections_observations_and_tracks_arrive_over_the_same_api(server, make_core) -> None:
    from app.model import Detection, Observation, Track

    tool = SimulatedTool("wd")
    base = server.add(tool)
    when = T0.isoformat()
    tool.publish(tool_alert(1))
    tool.publish_records(
        "detections",
        {
            "identifier": "d-1",
            "detector_id": "yolo",
            "source_id": "cam-3",
            "time": when,
            "event_type": "knife",
            "label": "knife",
            "confidence": 0.8,
            "bbox": [0.1, 0.2, 0.1, 0.2],
            "geometry": {"type": "Point", "coordinates": [10.73, 59.91]},
        },
    )
    tool.publish_records(
        "observations",
        {
            "identifier": "o-1",
            "sensor_id": "bio-1",
            "time": when,
            "quantity": "bacteria_air",
            "value": 612.5,
            "unit": "CFU/m³",
        },
        {
            "identifier": "o-2",
            "sensor_id": "bio-1",
            "time": when,
            "quantity": "bacteria_air",
            "value": "high",
            "unit": "CFU/m³",
        },
    )
    tool.publish_records(
        "tracks",
        {
            "identifier": "t-1",
            "time": when,
            "cot_type": "a-h-G",
            "callsign": "Alpha",
            "geometry": {"type": "Point", "coordinates": [10.73, 59.91]},
            "course_deg": 90,
        },
    )
    core, watcher = make_core(base, kinds=["alerts", "detections", "observations", "tracks"])
    wait = time.monotonic() + 20
    while core.store.count(Track) == 0 and time.monotonic() < wait:
        time.sleep(0.05)
    assert core.store.get(Detection, "wd:d-1").bbox == (0.1, 0.2, 0.1, 0.2)
    assert core.store.get(Observation, "wd:o-1").value == 612.5
    assert core.store.get(Observation, "wd:o-2") is None  # "high" is not a reading
    assert core.store.get(Track, "wd:t-1").callsign == "Alpha"
    watcher.wait(
        lambda w: (
            (w.last_health("wd") or SourceHealth("", "", HealthState.OK)).records_rejected == 1
        )
    )
    assert SyncState(core.store, "wd/observations").position().cursor == "2"
    assert SyncState(core.store, "wd").position().cursor == "1"


def test_updates_reach_alerts_whose_identifiers_hold_url_characters(server, make_core) -> None:
    tool = SimulatedTool("wd")
    base = server.add(tool)
    odd = "cam/3?frame=1#a"
    tool.publish(tool_alert(1, identifier=odd))
    core, watcher = make_core(base)
    watcher.wait(lambda w: len(w.alerts) == 1)
    action = {
        "action_id": "act-odd",
        "alert_identifier": odd,
        "action": "acknowledged",
        "by": "op-7",
        "at": T0.isoformat(),
        "reason": "",
    }
    SyncState(core.store, "wd").enqueue("act-odd", action)
    deadline = time.monotonic() + 20
    while not tool.actions and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [a["alert_identifier"] for a in tool.actions] == [odd]
