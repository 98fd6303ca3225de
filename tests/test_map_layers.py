"""Offline map data: MBTiles tiles and operator site layers (GeoJSON, KML), no display needed."""

from __future__ import annotations

import json
import math
import sqlite3
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from app.map.mbtiles import (
    MBTiles,
    MBTilesError,
    embedded_basemap_path,
    open_embedded_basemap,
)
from app.map.site_layers import SiteLayerError, load_site_layer, site_records
from app.model import Camera, Sensor, Zone
from tests.conftest import REPO

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
KML_NS = "http://www.opengis.net/kml/2.2"
DEMO_SITE = REPO / "resources" / "demo" / "site.geojson"
SCENARIO = REPO / "resources" / "demo" / "scenario.json"


# --- MBTiles -------------------------------------------------------------------------------


def make_mbtiles(path: Path, metadata: dict[str, str], zoom: int = 2) -> Path:
    """A tiny MBTiles file whose tile bytes name their own TMS address."""
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
        db.execute(
            "CREATE TABLE tiles (zoom_level integer, tile_column integer, "
            "tile_row integer, tile_data blob)"
        )
        db.executemany("INSERT INTO metadata VALUES (?, ?)", metadata.items())
        side = 2**zoom
        db.executemany(
            "INSERT INTO tiles VALUES (?, ?, ?, ?)",
            [
                (zoom, x, row, f"z{zoom} col{x} row{row}".encode())
                for x in range(side)
                for row in range(side)
                if (x, row) != (1, 1)
            ],
        )
    db.close()
    return path


@pytest.fixture
def tiles(tmp_path: Path):
    meta = {"name": "Test city", "format": "jpg", "attribution": "© Test survey"}
    reader = MBTiles.open(make_mbtiles(tmp_path / "city.mbtiles", meta))
    yield reader
    reader.close()


def test_tile_converts_xyz_to_tms_rows(tiles: MBTiles) -> None:
    assert tiles.tile(2, 0, 0) == b"z2 col0 row3"
    assert tiles.tile(2, 3, 3) == b"z2 col3 row0"
    assert tiles.tile(2, 2, 1) == b"z2 col2 row2"
    served = {tiles.tile(2, x, y) for x in range(4) for y in range(4)} - {None}
    assert len(served) == 15


def test_missing_or_out_of_range_tiles_are_none(tiles: MBTiles) -> None:
    assert tiles.tile(2, 1, 2) is None  # TMS row 1 was left out
    assert tiles.tile(2, 4, 0) is None
    assert tiles.tile(2, 0, -1) is None
    assert tiles.tile(-1, 0, 0) is None
    assert tiles.tile(5, 0, 0) is None


def test_metadata_and_derived_properties(tiles: MBTiles) -> None:
    assert tiles.metadata()["name"] == "Test city"
    assert (tiles.name, tiles.attribution) == ("Test city", "© Test survey")
    assert (tiles.format, tiles.mime) == ("jpg", "image/jpeg")
    assert (tiles.min_zoom, tiles.max_zoom) == (2, 2)  # no minzoom/maxzoom: from the tiles


def test_metadata_zooms_and_default_format(tmp_path: Path) -> None:
    path = make_mbtiles(tmp_path / "m.mbtiles", {"minzoom": "1", "maxzoom": "9"})
    reader = MBTiles.open(path)
    try:
        assert (reader.min_zoom, reader.max_zoom) == (1, 9)
        assert (reader.format, reader.mime, reader.attribution) == ("png", "image/png", "")
        assert reader.name == "m"
    finally:
        reader.close()


def test_file_is_opened_read_only(tiles: MBTiles) -> None:
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        tiles._db.execute("DELETE FROM tiles")


def test_tiles_can_be_served_from_worker_threads(tiles: MBTiles) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda i: tiles.tile(2, i % 4, 0), range(40)))
    assert results[:4] == [f"z2 col{x} row3".encode() for x in range(4)]


