"""The scenario format: bundled scenarios load, YAML and JSON mean the same, and every kind of
mistake is reported with its file, line and field."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
import yaml

from app.map.site_layers import load_site_layer, site_records
from app.model import Camera, Sensor, Zone
from app.scenario.loader import ScenarioError, available_scenarios, load_scenario, main
from app.scenario.model import INJECT_KINDS, OPERATOR_ACTIONS
from app.scenario.schema import schema

BUNDLED = {"stadium-weapon", "water-contamination", "transport-hub"}

SITE = {
    "type": "FeatureCollection",
    "features": [
        {
            "type": "Feature",
            "properties": {"kind": "camera", "identifier": "cam-a", "name": "Camera A"},
            "geometry": {"type": "Point", "coordinates": [4.3570, 50.8357]},
        },
        {
            "type": "Feature",
            "properties": {
                "kind": "sensor",
                "identifier": "chlorine-1",
                "quantity": "chlorine_residual",
                "unit": "mg/L",
            },
            "geometry": {"type": "Point", "coordinates": [4.3580, 50.8360]},
        },
    ],
}

SMALL = """\
version: 2
id: small
title: Small exercise
city: Brussels
duration_s: 600
site: [site.geojson]
map: {centre: [50.8357, 4.3570], zoom: 16}
tools:
  intrusion: Intrusion detection
injects:
  - id: door
    at: 10
    kind: alert
    tool: intrusion
    data:
      sender: intrusion@example.org
      event_type: person_in_restricted_zone
      headline: Door forced
      description: "Control room door forced \\u2013 \\"north\\" side"
      urgency: Immediate
      severity: Severe
      certainty: Observed
      confidence: 0.9
      point: [50.8357, 4.3570]
  - id: cam-down
    at: 60
    kind: camera_failure
    data: {camera_id: cam-a, reason: offline, headline: Camera A offline}
  - id: knife
    at: 90
    kind: detection
    data:
      detector_id: yolo
      source_id: cam-a
      event_type: knife
      label: knife
      confidence: 0.8
      bbox: [0.1, 0.2, 0.05, 0.05]
      point: [50.8357, 4.3570]
      snapshot: knife.jpg
      alert: {headline: Knife on camera A, description: A knife in the hall}
  - id: rumour
    at: 120
    kind: post
    data: {platform: microblog, author: "@someone", text: "Ça sent mauvais ici", language: fr}
series:
  - id: chlorine
    sensor_id: chlorine-1
    quantity: chlorine_residual
    unit: mg/L
    every_s: 30
    values: [0.5, 0.4, 0.3]
routes:
  - id: patrol
    callsign: Patrol 1
    cot_type: a-f-G
    points: [[50.8357, 4.3570], [50.8360, 4.3580]]
    speed_mps: 1.4
    every_s: 5
conditions:
  - id: door-ignored
    after: door
    unless: acknowledge
    within_s: 120
    inject:
      id: door-call
      kind: alert
      tool: intrusion
      data:
        sender: police@example.org
        event_type: suspicious_activity
        headline: Police ask about the control room door
        description: Confirm the intrusion
        urgency: Immediate
        severity: Severe
        certainty: Likely
        confidence: 0.9
        point: [50.8357, 4.3570]
expect:
  - {inject: door, acknowledge_within_s: 60, escalate: true, sop_steps: 2, weight: 2}
  - {inject: knife, false_alarm: true}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "site.geojson").write_text(json.dumps(SITE), encoding="utf-8")
    (tmp_path / "knife.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a picture")
    return tmp_path


def write(folder: Path, text: str, name: str = "small.yaml") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """The 1-based line of the ``occurrence``-th line containing ``needle``."""
    hits = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    return hits[occurrence - 1]


def problems(path: Path) -> str:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    return str(caught.value)


# --- bundled scenarios -----------------------------------------------------------------------


