"""Adapters from CAP, Atom/RSS, GeoJSON, STIX and vendor JSON to tool-API alerts, the format
sniffer, and the all-or-nothing file importer on a real SQLite store.

The fixture files under ``tests/data/adapters`` are invented but shaped like what real tools
publish; hostile inputs (XXE, entity bombs, DTDs) are built inline so that their intent is
visible next to the assertion.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from app.hub import Hub
from app.importer import FileResult, import_files
from app.ingest import Ingest
from app.model import Alert, Certainty, GeoPoint, MsgType, Severity, Status
from app.storage import RecordStore, StorageError, create_engine_for, upgrade_schema
from app.terminology import default_terminology
from app.toolapi.adapters import AdapterError, Rejection, slug
from app.toolapi.adapters.detect import detect_format
from app.toolapi.adapters.mapping import load_mapping
from app.toolapi.adapters.parse import ParsedBatch, parse_alerts

DATA = Path(__file__).parent / "data" / "adapters"
CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_TEMPLATE = f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{CAP_NS}">
  <identifier>GATEWATCH-1</identifier>
  <sender>gatewatch@harbourcity.example</sender>
  <sent>2024-05-17T14:03:12+02:00</sent>
  <status>Actual</status>
  <msgType>Alert</msgType>
  <scope>Public</scope>
  <info>
    <category>Security</category>
    <event>Knife</event>
    <urgency>Immediate</urgency>
    <severity>Severe</severity>
    <certainty>Observed</certainty>
    <headline>Knife at gate 1</headline>
    AREA
  </info>
</alert>
"""
VENDOR_MAPPING: dict[str, Any] = {
    "items": "data.events",
    "fields": {
        "identifier": "id",
        "sent": "timestamp",
        "headline": "title",
        "event_type": "kind",
        "description": "details",
        "confidence": "score",
        "area_description": "site",
    },
    "geometry": {"lat": "pos.lat", "lon": "pos.lng"},
    "constants": {"sender": "acme-safesense", "category": "Security"},
    "event_types": {"GUN": "firearm", "KNIFE": "knife"},
    "time_format": "%d.%m.%Y %H:%M:%S",
    "timezone": "Europe/Oslo",
}


def cap(area: str = "", **replace: str) -> bytes:
    """A small valid CAP alert; keyword arguments replace whole elements by name."""
    text = CAP_TEMPLATE.replace("AREA", area)
    for name, element in replace.items():
        start, end = text.index(f"<{name}>"), text.index(f"</{name}>") + len(name) + 3
        text = text[:start] + element + text[end:]
    return text.encode("utf-8")


def alert_json(**fields: Any) -> dict[str, Any]:
    base = {
        "identifier": "T-1",
        "sender": "tester",
        "sent": "2024-05-17T12:00:00Z",
        "event_type": "knife",
        "headline": "Knife at gate 1",
    }
    return base | fields


def fixture(name: str) -> bytes:
    return (DATA / name).read_bytes()


def only(batch: ParsedBatch) -> Any:
    assert not batch.rejected, batch.rejected
    assert len(batch.alerts) == 1
    return batch.alerts[0]


def reasons(batch: ParsedBatch) -> str:
    return " | ".join(str(r) for r in batch.rejected)


# --- CAP ---------------------------------------------------------------------------------------


def test_cap_document_maps_every_field() -> None:
    alert = only(parse_alerts(fixture("cap_weapon_alert.xml")))
    assert alert.identifier == "BLADEWATCH-2024-0517-0042"
    assert alert.sender == "bladewatch@harbourcity.example"
    assert alert.sent == datetime(2024, 5, 17, 12, 3, 12, tzinfo=UTC)
    assert (alert.status, alert.msg_type) == (Status.EXERCISE, MsgType.UPDATE)
    assert alert.references == ["BLADEWATCH-2024-0517-0041"]
    # The English <info> is chosen over the Norwegian one that comes first.
    assert alert.headline == "Knife detected at north entrance, gate 3"
    assert alert.event_type == "knife"  # from <eventCode valueName="watchfloor">
    assert (alert.severity, alert.certainty) == (Severity.SEVERE, Certainty.LIKELY)
    assert alert.confidence == pytest.approx(0.82)
    assert alert.description.startswith("Walk-through scanner 3")
    # A resource with only embedded data (no <uri>) has nothing to link to.
    assert [(e.kind, e.caption) for e in alert.evidence] == [("image", "Scanner 3 snapshot")]
    assert alert.area.description == "North entrance, gate 3"


