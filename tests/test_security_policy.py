"""The policy file: checked whole with errors that name the file and field; shift windows that
let a person look but not act outside them (an injected clock, through a real core)."""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence
from datetime import datetime, time
from pathlib import Path

import pytest

from app.runtime import Core
from app.security.model import ALL, AlertScope, Permission, PermissionRefused, ShiftWindow
from app.security.permissions import on_shift, panel_allowed, permits
from app.security.policy import BUNDLED, PolicyError, load_policy, parse_policy
from app.settings import Settings, SettingsError
from app.timeline.messages import AddBookmark
from tests.factories import signed_in

MONDAY = datetime(2026, 11, 23)  # naive: local time, as the shift windows are written


def test_the_bundled_policy_has_the_seven_roles_and_the_rules() -> None:
    policy = load_policy()
    assert set(policy.roles) == {
        "operator",
        "supervisor",
        "incident-commander",
        "trainer",
        "analyst",
        "administrator",
        "external-viewer",
    }
    viewer = policy.roles["external-viewer"]
    assert viewer.panels == {"map", "alerts", "timeline", "legend"}
    assert viewer.actions == frozenset() and viewer.cameras == frozenset()
    assert viewer.alerts == AlertScope.SHARED
    assert policy.roles["supervisor"].panels == {ALL}
    assert policy.organisations["transport-operator"].external
    (rule,) = policy.organisations["transport-operator"].routing
    assert rule.categories == {"Transport", "Infra"} and rule.max_priority == 3
    assert policy.lock_minutes == 10 and policy.lockout_failures == 5
    assert policy.lockout_minutes == 5 and policy.unmask.approval


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (
            {"roles": {"pilot": {"actions": ["fly"]}}},
            "site.yaml:roles.pilot.actions: unknown permission 'fly'",
        ),
        ({"roles": {}}, "site.yaml:roles: the policy names no role"),
        ([1, 2], "site.yaml:(top): must be a mapping"),
        (
            {"roles": {"op": {"actions": [], "alert": "all"}}},
            "site.yaml:roles.op.alert: unknown field",
        ),
        (
            {"roles": {"op": {"alerts": "some"}}},
            "site.yaml:roles.op.alerts: 'some' is not one of all, routed, shared",
        ),
        (
            {"roles": {"op": {"shifts": [{"days": ["mon"], "start": "7am", "end": "19:00"}]}}},
            "site.yaml:roles.op.shifts[0].start: '7am' is not a time of day",
        ),
        (
            {"roles": {"op": {"shifts": [{"days": ["funday"], "start": "07:00", "end": "9:00"}]}}},
            "site.yaml:roles.op.shifts[0].days: 'funday' is not a day",
        ),
        (
            {"roles": {"op": {}}, "organisations": {"x": {"routing": [{"categories": ["Pets"]}]}}},
            "site.yaml:organisations.x.routing[0].categories: unknown category 'Pets'",
        ),
        (
            {"roles": {"op": {}}, "organisations": {"x": {"routing": [{"roles": ["cook"]}]}}},
            "site.yaml:organisations.x.routing[0].roles: unknown role 'cook'",
        ),
        (
            {"roles": {"op": {}}, "organisations": {"x": {"routing": [{"max_priority": 7}]}}},
            "site.yaml:organisations.x.routing[0].max_priority: must be 1 to 4",
        ),
        (
            {"roles": {"op": {}}, "lockout": {"failures": 0}},
            "site.yaml:lockout.failures: must be a number of at least 1",
        ),
        (
            {"roles": {"op": {}}, "unmask": {"max_minutes": 5, "default_minutes": 10}},
            "site.yaml:unmask.default_minutes: is longer than unmask.max_minutes",
        ),
    ],
)
def test_a_broken_policy_is_refused_naming_file_and_field(document, message: str) -> None:
    with pytest.raises(PolicyError) as caught:
        parse_policy(document, "site.yaml")
    assert str(caught.value).startswith(message), str(caught.value)


def test_a_policy_file_that_cannot_be_read_says_so(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "missing.yaml")
    broken = tmp_path / "broken.yaml"
    broken.write_text("roles: [unclosed\n", encoding="utf-8")
    with pytest.raises(PolicyError, match=re.escape("broken.yaml: not valid YAML")):
        load_policy(broken)
    assert BUNDLED in load_policy().source