def test_bundled_scenarios_are_listed_with_titles() -> None:
    listed = dict(available_scenarios())
    assert set(listed) == BUNDLED
    assert all(title.strip() for title in listed.values())


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_scenario_loads_and_is_complete(name: str) -> None:
    spec = load_scenario(name)
    assert spec.id == name and spec.path is not None and spec.city
    assert 600 <= spec.duration_s <= 1200
    assert 20 <= len(spec.injects) + len(spec.conditions) <= 40
    assert spec.site_layers and all(path.is_file() for path in spec.site_layers)
    assert spec.routes and spec.conditions and spec.expectations
    assert [i.at_s for i in spec.injects] == sorted(i.at_s for i in spec.injects)
    assert all(inject.line > 0 for inject in spec.injects)
    assert set(spec.tools) <= set(spec.tool_titles)
    for expectation in spec.expectations:
        assert spec.inject(expectation.inject) is not None


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_snapshots_are_small_jpegs(name: str) -> None:
    spec = load_scenario(name)
    pictures = [Path(i.data["snapshot"]) for i in spec.injects if "snapshot" in i.data]
    assert pictures
    for picture in pictures:
        data = picture.read_bytes()
        assert data[:2] == b"\xff\xd8" and len(data) <= 40_000, picture


@pytest.mark.parametrize("name", sorted(BUNDLED))
def test_bundled_site_layers_describe_exercise_cameras_sensors_and_zones(name: str) -> None:
    spec = load_scenario(name)
    records = [r for path in spec.site_layers for r in site_records(load_site_layer(path))]
    cameras = [r for r in records if isinstance(r, Camera)]
    sensors = [r for r in records if isinstance(r, Sensor)]
    zones = [r for r in records if isinstance(r, Zone)]
    assert cameras and zones
    assert all(c.uri == "" and c.heading_deg is not None and c.fov_deg for c in cameras)
    assert {z.kind for z in zones} <= {"restricted", "crowd", "vip"}
    assert {"restricted", "crowd"} <= {z.kind for z in zones}
    fed = {series.sensor_id for series in spec.series}
    for sensor in sensors:  # a sensor without readings would be reported as not reporting
        assert sensor.identifier in fed or sensor.interval_s * 3 > 2 * spec.duration_s


def test_loading_by_path_and_by_stem_gives_the_same_scenario() -> None:
    by_name = load_scenario("stadium-weapon")
    assert by_name.path is not None
    assert load_scenario(by_name.path) == by_name
    assert load_scenario(str(by_name.path)) == by_name


def test_schema_names_the_models_kinds_and_actions() -> None:
    defs = schema()["$defs"]
    assert set(defs["kind"]["enum"]) == INJECT_KINDS
    assert set(defs["operatorAction"]["enum"]) == OPERATOR_ACTIONS


# --- parsing into specs ----------------------------------------------------------------------


def test_small_scenario_parses_with_defaults(folder: Path) -> None:
    path = write(folder, SMALL)
    spec = load_scenario(path)
    tools = {inject.id: inject.tool for inject in spec.injects}
    assert tools == {
        "door": "intrusion",
        "cam-down": "video-management",
        "knife": "video-analytics",
        "rumour": "social-monitor",
    }
    assert spec.series[0].tool == "bio-sensors" and spec.routes[0].tool == "patrol-tracking"
    assert spec.tool_titles["intrusion"] == "Intrusion detection"
    assert spec.inject("door").line == line_of(SMALL, "- id: door")
    assert spec.inject("door").data["description"] == 'Control room door forced \u2013 "north" side'
    camera = spec.inject("cam-down").data
    assert camera["event_type"] == "camera_offline" and camera["point"] == [50.8357, 4.357]
    knife = spec.inject("knife").data
    assert Path(knife["snapshot"]) == (folder / "knife.jpg").resolve()
    assert knife["alert"]["event_type"] == "knife" and knife["alert"]["confidence"] == 0.8
    condition = spec.conditions[0]
    assert condition.inject.at_s == 0 and spec.inject("door-call") is condition.inject
    assert spec.expectations[0].escalate is True and spec.expectations[1].false_alarm


def test_yaml_and_json_versions_load_equal(folder: Path) -> None:
    document = yaml.safe_load(SMALL)
    from_yaml = load_scenario(write(folder, SMALL))
    # Tabs, escaped slashes and \\u escapes, all of which PyYAML would read differently.
    text = json.dumps(document, indent="\t").replace("@", "\\u0040").replace("/", "\\/")
    from_json = load_scenario(write(folder, text, "small.json"))

    def comparable(spec):  # lines and the file differ by design
        injects = tuple(dataclasses.replace(i, line=0) for i in spec.injects)
        conditions = tuple(
            dataclasses.replace(c, inject=dataclasses.replace(c.inject, line=0))
            for c in spec.conditions
        )
        return dataclasses.replace(spec, injects=injects, conditions=conditions, path=None)

    assert comparable(from_json) == comparable(from_yaml)
    assert from_json.inject("rumour").data["author"] == "@someone"
    assert from_json.inject("knife").line == text.splitlines().index('\t\t\t"id": "knife",')


