"""The map's Qt-free core: objects, the batching feed, the page, what is served, zones."""

from __future__ import annotations

import json
import re
import threading
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from app.hub import Hub
from app.ingest import Ingest
from app.map.config import MapConfigError, map_config
from app.map.feed import FeedLimits, MapFeed
from app.map.objects import is_shown, to_map_object
from app.map.served import MapResources, NotServedError
from app.map.zones import (
    DeleteZone,
    SaveZone,
    SiteService,
    SiteSnapshot,
    ZoneRefused,
    ZoneRemoved,
    polygon_from_geojson,
)
from app.model import AlertState, Camera, GeoPoint, Status, Track, Zone, utc_now
from app.storage import RecordStore
from app.terminology import default_terminology
from tests.factories import alert

TERMS = default_terminology()
STAGE = GeoPoint(59.9121, 10.7330)
RING = (
    GeoPoint(59.91, 10.73),
    GeoPoint(59.91, 10.74),
    GeoPoint(59.92, 10.74),
    GeoPoint(59.91, 10.73),
)


def track(identifier: str, seconds: float = 0.0, **changes) -> Track:
    values = dict(
        identifier=identifier,
        source_id="radar",
        time=utc_now() + timedelta(seconds=seconds),
        point=STAGE,
    )
    return Track(**(values | changes))


def test_an_alert_becomes_a_symbol_with_its_priority_colour_and_translated_names():
    shown = to_map_object(alert("a-1", point=STAGE), TERMS)
    assert shown["k"] == "alert" and shown["id"] == "a-1"
    assert shown["sidc"][2] == "1"  # the factory's alert is an exercise: context 1
    assert shown["colour"] == TERMS.priority(alert().priority).colour
    assert shown["label"] == "Knife detected near the stage"
    assert shown["ex"] is True


def test_closed_or_unlocated_alerts_are_not_on_the_map():
    assert is_shown(alert(point=STAGE))
    assert not is_shown(alert(point=None, area=None))
    assert not is_shown(alert(point=STAGE, state=AlertState.RESOLVED))


def test_tracks_take_identity_and_dimension_from_their_cursor_on_target_type():
    assert TERMS.track_sidc("a-h-G", Status.ACTUAL)[3:6] == "610"
    assert TERMS.track_sidc("a-f-A", Status.ACTUAL)[3:6] == "301"
    assert TERMS.track_sidc("nonsense", Status.EXERCISE)[2:6] == "1110"


def test_the_feed_sends_only_the_latest_state_of_each_object_per_tick():
    feed = MapFeed(TERMS)
    feed.add([track("t-1")])
    for step in range(1, 100):
        feed.add([track("t-1", step, point=GeoPoint(59.9 + step / 1000, 10.7))])
    batch = feed.drain()
    assert batch is not None and len(batch.upsert) == 1
    assert batch.upsert[0]["lat"] == pytest.approx(59.999)
    assert feed.drain() is None


def test_one_object_can_be_sent_again_without_resending_the_rest():
    feed = MapFeed(TERMS)
    feed.add([track("t-1"), track("t-2"), alert("a-1", point=STAGE)])
    feed.drain()
    feed.resend(("track", "t-2"))
    feed.resend(("zone", "gone"))  # nothing shown under that key: nothing sent
    batch = feed.drain()
    assert batch is not None and [o["id"] for o in batch.upsert] == ["t-2"]


def test_closing_an_alert_removes_its_marker():
    feed = MapFeed(TERMS)
    feed.add([alert("a-1", point=STAGE)])
    feed.drain()
    feed.add([alert("a-1", point=STAGE, state=AlertState.DISMISSED)])
    batch = feed.drain()
    assert batch is not None and batch.remove == [("alert", "a-1")] and not batch.upsert


def test_short_lived_kinds_are_capped_and_tracks_expire():
    from app.model import Detection

    feed = MapFeed(TERMS, FeedLimits(detections=3, track_stale=timedelta(minutes=1)))
    detections = [
        Detection(
            identifier=f"d-{i}",
            detector_id="yolo",
            source_id="cam-1",
            time=utc_now(),
            event_type="knife",
            label="knife",
            confidence=0.9,
            point=STAGE,
        )
        for i in range(5)
    ]
    feed.add(detections)
    assert feed.count("detection") == 3
    feed.add([track("t-old", -120), track("t-new")])
    feed.expire(utc_now())
    assert feed.get(("track", "t-old")) is None and feed.get(("track", "t-new")) is not None


def test_the_page_names_no_remote_address_and_escapes_its_configuration():
    resources = MapResources(map_config({}, demo=True))
    resources.texts = replace(resources.texts, strings={"Alerts": "</script><b>x</b>"})
    html = resources.resolve("page", "/index.html").body.decode()
    assert not re.findall(r"https?://", html)
    assert "</script><b>" not in html
    assert "app://lib/leaflet/dist/leaflet.js" in html


def test_served_files_stay_inside_their_folders():
    resources = MapResources(map_config({}, demo=True))
    assert resources.resolve("tiles", "/world/0/0/0").body.startswith(b"\x89PNG")
    assert resources.resolve("layers", "/demo-site").mime == "application/geo+json"
    for host, path, status in (
        ("lib", "/../../pyproject.toml", 400),
        ("lib", "/leaflet/package.json", 403),
        ("web", "/../terminology.json", 400),
        ("tiles", "/world/0/0", 400),
        ("tiles", "/world/0/5/5", 404),
        ("tiles", "/nowhere/0/0/0", 404),
        ("elsewhere", "/x", 404),
    ):
        with pytest.raises(NotServedError) as refused:
            resources.resolve(host, path)
        assert refused.value.status == status, (host, path)