def test_cap_polygon_is_converted_to_geojson_lon_lat_with_centroid_point() -> None:
    alert = only(parse_alerts(fixture("cap_weapon_alert.xml")))
    ring = alert.area.polygon.coordinates[0]
    assert ring[0] == (10.7330, 59.9120)  # CAP "59.9120,10.7330" is latitude first
    assert ring[2] == (10.7340, 59.9126)
    # The marker is the centroid of the distinct vertices, not the first vertex.
    assert alert.geometry.coordinates == pytest.approx((10.7335, 59.9123))
    assert alert.geometry.coordinates != ring[0]


def test_cap_polygon_order_where_a_swap_would_be_out_of_range() -> None:
    ring = "-33.87,151.20 -33.87,151.22 -33.85,151.22 -33.85,151.20 -33.87,151.20"
    polygon = f"<polygon>{ring}</polygon>"
    alert = only(parse_alerts(cap(f"<area><areaDesc>Quay</areaDesc>{polygon}</area>")))
    assert alert.area.polygon.coordinates[0][0] == (151.20, -33.87)
    record = alert.to_record("t", default_terminology())
    assert record.area.polygon[0] == GeoPoint(lat=-33.87, lon=151.20)
    assert record.point.lat == pytest.approx(-33.86)


def test_cap_circle_gives_its_centre_as_the_point() -> None:
    area = "<area><areaDesc>Square</areaDesc><circle>59.9115,10.7340 0.15</circle></area>"
    alert = only(parse_alerts(cap(area)))
    assert alert.geometry.coordinates == (10.7340, 59.9115)
    assert alert.area.polygon is None


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        ("Knife", "knife"),
        ("Crowd density", "crowd_density"),
        ("Shots fired!! (North gate)", "shots_fired_north_gate"),
        ("Émeute à la gare", "emeute_a_la_gare"),
    ],
)
def test_cap_event_becomes_a_slug_without_an_event_code(event: str, expected: str) -> None:
    assert only(parse_alerts(cap(event=f"<event>{event}</event>"))).event_type == expected
    assert slug(event) == expected


def test_cap_without_english_info_uses_the_first_and_headline_falls_back_to_event() -> None:
    doc = cap(headline="<language>fr-FR</language>", event="<event>Colis suspect</event>")
    alert = only(parse_alerts(doc))
    assert (alert.headline, alert.event_type) == ("Colis suspect", "colis_suspect")


@pytest.mark.parametrize(
    ("document", "field"),
    [
        (cap(identifier=""), "identifier"),
        (cap(identifier="<identifier>has space</identifier>"), "identifier"),
        (cap(sent="<sent>yesterday afternoon</sent>"), "sent"),
        (cap(sent="<sent>2024-05-17T14:03:12</sent>"), "sent"),
        (
            cap("<area><areaDesc>A</areaDesc><polygon>59.91,10.73 59.92,abc</polygon></area>"),
            "area.polygon",
        ),
        (
            cap("<area><areaDesc>A</areaDesc><polygon>59.91,10.73 59.92,10.74</polygon></area>"),
            "area.polygon",
        ),
        (
            cap("<area><areaDesc>A</areaDesc><circle>59.91;10.73</circle></area>"),
            "area.circle",
        ),
        (cap(severity="<severity>Apocalyptic</severity>"), "severity"),
        (CAP_TEMPLATE.split("<info>")[0].encode() + b"</alert>", "info"),
    ],
)
def test_invalid_cap_is_rejected_naming_the_field(document: bytes, field: str) -> None:
    batch = parse_alerts(document)
    assert batch.alerts == ()
    assert len(batch.rejected) == 1
    assert batch.rejected[0].reason.startswith(field), batch.rejected[0].reason


def test_html_in_a_headline_comes_through_verbatim_as_text() -> None:
    markup = '<script>alert("x")</script><b onclick="steal()">Gate 3</b>'
    escaped = markup.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    alert = only(parse_alerts(cap(headline=f"<headline>{escaped}</headline>")))
    assert alert.headline == markup
    assert alert.to_record("t", default_terminology()).headline == markup
    from_json = only(parse_alerts(json.dumps(alert_json(headline=markup)).encode()))
    assert from_json.headline == markup


# --- hostile XML -------------------------------------------------------------------------------

