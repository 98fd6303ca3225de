import json
from importlib import resources

import pytest

from app.demo.source import bundled_scenario_path
from app.model import Category, Priority, Status
from app.terminology import Terminology, TerminologyError, default_terminology

REQUIRED_EVENT_TYPES = {
    "weapon",
    "knife",
    "firearm",
    "person_in_restricted_zone",
    "crowd_density",
    "loitering",
    "camera_offline",
    "camera_tampering",
    "threatening_post",
    "hate_speech",
    "call_to_gather",
    "biological_contamination",
    "sensor_threshold",
    "sensor_anomaly",
    "sensor_stale",
    "cyber_intrusion",
    "physical_threat_intel",
    "suspicious_activity",
}


def document() -> dict:
    text = resources.files("resources").joinpath("terminology.json").read_text("utf-8")
    return json.loads(text)


def test_every_event_a_control_room_needs_is_defined() -> None:
    ids = {e.id for e in default_terminology().event_types()}
    assert ids >= REQUIRED_EVENT_TYPES


def test_every_category_priority_and_health_state_has_a_style() -> None:
    terms = default_terminology()
    assert all(terms.category_name(c) for c in Category)
    assert all(terms.priority(p).colour.startswith("#") for p in Priority)
    glyphs = {terms.health(s).glyph for s in ("ok", "degraded", "down")}
    assert len(glyphs) == 3, "states must differ by shape, not only by colour"


def test_unknown_event_types_get_a_generic_entry() -> None:
    terms = default_terminology()
    assert terms.event_type("martian_landing") is terms.unknown


def test_exercise_records_get_the_exercise_context_in_their_symbol() -> None:
    knife = default_terminology().event_type("knife")
    assert knife.sidc_for(Status.ACTUAL)[2] == "0"
    assert knife.sidc_for(Status.EXERCISE)[2] == "1"
    assert knife.sidc_for(Status.EXERCISE)[3:] == knife.sidc[3:]


def test_every_event_type_in_the_demo_scenario_is_defined() -> None:
    scenario = json.loads(bundled_scenario_path().read_text("utf-8"))
    ids = {e.id for e in default_terminology().event_types()}
    used = {i["data"]["event_type"] for i in scenario["injects"] if "event_type" in i["data"]}
    assert used <= ids


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        (("event_types", "knife", "sidc"), "123", "not 20 digits"),
        (("event_types", "knife", "category"), "Gossip", "Gossip"),
        (("event_types", "knife", "priority"), 9, "9"),
    ],
)
def test_inconsistent_files_fail_at_start_up(path: tuple, value: object, reason: str) -> None:
    broken = document()
    node = broken
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    with pytest.raises(TerminologyError, match=reason):
        Terminology(broken)


def test_missing_categories_are_refused() -> None:
    broken = document()
    del broken["categories"]["CBRNE"]
    with pytest.raises(TerminologyError, match="CBRNE"):
        Terminology(broken)