def test_unusable_files_raise_readable_errors(tmp_path: Path) -> None:
    with pytest.raises(MBTilesError, match="not found"):
        MBTiles.open(tmp_path / "absent.mbtiles")
    other = tmp_path / "other.mbtiles"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE metadata (name text, value text)")
    db.close()
    with pytest.raises(MBTilesError, match=r"not an MBTiles file: table\(s\) tiles missing"):
        MBTiles.open(other)
    text = tmp_path / "notes.mbtiles"
    text.write_text("these are not tiles\n" * 50, encoding="utf-8")
    with pytest.raises(MBTilesError, match="not a readable SQLite/MBTiles file"):
        MBTiles.open(text)


def test_embedded_basemap_serves_openstreetmap_png() -> None:
    path = embedded_basemap_path()
    assert path is not None and path.name == "basemap.db"
    basemap = open_embedded_basemap()
    assert basemap is not None
    try:
        tile = basemap.tile(0, 0, 0)
        assert tile is not None and tile.startswith(PNG_SIGNATURE)
        assert (basemap.min_zoom, basemap.max_zoom, basemap.mime) == (0, 6, "image/png")
        assert basemap.tile(6, 33, 18) is not None  # zoom 6 tile over southern Norway
        assert "OpenStreetMap" in basemap.attribution
    finally:
        basemap.close()