def test_the_settings_policy_file_replaces_the_bundled_one(tmp_path: Path) -> None:
    site = tmp_path / "site-policy.yaml"
    site.write_text(
        "roles:\n  watcher:\n    title: Watcher\n    panels: [map]\n    actions: [bookmark]\n",
        encoding="utf-8",
    )
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'p.db'}", demo=False, policy_file=str(site)
    )
    core = Core(settings)
    try:
        assert set(core.security.policy.roles) == {"watcher"}
    finally:
        core.stop()
    site.write_text("roles:\n  watcher:\n    actions: [bookmark, fly]\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=re.escape("site-policy.yaml:roles.watcher.actions")):
        Core(settings)


def test_shift_windows_in_local_time_including_overnight() -> None:
    day = ShiftWindow(frozenset({0, 1, 2, 3, 4}), time(7), time(19))
    night = ShiftWindow(frozenset({4}), time(22), time(6))  # Friday night into Saturday
    friday = MONDAY.replace(day=27)
    assert on_shift([day], MONDAY.replace(hour=7))
    assert not on_shift([day], MONDAY.replace(hour=19))
    assert not on_shift([day], MONDAY.replace(day=28, hour=12))  # Saturday
    assert on_shift([night], friday.replace(hour=23))
    assert on_shift([night], friday.replace(day=28, hour=5, minute=59))
    assert not on_shift([night], friday.replace(day=28, hour=6))
    assert not on_shift([night], friday.replace(day=26, hour=23))  # Thursday night
    assert on_shift([], MONDAY)
    aware = MONDAY.replace(hour=8).astimezone()  # the same local moment, with its offset
    assert on_shift([day], aware)


def test_permits_checks_cameras_layers_zones_and_panels() -> None:
    policy = parse_policy(
        {
            "roles": {
                "gate": {
                    "panels": ["map", "video"],
                    "actions": ["acknowledge"],
                    "cameras": ["cam-1"],
                    "layers": ["roads"],
                    "zones": ["z-1"],
                }
            }
        }
    )
    from app.security.model import Account

    principal = policy.principal(Account("g", "G", "x", ("gate", "unknown-role")), MONDAY)
    assert principal.roles == ("gate",)
    assert permits(principal, Permission.ACKNOWLEDGE, camera="cam-1", layer="roads", zone="z-1")
    assert not permits(principal, Permission.ACKNOWLEDGE, camera="cam-2")
    assert not permits(principal, Permission.ACKNOWLEDGE, layer="rail")
    assert not permits(principal, Permission.ACKNOWLEDGE, zone="z-2")
    assert not permits(principal, Permission.DISMISS)
    assert not permits(None, Permission.ACKNOWLEDGE)
    assert panel_allowed(principal, "video") and not panel_allowed(principal, "alerts")
    assert not panel_allowed(None, "map")


class Refusals:
    def __init__(self, core: Core) -> None:
        self._lock = threading.Lock()
        self.items: list[PermissionRefused] = []
        core.hub.subscribe(PermissionRefused, self.add)

    def add(self, batch: Sequence[PermissionRefused]) -> None:
        with self._lock:
            self.items.extend(batch)


def test_outside_the_shift_a_person_may_look_but_not_act(tmp_path: Path) -> None:
    site = tmp_path / "shifts.yaml"
    site.write_text(
        "roles:\n"
        "  day-operator:\n"
        "    panels: [alerts, map]\n"
        "    actions: [bookmark]\n"
        "    shifts:\n"
        '      - {days: [mon, tue, wed, thu, fri], start: "07:00", end: "19:00"}\n',
        encoding="utf-8",
    )
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 's.db'}", demo=False, policy_file=str(site)
    )
    core = Core(settings)
    refusals = Refusals(core)
    try:
        clock = {"now": MONDAY.replace(hour=10).astimezone()}
        core.security.clock = lambda: clock["now"]
        signed_in(core, "dina", ("day-operator",))
        core.submit(AddBookmark(clock["now"], "on shift", "dina"))
        assert refusals.items == []
        clock["now"] = MONDAY.replace(hour=20).astimezone()
        core.submit(AddBookmark(clock["now"], "after hours", "dina"))
        assert [r.message for r in refusals.items] == [
            "You are outside your shift: you may look, not act."
        ]
        principal = core.security.principal
        assert panel_allowed(principal, "alerts"), "panels stay"
        assert not core.security.permits(Permission.BOOKMARK)
        assert core.audit.flush(30)
        refused = [e for e in core.audit.entries() if e.outcome == "refused"]
        assert [(e.action, e.detail["reason"]) for e in refused] == [("bookmark.add", "shift")]
    finally:
        core.stop()