# --- errors: file, line and field ----------------------------------------------------------


def test_unknown_field_is_named_with_a_suggestion(folder: Path) -> None:
    text = SMALL.replace("      confidence: 0.9\n", "      confidance: 0.9\n", 1)
    message = problems(write(folder, text))
    line = line_of(text, "confidance")
    assert f"small.yaml:{line}: injects[0].data.confidance: unknown field" in message
    assert "did you mean 'confidence'" in message


def test_wrong_type(folder: Path) -> None:
    text = SMALL.replace("at: 60", "at: soon")
    message = problems(write(folder, text))
    line = line_of(text, "at: soon")
    assert f"small.yaml:{line}: injects[1].at: 'soon' is not of type" in message


def test_missing_data_field_for_the_kind(folder: Path) -> None:
    text = SMALL.replace("      sender: intrusion@example.org\n", "")
    message = problems(write(folder, text))
    line = line_of(text, "    data:")
    assert f"small.yaml:{line}: injects[0].data.sender: required field is missing" in message


def test_out_of_range_confidence(folder: Path) -> None:
    text = SMALL.replace("confidence: 0.8", "confidence: 1.4")
    message = problems(write(folder, text))
    expected = "injects[2].data.confidence: 1.4 is greater than the maximum of 1"
    assert f"small.yaml:{line_of(text, 'confidence: 1.4')}: {expected}" in message


def test_yaml_boolean_instead_of_text_gets_a_hint(folder: Path) -> None:
    text = SMALL.replace("language: fr", "language: no")
    message = problems(write(folder, text))
    assert f":{line_of(text, 'language: no')}: injects[3].data.language: False" in message
    assert "quotes" in message


def test_duplicate_inject_id(folder: Path) -> None:
    text = SMALL.replace("id: door-call", "id: knife")
    message = problems(write(folder, text))
    line = line_of(text, "id: knife", 2)
    assert f"small.yaml:{line}: conditions[0].inject.id: id 'knife' is already used" in message


def test_condition_naming_a_missing_inject(folder: Path) -> None:
    text = SMALL.replace("after: door", "after: dor")
    message = problems(write(folder, text))
    line = line_of(text, "after: dor")
    assert f"small.yaml:{line}: conditions[0].after: no inject has the id 'dor'" in message


def test_condition_after_an_inject_without_alert(folder: Path) -> None:
    text = SMALL.replace("after: door", "after: rumour")
    assert "conditions[0].after: 'rumour' raises no alert" in problems(write(folder, text))


def test_unknown_event_type(folder: Path) -> None:
    text = SMALL.replace("event_type: knife", "event_type: knifee")
    message = problems(write(folder, text))
    line = line_of(text, "event_type: knifee")
    assert f"small.yaml:{line}: injects[2].data.event_type: 'knifee' is not in the" in message
    assert "did you mean knife" in message


def test_inject_after_the_end(folder: Path) -> None:
    text = SMALL.replace("at: 120", "at: 601")
    message = problems(write(folder, text))
    line = line_of(text, "at: 601")
    assert f"small.yaml:{line}: injects[3].at: 601 s is after the end" in message


def test_condition_firing_after_the_end(folder: Path) -> None:
    text = SMALL.replace("within_s: 120", "within_s: 595")
    assert "conditions[0].within_s: would fire at 605 s" in problems(write(folder, text))


def test_missing_site_file(folder: Path) -> None:
    text = SMALL.replace("site: [site.geojson]", "site: [sites.geojson]")
    message = problems(write(folder, text))
    assert f"small.yaml:{line_of(text, 'site:')}: site[0]: site layer not found" in message