def test_a_broken_operator_layer_is_reported_and_the_rest_still_served(tmp_path: Path):
    problems: list[str] = []
    broken = tmp_path / "venue.geojson"
    broken.write_text("{not json", encoding="utf-8")
    missing = tmp_path / "city.mbtiles"
    config = map_config(
        {
            "site_layers": [{"name": "Venue", "path": str(broken)}],
            "mbtiles": [{"name": "City", "path": str(missing)}],
        },
        demo=False,
    )
    resources = MapResources(config, on_problem=problems.append)
    page = resources.resolve("page", "/index.html").body.decode()
    assert "app://tiles/world/" in page and "City" not in page
    with pytest.raises(NotServedError):
        resources.resolve("layers", f"/{config.site_layers[0].id}")
    assert any("City" in p for p in problems) and any("venue.geojson" in p for p in problems)


def test_online_sources_must_be_http_and_are_only_used_when_configured():
    assert map_config({}, demo=False).online_hosts == frozenset()
    config = map_config(
        {
            "online": [
                {
                    "name": "WMS",
                    "kind": "wms",
                    "url": "https://wms.city.example/wms",
                    "layers": "base",
                }
            ]
        },
        False,
    )
    assert config.online_hosts == {"wms.city.example"}
    page = MapResources(config).resolve("page", "/index.html").body.decode()
    assert "https://wms.city.example/wms" in page and "L.tileLayer.wms" in page
    with pytest.raises(MapConfigError):
        map_config({"online": [{"url": "file:///etc/passwd"}]}, False)


def test_a_drawn_polygon_is_read_and_anything_else_refused():
    feature = {
        "type": "Feature",
        "geometry": {
            "type": "Polygon",
            "coordinates": [[[10.73, 59.91], [10.74, 59.91], [10.74, 59.92]]],
        },
    }
    ring = polygon_from_geojson(json.dumps(feature))
    assert len(ring) == 4 and ring[0] == ring[-1]
    for bad in (
        '{"type": "Point", "coordinates": [1, 2]}',
        "not json",
        '{"type": "Polygon", "coordinates": [[[1, 2]]]}',
        '{"type": "Polygon", "coordinates": [[[500, 2], [1, 2], [1, 3]]]}',
    ):
        with pytest.raises(ValueError):
            polygon_from_geojson(bad)


@pytest.fixture
def store(record_store: RecordStore) -> RecordStore:
    return record_store


class Collector:
    def __init__(self) -> None:
        self.seen: list[object] = []
        self.event = threading.Event()

    def __call__(self, batch) -> None:
        self.seen.extend(batch)
        self.event.set()

    def wait_for(self, kind: type) -> list:
        for _ in range(50):
            found = [m for m in self.seen if isinstance(m, kind)]
            if found:
                return found
            self.event.wait(0.1)
            self.event.clear()
        raise AssertionError(f"no {kind.__name__} published")


def test_zone_commands_store_publish_and_refuse(store: RecordStore):
    hub = Hub()
    collected = Collector()
    subscriptions = [
        hub.subscribe(kind, collected) for kind in (SiteSnapshot, Zone, ZoneRemoved, ZoneRefused)
    ]
    service = SiteService(store, Ingest(store, hub), hub)
    service.start()
    try:
        collected.wait_for(SiteSnapshot)
        zone = Zone(identifier="z-1", name="Stage", kind="crowd", polygon=RING)
        service.submit(SaveZone(zone, "op"))
        assert collected.wait_for(Zone) == [zone]
        service.submit(DeleteZone("z-1", "op"))
        assert collected.wait_for(ZoneRemoved) == [ZoneRemoved("z-1")]
        assert store.count(Zone) == 0
        service.submit(DeleteZone("z-1", "op"))
        assert "no longer" in collected.wait_for(ZoneRefused)[0].message
    finally:
        service.stop()
        for subscription in subscriptions:
            subscription.cancel()


def test_the_demo_site_seeds_cameras_and_never_undoes_an_operators_zone_edit(store: RecordStore):
    from app.map.config import demo_site_path

    hub = Hub()
    first = SiteService(store, Ingest(store, hub), hub, [demo_site_path()])
    first.start()
    first.stop()
    assert store.count(Camera) == 4 and store.count(Zone) >= 2
    edited = replace(store.all(Zone)[0], name="Edited by the operator")
    store.save([edited])
    collected = Collector()
    subscription = hub.subscribe(SiteSnapshot, collected)
    second = SiteService(store, Ingest(store, hub), hub, [demo_site_path()])
    second.start()
    try:
        snapshot = collected.wait_for(SiteSnapshot)[0]
    finally:
        second.stop()
        subscription.cancel()
    assert edited in snapshot.zones and len(snapshot.cameras) == 4


def test_an_operators_mbtiles_becomes_a_base_layer_with_its_own_tiles(tmp_path: Path):
    from tests.test_map_layers import make_mbtiles

    city = make_mbtiles(
        tmp_path / "city.mbtiles", {"name": "City", "attribution": "<a href='x'>City GIS</a>"}
    )
    config = map_config({"mbtiles": [{"name": "City", "path": str(city)}]}, demo=False)
    resources = MapResources(config)
    page = resources.resolve("page", "/index.html").body.decode()
    layer_id = config.basemaps[-1].id
    assert f"app://tiles/{layer_id}/{{z}}/{{x}}/{{y}}" in page
    assert "City GIS" in page and "<a href" not in page  # attribution shown as text
    served = resources.resolve("tiles", f"/{layer_id}/2/1/1")
    assert served.body == b"z2 col1 row2"  # XYZ row 1 is TMS row 2 at zoom 2