def test_finding_the_basemap_does_not_import_datasette() -> None:
    code = (
        "import sys; from app.map.mbtiles import embedded_basemap_path; "
        "assert embedded_basemap_path() is not None; "
        "assert not any(m.startswith('datasette') for m in sys.modules), 'imported'"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


# --- GeoJSON -------------------------------------------------------------------------------


def write_json(tmp_path: Path, doc: object, name: str = "layer.geojson") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def feature(geometry: dict | None, **properties: object) -> dict:
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def point(lon: float, lat: float) -> dict:
    return {"type": "Point", "coordinates": [lon, lat]}


SQUARE = [[10.73, 59.91], [10.74, 59.91], [10.74, 59.92], [10.73, 59.92], [10.73, 59.91]]


def test_geojson_collection_is_checked_and_normalised(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    doc = {
        "type": "FeatureCollection",
        "features": [
            feature(point(10.733, 59.912), name="Stage"),
            feature({"type": "Polygon", "coordinates": [SQUARE[:4]]}, name="Square"),
            feature({"type": "LineString", "coordinates": SQUARE[:2]}, name="Fence"),
            feature(None, name="Nowhere"),
            {"type": "Feature", "geometry": point(10.7, 59.9)},
        ],
    }
    features = load_site_layer(write_json(tmp_path, doc))["features"]
    assert [f["properties"].get("name") for f in features] == ["Stage", "Square", "Fence", None]
    assert [f["properties"].get("kind") for f in features] == ["place", "venue", None, "place"]
    assert features[1]["geometry"]["coordinates"][0] == SQUARE  # ring closed
    assert "has no geometry" in caplog.text


@pytest.mark.parametrize(
    "doc",
    [
        point(10.7, 59.9),
        feature(point(10.7, 59.9), kind="camera"),
        {"type": "GeometryCollection", "geometries": [point(10.7, 59.9)]},
    ],
)
def test_single_features_and_bare_geometries_are_wrapped(tmp_path: Path, doc: dict) -> None:
    collection = load_site_layer(write_json(tmp_path, doc, "one.json"))
    assert collection["type"] == "FeatureCollection"
    assert len(collection["features"]) == 1
    assert isinstance(collection["features"][0]["properties"], dict)


@pytest.mark.parametrize(
    ("geometry", "message"),
    [
        (point(190.0, 59.9), "longitude 190.0 is outside"),
        (point(10.7, -91.0), "latitude -91.0 is outside"),
        ({"type": "LineString", "coordinates": [[10.7, 59.9], [10.7, 95.0]]}, "latitude"),
        ({"type": "Point", "coordinates": [True, 59.9]}, "not numeric"),
        ({"type": "Point", "coordinates": [10.7]}, "position must be"),
        ({"type": "Circle", "coordinates": [10.7, 59.9]}, "unsupported geometry type 'Circle'"),
        ({"type": "Polygon", "coordinates": [SQUARE[:2]]}, "at least 3 distinct"),
        ({"type": "Polygon", "coordinates": [10.7, 59.9]}, "not nested"),
    ],
)
def test_bad_geometry_is_rejected_with_the_file_name(
    tmp_path: Path, geometry: dict, message: str
) -> None:
    path = write_json(tmp_path, {"type": "FeatureCollection", "features": [feature(geometry)]})
    with pytest.raises(SiteLayerError, match=message) as caught:
        load_site_layer(path)
    assert str(path) in str(caught.value)


def test_non_finite_coordinates_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "nan.geojson"
    path.write_text('{"type": "Point", "coordinates": [NaN, 59.9]}', encoding="utf-8")
    with pytest.raises(SiteLayerError, match="not finite"):
        load_site_layer(path)


def test_unreadable_inputs_raise_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SiteLayerError, match="file not found"):
        load_site_layer(tmp_path / "absent.geojson")
    with pytest.raises(SiteLayerError, match=r"unsupported file type '\.shp'"):
        load_site_layer(write_json(tmp_path, {}, "layer.shp"))
    broken = tmp_path / "broken.geojson"
    broken.write_text("{not json", encoding="utf-8")
    with pytest.raises(SiteLayerError, match="not a JSON file"):
        load_site_layer(broken)
    with pytest.raises(SiteLayerError, match="not GeoJSON"):
        load_site_layer(write_json(tmp_path, {"cameras": []}))
    with pytest.raises(SiteLayerError, match="feature 2 is not a GeoJSON Feature"):
        load_site_layer(
            write_json(
                tmp_path, {"type": "FeatureCollection", "features": [feature(point(1, 2)), [1, 2]]}
            )
        )


def test_colours_and_numbers_are_sanitised(tmp_path: Path) -> None:
    props = {
        "kind": "camera",
        "stroke": "#A1b2C3",
        "fill": "#123456;background:url(https://evil.example/x)",
        "heading_deg": "45",
        "fov_deg": "wide",
        "range_m": float("inf"),
        "warning": True,
    }
    doc = feature(point(10.7, 59.9), **props)
    path = tmp_path / "c.geojson"
    path.write_text(json.dumps(doc).replace("Infinity", "1e999"), encoding="utf-8")
    got = load_site_layer(path)["features"][0]["properties"]
    assert got == {"kind": "camera", "stroke": "#A1b2C3", "heading_deg": 45.0}
    for colour in ("red", "#fff", "rgb(1,2,3)", "#12345g"):
        doc = feature(point(10.7, 59.9), fill=colour)
        fill = load_site_layer(write_json(tmp_path, doc))["features"][0]["properties"]
        assert "fill" not in fill


def test_unknown_kind_falls_back_to_the_geometry_default(tmp_path: Path) -> None:
    doc = feature({"type": "MultiPolygon", "coordinates": [[SQUARE]]}, kind="<b>x</b>")
    assert load_site_layer(write_json(tmp_path, doc))["features"][0]["properties"] == {
        "kind": "venue"
    }


# --- KML -----------------------------------------------------------------------------------

KML_BODY = """
<Document><name>Festival</name>
 <Folder><name>Outer</name>
  <Placemark>
   <name>&lt;img src=x onerror=alert(1)&gt; Stage</name>
   <description><![CDATA[<b>Main</b> stage]]></description>
   <ExtendedData>
    <Data name="kind"><value>camera</value></Data>
    <Data name="heading_deg"><value>90</value></Data>
    <Data name="fill"><value>javascript:alert(1)</value></Data>
   </ExtendedData>
   <Point><coordinates> 10.733,59.9121,4 </coordinates></Point>
  </Placemark>
  <Folder><name>Inner</name>
   <Placemark><name>Square</name>
    <Polygon>
     <outerBoundaryIs><LinearRing><coordinates>
       10.73,59.91 10.74,59.91 10.74,59.92 10.73,59.92 10.73,59.91
     </coordinates></LinearRing></outerBoundaryIs>
     <innerBoundaryIs><LinearRing><coordinates>
       10.734,59.914 10.736,59.914 10.736,59.916 10.734,59.914
     </coordinates></LinearRing></innerBoundaryIs>
    </Polygon>
   </Placemark>
   <Placemark><name>Gates</name>
    <MultiGeometry>
     <Point><coordinates>10.7347,59.9114</coordinates></Point>
     <LineString><coordinates>10.73,59.91
       10.74,59.91</coordinates></LineString>
    </MultiGeometry>
   </Placemark>
   <Placemark><name>No geometry</name></Placemark>
  </Folder>
 </Folder>
</Document>
"""


def write_kml(tmp_path: Path, body: str, namespace: str | None = KML_NS) -> Path:
    attribute = f' xmlns="{namespace}"' if namespace else ""
    path = tmp_path / "site.kml"
    text = f'<?xml version="1.0" encoding="UTF-8"?>\n<kml{attribute}>{body}</kml>'
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("namespace", [KML_NS, None])
def test_kml_placemarks_at_any_depth(tmp_path: Path, namespace: str | None) -> None:
    features = load_site_layer(write_kml(tmp_path, KML_BODY, namespace))["features"]
    stage, square, gates = features
    assert stage["properties"] == {
        "name": "<img src=x onerror=alert(1)> Stage",
        "description": "<b>Main</b> stage",
        "kind": "camera",
        "heading_deg": 90.0,
    }
    assert stage["geometry"] == {"type": "Point", "coordinates": [10.733, 59.9121, 4.0]}
    outer, hole = square["geometry"]["coordinates"]
    assert (len(outer), len(hole), square["properties"]["kind"]) == (5, 4, "venue")
    assert hole[0] == [10.734, 59.914]
    assert gates["geometry"]["type"] == "GeometryCollection"
    kinds = [g["type"] for g in gates["geometry"]["geometries"]]
    assert kinds == ["Point", "LineString"]


def test_kml_schema_data_becomes_properties(tmp_path: Path) -> None:
    body = """<Placemark><name>North</name><ExtendedData><SchemaData schemaUrl="#s">
      <SimpleData name="kind">sensor</SimpleData><SimpleData name="unit">cm</SimpleData>
      </SchemaData></ExtendedData><Point><coordinates>10.7,59.9</coordinates></Point>
      </Placemark>"""
    props = load_site_layer(write_kml(tmp_path, body))["features"][0]["properties"]
    assert props == {"name": "North", "kind": "sensor", "unit": "cm"}


@pytest.mark.timeout(20)
def test_kml_entity_expansion_bomb_is_refused(tmp_path: Path) -> None:
    entities = ['<!ENTITY e0 "lol">'] + [
        f'<!ENTITY e{i} "{("&e" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    text = (
        '<?xml version="1.0"?>\n<!DOCTYPE kml [' + "".join(entities) + "]>\n"
        f'<kml xmlns="{KML_NS}"><Placemark><name>&e9;</name>'
        "<Point><coordinates>10.7,59.9</coordinates></Point></Placemark></kml>"
    )
    path = tmp_path / "bomb.kml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SiteLayerError, match="refused for safety"):
        load_site_layer(path)


def test_kml_external_entity_is_refused(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("password", encoding="utf-8")
    text = (
        f'<?xml version="1.0"?>\n<!DOCTYPE kml [<!ENTITY x SYSTEM "{secret.as_uri()}">]>\n'
        "<kml><Placemark><name>&x;</name><Point><coordinates>1,2</coordinates></Point>"
        "</Placemark></kml>"
    )
    path = tmp_path / "xxe.kml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SiteLayerError, match="refused for safety"):
        load_site_layer(path)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("<Placemark><name>Open", "not well-formed"),
        ("<Placemark><Point><coordinates>200,59.9</coordinates></Point></Placemark>", "longitude"),
        ("<Placemark><Point><coordinates>10.7;59.9</coordinates></Point></Placemark>", "lon,lat"),
        ("<Placemark><Point><coordinates> </coordinates></Point></Placemark>", "missing"),
        ("<Placemark><Model><Link/></Model></Placemark>", "unsupported KML geometry 'Model'"),
    ],
)
def test_bad_kml_is_rejected(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(SiteLayerError, match=message):
        load_site_layer(write_kml(tmp_path, body))


def test_xml_that_is_not_kml_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "feed.kml"
    path.write_text("<rss><channel/></rss>", encoding="utf-8")
    with pytest.raises(SiteLayerError, match="not a KML document"):
        load_site_layer(path)


# --- records and the demo site -------------------------------------------------------------


def test_site_records_require_identifiers(caplog: pytest.LogCaptureFixture) -> None:
    collection = {
        "type": "FeatureCollection",
        "features": [
            feature(point(10.7, 59.9), kind="camera", name="No id"),
            feature(point(10.7, 59.9), kind="sensor", identifier="s1", name="N", quantity="q"),
            feature({"type": "Polygon", "coordinates": [SQUARE]}, kind="zone", identifier="z"),
            feature(point(10.7, 59.9), kind="zone", identifier="z-point"),
            feature(point(10.7, 59.9), kind="place", identifier="p"),
        ],
    }
    sensor, zone = site_records(collection)
    assert sensor == Sensor(
        identifier="s1", name="N", station="N", quantity="q", unit="", point=sensor.point
    )
    assert (zone.identifier, zone.name, zone.kind, len(zone.polygon)) == ("z", "z", "restricted", 5)
    assert "needs an identifier" in caplog.text


@pytest.fixture(scope="module")
def demo_site() -> dict:
    return load_site_layer(DEMO_SITE)


def test_demo_site_features_are_named_and_kinded(demo_site: dict) -> None:
    kinds = [f["properties"]["kind"] for f in demo_site["features"]]
    assert all(f["properties"].get("name") for f in demo_site["features"])
    assert set(kinds) == {"venue", "zone", "camera", "sensor", "place"}
    assert 3 <= kinds.count("place") <= 5


def test_demo_site_records_match_the_scenario(demo_site: dict) -> None:
    records = site_records(demo_site)
    cameras = [r for r in records if isinstance(r, Camera)]
    sensors = {r.identifier: r for r in records if isinstance(r, Sensor)}
    zones = [r for r in records if isinstance(r, Zone)]
    assert sorted(c.identifier for c in cameras) == ["cam-1", "cam-2", "cam-3", "cam-4"]
    assert all(c.point and c.heading_deg is not None and 50 <= c.fov_deg <= 90 for c in cameras)
    series = json.loads(SCENARIO.read_text(encoding="utf-8"))["series"]
    assert {s["sensor_id"]: (s["quantity"], s["unit"]) for s in series} == {
        k: (s.quantity, s.unit) for k, s in sensors.items()
    }
    assert {z.kind for z in zones} <= {"restricted", "crowd", "vip"} and 2 <= len(zones) <= 4


def _bearing_and_distance(frm: tuple[float, float], to: tuple[float, float]) -> tuple[float, float]:
    """Flat-earth bearing (degrees from north) and distance (m): fine over a city square."""
    north = (to[0] - frm[0]) * 111_195.0
    east = (to[1] - frm[1]) * 111_195.0 * math.cos(math.radians(frm[0]))
    return math.degrees(math.atan2(east, north)) % 360, math.hypot(north, east)


def test_demo_cameras_see_the_scenario_detections(demo_site: dict) -> None:
    cameras = {
        f["properties"]["identifier"]: f
        for f in demo_site["features"]
        if f["properties"]["kind"] == "camera"
    }
    injects = json.loads(SCENARIO.read_text(encoding="utf-8"))["injects"]
    detections = [i["data"] for i in injects if i["kind"] == "detection"]
    assert {d["source_id"] for d in detections} == {"cam-2", "cam-3"}
    for detection in detections:
        camera = cameras[detection["source_id"]]
        lon, lat = camera["geometry"]["coordinates"][:2]
        bearing, distance = _bearing_and_distance((lat, lon), tuple(detection["point"]))
        props = camera["properties"]
        off_axis = abs((bearing - props["heading_deg"] + 180) % 360 - 180)
        assert distance <= props["range_m"] and off_axis <= props["fov_deg"] / 2
