"""Who sees which alert: routed by organisation (category, priority, zone), shared with external
viewers, and refused when acted on unseen; through a real core where it matters."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from app.alerts.lifecycle import Action
from app.alerts.service import AlertCommand, AlertSnapshot
from app.model import Alert, Category, GeoPoint, Priority, Zone
from app.runtime import Core
from app.security.accounts import DEMO_PASSWORD, seed_demo_accounts
from app.security.model import Account, Permission, PermissionRefused
from app.security.policy import load_policy, parse_policy
from app.security.routing import AlertRouter, inside
from app.settings import Settings
from tests.factories import alert, signed_in
from tests.video_helpers import wait_until

T0 = alert().sent

SQUARE = Zone(
    identifier="z-square",
    name="Square",
    kind="venue",
    polygon=(
        GeoPoint(59.910, 10.730),
        GeoPoint(59.910, 10.740),
        GeoPoint(59.920, 10.740),
        GeoPoint(59.920, 10.730),
        GeoPoint(59.910, 10.730),
    ),
)
IN_SQUARE = GeoPoint(59.915, 10.735)
OUTSIDE = GeoPoint(59.930, 10.735)


def person(policy, organisation: str, *roles: str):
    account = Account(organisation, organisation, organisation, roles)
    return policy.principal(account, T0)


def test_a_police_operator_sees_security_but_not_health_alerts() -> None:
    policy = load_policy()
    router = AlertRouter(policy)
    police = person(policy, "police", "operator")
    control = person(policy, "city-control", "operator")
    health = person(policy, "health-authority", "operator")
    knife = alert("knife", category=Category.SECURITY)
    fever = alert("fever", category=Category.HEALTH)
    gas = alert("gas", category=Category.CBRNE)
    assert router.sees(police, knife) and not router.sees(police, fever)
    assert router.sees(police, gas) and router.sees(health, gas)
    assert router.sees(health, fever) and not router.sees(health, knife)
    assert all(router.sees(control, a) for a in (knife, fever, gas))
    # A supervisor sees everything whatever the organisation.
    assert router.sees(person(policy, "police", "supervisor"), fever)
    assert router.visible(police, [knife, fever, "other message"]) == [knife, "other message"]


def test_an_external_viewer_sees_only_shared_transport_and_infra_up_to_p3() -> None:
    policy = load_policy()
    router = AlertRouter(policy)
    viewer = person(policy, "transport-operator", "external-viewer")
    shared = [alert(f"t{p}", category=Category.TRANSPORT, priority=Priority(p)) for p in (1, 2, 3)]
    shared.append(alert("i1", category=Category.INFRA, priority=Priority.P2))
    hidden = [
        alert("t4", category=Category.TRANSPORT, priority=Priority.P4),
        alert("sec", category=Category.SECURITY, priority=Priority.P1),
        alert("fire", category=Category.FIRE, priority=Priority.P1),
    ]
    assert router.visible(viewer, shared + hidden) == shared
    # An external viewer of the home organisation's own rules sees nothing (no sharing rule).
    assert not router.sees(person(policy, "city-control", "external-viewer"), shared[0])
    # An unknown organisation is routed nothing.
    assert not router.sees(person(policy, "nowhere", "operator"), shared[0])


def test_zone_conditions_use_the_zone_polygon_and_follow_zone_changes() -> None:
    policy = parse_policy(
        {
            "roles": {
                "operator": {"actions": ["acknowledge"], "alerts": "routed"},
                "gate-guard": {"actions": ["acknowledge"], "zones": ["z-square"]},
            },
            "organisations": {
                "venue": {"routing": [{"zones": ["z-square"], "categories": ["Safety"]}]},
                "city": {"routing": [{}]},
            },
        },
        "test-policy",
    )
    router = AlertRouter(policy, [SQUARE])
    steward = person(policy, "venue", "operator")
    crush_in = alert("in", category=Category.SAFETY, point=IN_SQUARE)
    crush_out = alert("out", category=Category.SAFETY, point=OUTSIDE)
    assert inside(tuple((p.lon, p.lat) for p in SQUARE.polygon), IN_SQUARE)
    assert router.sees(steward, crush_in) and not router.sees(steward, crush_out)
    # A role limited to a zone sees only alerts placed inside it, whatever its organisation.
    guard = person(policy, "city", "gate-guard")
    assert router.sees(guard, crush_in) and not router.sees(guard, crush_out)
    router.remove_zones(["z-square"])
    assert not router.sees(steward, crush_in)
    moved = Zone(identifier="z-square", name="Square", kind="venue", polygon=SQUARE.polygon)
    router.set_zones([moved])
    assert router.sees(steward, crush_in)


def test_rules_can_be_narrowed_to_roles() -> None:
    policy = parse_policy(
        {
            "roles": {"operator": {"actions": []}, "medic": {"actions": []}},
            "organisations": {
                "events": {
                    "routing": [
                        {"categories": ["Security"]},
                        {"categories": ["Health"], "roles": ["medic"]},
                    ]
                }
            },
        }
    )
    router = AlertRouter(policy)
    fever = alert("fever", category=Category.HEALTH)
    assert not router.sees(person(policy, "events", "operator"), fever)
    assert router.sees(person(policy, "events", "medic"), fever)


class Refusals:
    def __init__(self, core: Core) -> None:
        self._lock = threading.Lock()
        self.items: list[PermissionRefused] = []
        self.alerts: list[Alert] = []
        core.hub.subscribe(PermissionRefused, self.on_refusals)
        core.hub.subscribe(Alert, self.on_alerts)

    def on_refusals(self, batch: Sequence[PermissionRefused]) -> None:
        with self._lock:
            self.items.extend(batch)

    def on_alerts(self, batch: Sequence[Alert]) -> None:
        with self._lock:
            self.alerts.extend(batch)


@pytest.fixture
def core(tmp_path: Path) -> Iterator[Core]:
    core = Core(Settings(database_url=f"sqlite:///{tmp_path / 'routing.db'}", demo=False))
    seed_demo_accounts(core.security.accounts)
    core.start()
    yield core
    core.stop()


def test_the_core_refuses_actions_on_alerts_a_person_does_not_see(core: Core) -> None:
    inbox = Refusals(core)
    # Different tools and types: the alert centre must not fold them into one.
    fever = alert(
        "fever", category=Category.HEALTH, priority=Priority.P2, source_tool="bio", event_type="x1"
    )
    knife = alert("knife", category=Category.SECURITY, source_tool="weapons")
    trains = alert(
        "trains",
        category=Category.TRANSPORT,
        priority=Priority.P2,
        source_tool="rail",
        event_type="x2",
    )
    core.ingest.accept([fever, knife, trains])
    wait_until(lambda: len({a.identifier for a in inbox.alerts}) == 3, 30, "the alerts")
    signed_in(core, "pc-olsen", ("operator",), "police")
    assert core.security.sees(knife) and not core.security.sees(fever)
    assert core.security.visible([fever, knife, trains]) == [knife]
    (snapshot,) = core.security.visible([AlertSnapshot((fever, knife, trains))])
    assert snapshot == AlertSnapshot((knife,))
    core.submit(AlertCommand(Action.ACKNOWLEDGE, "fever", "pc-olsen"))
    core.submit(AlertCommand(Action.ACKNOWLEDGE, "knife", "pc-olsen"))
    core.submit(AlertCommand(Action.ACKNOWLEDGE, "never-seen", "pc-olsen"))
    assert [(r.command.identifier, r.message) for r in inbox.items] == [
        ("fever", "That alert is not shown to you."),
        ("never-seen", "That alert is not shown to you."),
    ]
    # The external viewer sees the shared transport alert, and may do nothing with it.
    core.security.sign_in("viewer", DEMO_PASSWORD)
    assert core.security.visible([fever, knife, trains]) == [trains]
    core.submit(AlertCommand(Action.ACKNOWLEDGE, "trains", "viewer"))
    assert inbox.items[-1].message == "Your role does not allow this (acknowledge)."
    assert not any(core.security.permits(p) for p in Permission)