def test_unknown_camera_and_missing_snapshot(folder: Path) -> None:
    text = SMALL.replace("source_id: cam-a", "source_id: cam-b")
    (folder / "knife.jpg").unlink()
    message = problems(write(folder, text))
    assert f":{line_of(text, 'cam-b')}: injects[2].data.source_id: no camera 'cam-b'" in message
    assert f":{line_of(text, 'knife.jpg')}: injects[2].data.snapshot: picture not found" in message


def test_alert_tool_must_be_declared(folder: Path) -> None:
    text = SMALL.replace("    tool: intrusion\n", "    tool: intrusoin\n", 1)
    message = problems(write(folder, text))
    assert f":{line_of(text, 'intrusoin')}: injects[0].tool: tool 'intrusoin' is not" in message


def test_expectation_naming_a_missing_inject(folder: Path) -> None:
    text = SMALL.replace("{inject: knife,", "{inject: knif,")
    assert f":{line_of(text, 'inject: knif,')}: expect[1].inject:" in problems(write(folder, text))


def test_key_written_twice(folder: Path) -> None:
    text = SMALL.replace("    at: 90\n", "    at: 90\n    at: 95\n")
    assert f":{line_of(text, 'at: 95')}: injects[2].at: written twice" in problems(
        write(folder, text)
    )


def test_anchors_and_merge_keys_are_not_duplicates(folder: Path) -> None:
    shared = "x-door: &door\n  sender: intrusion@example.org\n  headline: Shared\n"
    text = SMALL.replace("injects:\n", shared + "injects:\n", 1).replace(
        "      sender: intrusion@example.org\n      event_type: person_in_restricted_zone\n"
        "      headline: Door forced\n",
        "      <<: *door\n      event_type: person_in_restricted_zone\n"
        "      headline: Door forced\n",
    )
    spec = load_scenario(write(folder, text))
    assert spec.inject("door").data["sender"] == "intrusion@example.org"
    assert spec.inject("door").data["headline"] == "Door forced"
    assert spec.inject("door").line == line_of(text, "- id: door")


def test_every_problem_is_reported_in_line_order(folder: Path) -> None:
    text = SMALL.replace("confidence: 0.8", "confidence: 1.4").replace("at: 60", "at: -1")
    lines = [int(line.split(":")[1]) for line in problems(write(folder, text)).splitlines()]
    assert len(lines) == 2 and lines == sorted(lines)


def test_yaml_syntax_error_names_file_and_line(folder: Path) -> None:
    text = SMALL.replace("    at: 60\n", "    at: [60\n")
    message = problems(write(folder, text))
    assert message.startswith("small.yaml:") or "/small.yaml:" in message
    line = int(message.split("small.yaml:")[1].split(":")[0])
    assert line_of(text, "at: [60") <= line <= line_of(text, "at: [60") + 2
    assert "YAML syntax error" in message


def test_json_errors_name_file_and_line(folder: Path) -> None:
    document = yaml.safe_load(SMALL)
    document["injects"][2]["data"]["confidence"] = 1.4
    text = json.dumps(document, indent=2)
    message = problems(write(folder, text, "small.json"))
    assert f"small.json:{line_of(text, '1.4')}: injects[2].data.confidence: 1.4" in message
    broken = text.replace('"at": 60,', '"at": 60')
    message = problems(write(folder, broken, "small.json"))
    line = line_of(broken, '"at": 60') + 1
    assert f"small.json:{line}: JSON syntax error" in message


def test_unknown_name_lists_the_bundled_scenarios() -> None:
    with pytest.raises(ScenarioError, match=r"no scenario named 'harbour'.*stadium-weapon"):
        load_scenario("harbour")


def test_version_1_demo_file_is_not_a_version_2_scenario() -> None:
    from app.bundled import resource_path

    with pytest.raises(ScenarioError, match=r"scenario.json:2: version: 2 was expected"):
        load_scenario(resource_path("demo/scenario.json"))


def test_command_line_check(folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = write(folder, SMALL)
    bad = write(folder, SMALL.replace("confidence: 0.8", "confidence: 1.4"), "bad.yaml")
    assert main([str(good)]) == 0
    assert capsys.readouterr().out.strip().endswith("small.yaml: ok")
    assert main([str(good), str(bad)]) == 3
    out = capsys.readouterr().out
    assert "small.yaml: ok" in out and "bad.yaml:" in out and "confidence" in out