XXE = f"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<alert xmlns="{CAP_NS}"><identifier>&secret;</identifier></alert>
""".encode()

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n<!ENTITY lol "lol">\n'
    + b"".join(
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">\n'.replace("lol0", "lol").encode()
        for i in range(1, 10)
    )
    + f'] >\n<alert xmlns="{CAP_NS}"><identifier>&lol9;</identifier></alert>'.encode()
)


def test_external_entity_is_refused_and_never_resolved() -> None:
    with pytest.raises(AdapterError, match="DTD") as caught:
        parse_alerts(XXE)
    assert "root:" not in str(caught.value)
    with pytest.raises(AdapterError, match="DTD"):
        detect_format(XXE)


def test_billion_laughs_is_refused_quickly() -> None:
    started = time.perf_counter()
    with pytest.raises(AdapterError, match="DTD"):
        parse_alerts(BILLION_LAUGHS)
    assert time.perf_counter() - started < 1.0


def test_any_dtd_is_refused() -> None:
    doc = b'<?xml version="1.0"?>\n<!DOCTYPE alert>\n' + cap().split(b"?>", 1)[1]
    with pytest.raises(AdapterError, match=r"DTD \(<!DOCTYPE"):
        parse_alerts(doc)


def test_xxe_hidden_in_escaped_feed_content_rejects_that_entry() -> None:
    hidden = XXE.decode().replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    feed = f"""<feed xmlns="http://www.w3.org/2005/Atom">
      <entry><id>e1</id><content type="text">{hidden}</content></entry></feed>""".encode()
    batch = parse_alerts(feed)
    assert batch.alerts == ()
    assert "DTD" in batch.rejected[0].reason
    assert batch.rejected[0].identifier == "e1"


# --- feeds -------------------------------------------------------------------------------------


def test_atom_feed_with_two_cap_entries_and_one_link_only_entry() -> None:
    batch = parse_alerts(fixture("atom_cap_feed.xml"), "application/atom+xml")
    assert batch.format == "atom-cap"
    assert [a.identifier for a in batch.alerts] == ["HCFD-2024-311", "HCPD-CROWD-77"]
    fire, crowd = batch.alerts
    assert fire.geometry.coordinates == (10.7290, 59.9103)  # circle centre
    # Escaped CAP text (with its own ISO-8859-1 declaration) is read; "Very Likely" -> Likely.
    assert (crowd.event_type, crowd.certainty) == ("crowd_density", Certainty.LIKELY)
    assert batch.rejected == ()
    (skipped,) = batch.skipped
    assert skipped.position == 2
    assert skipped.identifier == "urn:uuid:5f1c3c8e-1d2b-4c1e-9a43-0c0ffee0a004"
    assert "never fetched" in skipped.reason


def test_rss_feed_with_cap_child_element_and_a_plain_item() -> None:
    batch = parse_alerts(fixture("rss_cap_feed.xml"))
    alert = batch.alerts[0]
    assert (batch.format, len(batch.alerts)) == ("rss-cap", 1)
    assert (alert.identifier, alert.event_type) == ("DW-8812", "unauthorised_drone")
    assert alert.geometry.coordinates == (10.7340, 59.9115)
    assert [s.position for s in batch.skipped] == [1]


def test_feed_entry_with_invalid_cap_is_rejected_with_its_position() -> None:
    entry = cap(sent="<sent>soon</sent>").split(b"?>", 1)[1]
    feed = b'<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>a</id></entry><entry>'
    feed += b"<content>" + entry + b"</content></entry></feed>"
    batch = parse_alerts(feed)
    (rejected,) = batch.rejected
    assert (rejected.position, rejected.identifier) == (1, "GATEWATCH-1")
    assert rejected.reason.startswith("sent")
    assert str(rejected).startswith("item 2 (GATEWATCH-1): sent")


# --- STIX --------------------------------------------------------------------------------------


def stix_alerts() -> dict[str, Any]:
    batch = parse_alerts(fixture("stix_bundle.json"), "application/stix+json;version=2.1")
    assert batch.rejected == ()
    return {a.identifier.split("--")[0] + str(i): a for i, a in enumerate(batch.alerts)}


def test_stix_indicators_and_observed_data_become_alerts() -> None:
    alerts = stix_alerts()
    assert sorted(alerts) == ["indicator0", "indicator1", "observed-data2"]
    cyber, physical, observed = alerts.values()
    assert cyber.event_type == "cyber_intrusion"  # ipv4-addr/url pattern
    assert cyber.sender == "identity--a1b2c3d4-0000-4000-8000-00000000cafe"
    assert cyber.sent == datetime(2024, 5, 17, 9, 15, tzinfo=UTC)
    assert cyber.severity == Severity.SEVERE  # label "severity:high"
    assert cyber.category == "Security"
    assert "Pattern (stix): [ipv4-addr:value" in cyber.description
    assert physical.event_type == "physical_threat_intel"
    assert physical.sender == "stix"
    assert physical.headline.startswith("Chatter names the harbour festival stage")
    assert len(physical.headline) <= 120
    assert observed.event_type == "cyber_intrusion"
    assert "198.51.100.23" in observed.description


def test_stix_location_linked_by_relationship_gives_geometry_and_area() -> None:
    physical = stix_alerts()["indicator1"]
    assert physical.geometry.coordinates == (10.7318, 59.9109)
    assert physical.area.description == "Harbour festival main stage, Harbour City, NO"


def test_stix_sighting_adds_evidence_raises_confidence_and_places_the_alert() -> None:
    cyber = stix_alerts()["indicator0"]
    assert cyber.confidence == pytest.approx(0.7)  # 0.60 raised by one sighting
    assert cyber.certainty == Certainty.OBSERVED
    kinds = [e.kind for e in cyber.evidence]
    assert kinds == ["reference", "sighting"]
    assert "14 times" in cyber.evidence[1].caption
    assert cyber.geometry.coordinates == (10.7522, 59.9231)  # where_sighted_refs location


def bundle(*objects: dict[str, Any]) -> bytes:
    return json.dumps({"type": "bundle", "id": "bundle--1", "objects": list(objects)}).encode()


def indicator(ident: str = "indicator--1", **fields: Any) -> dict[str, Any]:
    base = {
        "type": "indicator",
        "id": ident,
        "created": "2024-05-17T10:00:00Z",
        "modified": "2024-05-17T10:00:00Z",
        "name": "Test indicator",
        "pattern": "[x-thing:name = 'a']",
        "pattern_type": "stix",
    }
    return base | fields


LOCATION = {"type": "location", "id": "location--1", "latitude": 59.91, "longitude": 10.73}


def test_stix_located_at_relationship_only_counts_from_the_indicator() -> None:
    forward = {"type": "relationship", "id": "relationship--1", "relationship_type": "located-at"}
    forward |= {"source_ref": "indicator--1", "target_ref": "location--1"}
    reverse = forward | {"source_ref": "location--1", "target_ref": "indicator--1"}
    assert only(parse_alerts(bundle(indicator(), LOCATION, forward))).geometry is not None
    assert only(parse_alerts(bundle(indicator(), LOCATION, reverse))).geometry is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"pattern": "[domain-name:value = 'evil.example']"}, "cyber_intrusion"),
        ({"indicator_types": ["compromised"]}, "cyber_intrusion"),
        ({"indicator_types": ["attribution"]}, "physical_threat_intel"),
        ({"indicator_types": ["malicious-activity"], "labels": ["venue"]}, "physical_threat_intel"),
        ({"pattern": "[x-venue:note = 'see http://a.example/file:1']"}, "physical_threat_intel"),
        ({"x_watchfloor_event_type": "explosion"}, "explosion"),
    ],
)
def test_stix_event_type_rules(fields: dict[str, Any], expected: str) -> None:
    assert only(parse_alerts(bundle(indicator(**fields)))).event_type == expected


def test_stix_confidence_without_a_stated_value_starts_neutral() -> None:
    assert only(parse_alerts(bundle(indicator()))).confidence == 0.5
    sighting = {"type": "sighting", "id": "sighting--1", "sighting_of_ref": "indicator--1"}
    assert only(parse_alerts(bundle(indicator(), sighting))).confidence == 0.625
    assert only(parse_alerts(bundle(indicator(confidence=90)))).confidence == 0.9


def test_stix_revoked_is_skipped_and_bad_objects_are_rejected() -> None:
    undated = indicator("indicator--2", created="later")
    batch = parse_alerts(bundle(indicator(revoked=True), undated, 7))
    assert batch.alerts == ()
    assert [s.position for s in batch.skipped] == [0]
    assert [r.position for r in batch.rejected] == [1, 2]
    assert batch.rejected[0].reason.startswith("sent")


# --- GeoJSON -----------------------------------------------------------------------------------


def test_geojson_point_and_polygon_features() -> None:
    batch = parse_alerts(fixture("geojson_alerts.geojson"))
    point, polygon = batch.alerts
    assert point.identifier == "zone-breach-19"  # from the Feature's id
    assert point.geometry.coordinates == (10.7336, 59.9119)
    assert point.evidence[0].caption == "Camera 12"
    assert polygon.area.description == "Pier 2 promenade"
    assert polygon.area.polygon.coordinates[0][0] == (10.7300, 59.9100)
    assert polygon.geometry.coordinates == pytest.approx((10.732, 59.911))


def test_geojson_single_feature_and_unsupported_geometry() -> None:
    line = {"type": "LineString", "coordinates": [[10.7, 59.9], [10.8, 59.9]]}
    feature = {"type": "Feature", "geometry": line, "properties": alert_json()}
    batch = parse_alerts(json.dumps(feature).encode())
    assert batch.format == "geojson"
    reason = batch.rejected[0].reason
    assert reason == "geometry: type 'LineString' is not supported (Point or Polygon)"
    square = [[[10.7, 59.9], [10.8, 59.9], [10.8, 60.0], [10.7, 60.0], [10.7, 59.9]]]
    feature["geometry"] = {"type": "Polygon", "coordinates": square}
    alert = only(parse_alerts(json.dumps(feature).encode()))
    assert alert.area.description == "Knife at gate 1"  # headline when no area_description


# --- vendor JSON through a mapping ------------------------------------------------------------


def test_mapping_with_custom_time_format_and_timezone() -> None:
    batch = parse_alerts(fixture("vendor_events.json"), mapping=VENDOR_MAPPING)
    assert (batch.format, batch.rejected) == ("mapping", ())
    gun, knife = batch.alerts
    assert gun.identifier == "40211"
    assert gun.sender == "acme-safesense"
    assert gun.event_type == "firearm"
    # 14:30:05 in Oslo in May is summer time (UTC+2).
    assert gun.sent == datetime(2024, 5, 17, 12, 30, 5, tzinfo=UTC)
    assert gun.geometry.coordinates == (10.7344, 59.9127)
    assert gun.area.description == "Ferry terminal"
    assert gun.confidence == pytest.approx(0.91)
    assert knife.event_type == "knife"
    assert knife.geometry.coordinates == (10.7301, 59.9108)  # numbers given as strings


def vendor(*events: dict[str, Any]) -> bytes:
    return json.dumps({"data": {"events": list(events)}}).encode()


def test_mapping_winter_time_unmapped_kind_and_bad_values() -> None:
    good = {"id": "a", "kind": "Drone Sighting", "title": "t", "timestamp": "17.01.2024 14:30:05"}
    bad_time = good | {"id": "b", "timestamp": "2024-01-17 14:30"}
    bad_pos = good | {"id": "c", "pos": {"lat": 59.9}}
    batch = parse_alerts(vendor(good, bad_time, bad_pos), mapping=VENDOR_MAPPING)
    alert = batch.alerts[0]
    assert alert.sent == datetime(2024, 1, 17, 13, 30, 5, tzinfo=UTC)
    assert alert.event_type == "drone_sighting"
    assert [(r.identifier, r.reason.split(":")[0]) for r in batch.rejected] == [
        ("b", "sent"),
        ("c", "geometry"),
    ]


def test_mapping_epoch_milliseconds_and_document_as_list() -> None:
    config = {
        "fields": {"identifier": "id", "sent": "t", "headline": "h", "event_type": "k"},
        "constants": {"sender": "x"},
        "time_format": "epoch_ms",
    }
    doc = json.dumps([{"id": "1", "t": 1715949005000, "h": "H", "k": "fire"}]).encode()
    alert = only(parse_alerts(doc, mapping=config))
    assert alert.sent == datetime(2024, 5, 17, 12, 30, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "colour: Extra inputs are not permitted"),
        ({"fields": {"identifier": "id", "headline": "t", "event_type": "k"}}, "'sent'"),
        ({"fields": VENDOR_MAPPING["fields"] | {"shoe_size": "x"}}, "['shoe_size']"),
        ({"timezone": "Mars/Olympus_Mons"}, "timezone"),
        ({"timezone": None}, "needs a timezone"),
        ({"event_types": {"GUN": "Fire Arm"}}, "event_types.GUN"),
        ({"geometry": {"lat": "pos.lat"}}, "geometry.lon"),
    ],
)
def test_mapping_config_errors_are_named(change: dict[str, Any], message: str) -> None:
    with pytest.raises(AdapterError, match="mapping configuration is invalid") as caught:
        load_mapping(VENDOR_MAPPING | change)
    assert message in str(caught.value)
    with pytest.raises(AdapterError):
        parse_alerts(fixture("vendor_events.json"), mapping=VENDOR_MAPPING | change)


def test_mapping_items_path_must_lead_to_a_list() -> None:
    with pytest.raises(AdapterError, match=r"'data\.events' is not a list"):
        parse_alerts(b'{"data": {"events": {}}}', mapping=VENDOR_MAPPING)


# --- tool-API JSON, limits, malformed input ----------------------------------------------------


def test_toolapi_page_is_validated_item_by_item() -> None:
    page = {"api_version": "1", "items": [alert_json(), alert_json(identifier="T-2", sent="x"), 5]}
    batch = parse_alerts(json.dumps(page).encode(), "application/json")
    assert [a.identifier for a in batch.alerts] == ["T-1"]
    assert [(r.position, r.identifier) for r in batch.rejected] == [(1, "T-2"), (2, None)]
    assert batch.rejected[0].reason.startswith("sent:")
    with pytest.raises(AdapterError, match="api_version"):
        parse_alerts(json.dumps(page | {"api_version": "2"}).encode())


def test_toolapi_single_alert_and_list() -> None:
    assert only(parse_alerts(json.dumps(alert_json()).encode())).identifier == "T-1"
    batch = parse_alerts(json.dumps([alert_json(), alert_json(identifier="T-2")]).encode())
    assert (batch.format, len(batch.alerts)) == ("toolapi-list", 2)


def test_oversize_payload_is_refused_before_parsing() -> None:
    with pytest.raises(AdapterError, match="over the limit of 10 bytes"):
        parse_alerts(b"{" * 11, max_bytes=10)
    big = b" " * (10 * 1024 * 1024) + b"[]"
    with pytest.raises(AdapterError, match="over the limit"):
        parse_alerts(big)


def test_malformed_json_and_xml_report_their_position() -> None:
    with pytest.raises(AdapterError, match=r"malformed JSON at line 3, column 1"):
        parse_alerts(b'{\n  "identifier": "a",\n}')
    with pytest.raises(AdapterError, match=r"malformed XML: .*line 2, column"):
        parse_alerts(b"<alert>\n<identifier>a</alert>")
    with pytest.raises(AdapterError, match="NaN is not a JSON number"):
        parse_alerts(json.dumps(alert_json(confidence=float("nan"))).encode())


def test_odd_shapes_are_rejections_or_clear_errors_never_crashes() -> None:
    with pytest.raises(AdapterError, match="encoding"):
        parse_alerts(b'<?xml version="1.0" encoding="UF-8"?><alert/>')
    ring = [[{"lon": 10.7}, {"lat": 59.9}, [10.8, 60.0], [10.7, 59.9]]]
    feature = {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": ring}}
    batch = parse_alerts(json.dumps(feature | {"properties": alert_json()}).encode())
    assert batch.rejected[0].reason.startswith("geometry: positions must be")
    odd = indicator(id=["not", "a", "string"], external_references={"url": 1}, type="indicator")
    batch = parse_alerts(bundle(odd, {"type": {"a": 1}, "id": "x--1"}))
    assert batch.rejected[0].reason.startswith("identifier")


@pytest.mark.parametrize(
    ("data", "content_type", "expected"),
    [
        (fixture("cap_weapon_alert.xml"), None, "cap"),
        (fixture("atom_cap_feed.xml"), "application/xml", "atom-cap"),
        (fixture("rss_cap_feed.xml"), None, "rss-cap"),
        (fixture("geojson_alerts.geojson"), None, "geojson"),
        (fixture("stix_bundle.json"), "application/json", "stix"),
        (b'\xef\xbb\xbf  {"api_version": "1", "items": []}', None, "toolapi-page"),
        (json.dumps(alert_json()).encode(), None, "toolapi-alert"),
        (b"[]", None, "toolapi-list"),
        (b"anything", "application/cap+xml; charset=utf-8", "cap"),
        (b"", "application/geo+json", "geojson"),
    ],
)
def test_detect_format(data: bytes, content_type: str | None, expected: str) -> None:
    assert detect_format(data, content_type) == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"colour": "red", "size": 3}', "keys [colour, size]"),
        (
            b'<html xmlns="http://www.w3.org/1999/xhtml"/>',
            "root <{http://www.w3.org/1999/xhtml}html>",
        ),
        (b"<alert/>", "root <alert>"),
        (b"42", "JSON int"),
        (b"[1, 2]", "not all objects"),
        (b"", "malformed JSON"),
    ],
)
def test_detect_format_names_what_it_saw(data: bytes, message: str) -> None:
    with pytest.raises(AdapterError, match=re.escape(message)):
        detect_format(data)


# --- importer ----------------------------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[RecordStore]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'import.db'}")
    upgrade_schema(engine)
    yield RecordStore(engine)
    engine.dispose()


@pytest.fixture
def ingest(store: RecordStore) -> Ingest:
    return Ingest(store, Hub())


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_import_stores_good_files_and_nothing_of_a_file_with_a_rejection(
    tmp_path: Path, store: RecordStore, ingest: Ingest
) -> None:
    published: list[Alert] = []

    def on_alerts(batch: Sequence[Alert]) -> None:
        published.extend(batch)

    ingest.hub.subscribe(Alert, on_alerts)
    mixed = [alert_json(identifier="GOOD-1"), alert_json(identifier="BAD-1", sent="noon")]
    paths = [
        DATA / "cap_weapon_alert.xml",
        write(tmp_path, "mixed.json", json.dumps(mixed).encode()),
        DATA / "atom_cap_feed.xml",
    ]
    cap_result, mixed_result, feed_result = import_files(
        paths, ingest.accept, default_terminology()
    )
    assert (cap_result.accepted, cap_result.ok, cap_result.format) == (1, True, "cap")
    assert mixed_result == FileResult(paths[1], rejected=(mixed_result.rejected[0],))
    assert mixed_result.rejected[0].startswith("item 2 (BAD-1): sent")
    assert not mixed_result.ok
    assert feed_result.accepted == 2
    assert len(feed_result.skipped) == 1
    assert store.count(Alert) == 3
    assert store.get(Alert, "import:GOOD-1") is None
    stored = store.get(Alert, "import:BLADEWATCH-2024-0517-0042")
    assert stored.source_tool == "import"
    assert stored.references == ("import:BLADEWATCH-2024-0517-0041",)
    assert stored.area.polygon[0] == GeoPoint(lat=59.9120, lon=10.7330)
    assert {a.identifier for a in published} == {
        "import:BLADEWATCH-2024-0517-0042",
        "import:HCFD-2024-311",
        "import:HCPD-CROWD-77",
    }


def test_import_reports_unreadable_malformed_hostile_and_oversize_files(
    tmp_path: Path, store: RecordStore, ingest: Ingest
) -> None:
    paths = [
        tmp_path / "missing.xml",
        write(tmp_path, "broken.json", b'{"a": '),
        write(tmp_path, "xxe.xml", XXE),
        write(tmp_path, "big.json", b"[" + b" " * 2048 + b"]"),
    ]
    results = import_files(paths, ingest.accept, default_terminology(), max_bytes=1024)
    errors = [r.error for r in results]
    assert errors[0].startswith("cannot read the file")
    assert errors[1].startswith("malformed JSON at line 1")
    assert "DTD" in errors[2]
    assert "larger than the limit" in errors[3]
    assert all(r.accepted == 0 for r in results)
    assert store.count(Alert) == 0


def test_import_with_a_mapping_and_a_failing_store(tmp_path: Path, store: RecordStore) -> None:
    def broken_store(records: Sequence[Alert]) -> int:
        raise StorageError("the disk holding the database is full")

    path = DATA / "vendor_events.json"
    terms = default_terminology()
    (failed,) = import_files([path], broken_store, terms, "acme", mapping=VENDOR_MAPPING)
    assert (failed.accepted, failed.error) == (0, "the disk holding the database is full")
    ingest = Ingest(store, Hub())
    (done,) = import_files([path], ingest.accept, terms, "acme", mapping=VENDOR_MAPPING)
    assert done.accepted == 2
    assert store.get(Alert, "acme:40211").event_type == "firearm"


def test_rejection_text_locates_the_item() -> None:
    assert str(Rejection(None, None, "bad")) == "document: bad"
    assert str(Rejection(0, "X-1", "sent: wrong")) == "item 1 (X-1): sent: wrong"
