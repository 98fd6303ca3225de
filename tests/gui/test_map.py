"""The map panel in a real QtWebEngine page (offscreen): assets, tiles, live objects, selection,
zones, hostile text, symbols and right-to-left controls."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest

from app.messages import Selection
from app.model import AlertState, GeoPoint, Track, Zone, utc_now
from tests.factories import alert
from widgets.application import Console
from widgets.qt_map import QtMapPanel
from widgets.qt_symbols import SymbolRenderer

PAGE_TIMEOUT_MS = 20_000
STAGE = GeoPoint(59.9121, 10.7330)


def js(qtbot, panel: QtMapPanel, script: str) -> Any:
    """Evaluates ``script`` in the page and returns its (JSON) value: the bridge only carries
    plain values, so arrays and objects come back through JSON."""
    box: list[Any] = []
    panel.run_js(f"JSON.stringify(eval({json.dumps(script)})) ?? 'null'", box.append)
    qtbot.waitUntil(lambda: bool(box), timeout=5000)
    return json.loads(box[0])


def js_until(qtbot, panel: QtMapPanel, script: str, timeout: int = 8000) -> None:
    def holds() -> bool:
        return bool(js(qtbot, panel, script))

    qtbot.waitUntil(holds, timeout=timeout)


@pytest.fixture
def live(make_console, qtbot) -> Console:
    console = make_console()
    console.window.resize(1400, 900)
    console.window.show()
    console.core.start()
    panel = map_panel(console)
    qtbot.waitUntil(lambda: panel.ready, timeout=PAGE_TIMEOUT_MS)
    return console


def map_panel(console: Console) -> QtMapPanel:
    panel = console.window.panels["map"]
    assert isinstance(panel, QtMapPanel)
    return panel


def located(identifier: str, **changes: Any):
    return alert(identifier, **({"point": STAGE, "sent": utc_now()} | changes))


def test_page_loads_leaflet_and_tiles_from_the_embedded_basemap(live, qtbot):
    panel = map_panel(live)
    assert js(qtbot, panel, "typeof L + ' ' + typeof ms + ' ' + typeof Watchfloor") == (
        "object object object"
    )
    js(qtbot, panel, "Watchfloor.state.map.setView([59.91, 10.73], 5, {animate: false}); 1")
    js_until(qtbot, panel, "document.querySelectorAll('img.leaflet-tile-loaded').length > 0")
    tiles = [url for url in panel.interceptor.requested if url.startswith("app://tiles/world/")]
    assert tiles, panel.interceptor.requested
    attribution = js(
        qtbot, panel, "document.querySelector('.leaflet-control-attribution').textContent"
    )
    assert "OpenStreetMap" in attribution


def test_nothing_on_the_page_points_at_the_internet(live, qtbot):
    panel = map_panel(live)
    html = panel.resources.resolve("page", "/index.html").body.decode()
    assert not re.findall(r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, re.IGNORECASE)
    live.core.ingest.accept([located("a-map")])
    js_until(qtbot, panel, "(Watchfloor.stats().objects.alert || 0) === 1")
    requested = list(panel.interceptor.requested)
    assert requested
    assert all(url.split(":", 1)[0] in ("app", "data", "blob") for url in requested), requested
    assert not panel.interceptor.refused
    # And the page cannot reach out even if a script tried.
    js(qtbot, panel, "fetch('https://tiles.example.org/0/0/0.png').catch(() => 0); 1")
    qtbot.waitUntil(lambda: len(panel.interceptor.refused) == 1, timeout=5000)


def test_markers_appear_for_stored_alerts_and_leave_when_closed(live, qtbot):
    panel = map_panel(live)
    live.core.ingest.accept([located("a-1"), located("a-2", point=GeoPoint(59.912, 10.735))])
    js_until(qtbot, panel, "(Watchfloor.stats().objects.alert || 0) === 2")
    resolved = located("a-1", state=AlertState.RESOLVED)
    panel.feed.add([resolved])  # as the alert service publishes a resolved alert
    js_until(qtbot, panel, "(Watchfloor.stats().objects.alert || 0) === 1")


def reopened_with(make_console, qtbot, records: list) -> QtMapPanel:
    """A console that stored ``records`` and closed, then a new one on the same store."""
    first = make_console()
    first.core.ingest.accept(records)
    first.window.close()
    first.shutdown()
    console = make_console()
    console.window.show()
    console.core.start()
    panel = map_panel(console)
    qtbot.waitUntil(lambda: panel.ready, timeout=PAGE_TIMEOUT_MS)
    return panel


def test_alerts_stored_before_the_map_opened_are_drawn(make_console, qtbot):
    panel = reopened_with(make_console, qtbot, [located("a-old")])
    js_until(qtbot, panel, "(Watchfloor.stats().objects.alert || 0) === 1")


def test_clicking_a_symbol_selects_the_alert_in_the_queue(live, qtbot):
    panel = map_panel(live)
    queue = live.window.panels["alerts"]
    live.core.ingest.accept([located("a-1"), located("a-2", point=GeoPoint(59.9105, 10.7360))])
    js_until(qtbot, panel, "(Watchfloor.stats().objects.alert || 0) === 2")
    js(qtbot, panel, "Watchfloor.state.map.setView([59.9121, 10.7330], 18, {animate: false}); 1")
    js_until(qtbot, panel, "document.querySelectorAll('img.wf-symbol').length === 2")
    qtbot.waitUntil(lambda: queue.model.rowCount() == 2, timeout=5000)
    assert queue.selected() is None
    # A click lands on whatever is drawn at the symbol's centre, as Chromium's hit test would
    # send it (synthetic Qt mouse events do not reach the page under pytest's offscreen app).
    click_what_is_drawn = (
        "(() => { const symbol = Watchfloor.state.objects.get('alert\\u0000a-1')"
        ".built.marker.getElement(); const r = symbol.getBoundingClientRect();"
        " const hit = document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2);"
        " if (hit !== symbol) return false;"
        " hit.dispatchEvent(new MouseEvent('click', {bubbles: true})); return true; })()"
    )
    js_until(qtbot, panel, click_what_is_drawn)
    qtbot.waitUntil(lambda: queue.selected() is not None, timeout=5000)
    assert queue.selected().identifier == "a-1"


def test_selecting_in_the_queue_flies_the_map_there(live, qtbot):
    panel = map_panel(live)
    far = GeoPoint(59.95, 10.80)
    live.core.ingest.accept([located("a-far", point=far)])
    js_until(qtbot, panel, "(Watchfloor.stats().objects.alert || 0) === 1")
    queue = live.window.panels["alerts"]
    qtbot.waitUntil(lambda: queue.model.rowCount() == 1, timeout=5000)
    assert queue.select_alert("a-far")
    js_until(qtbot, panel, "Watchfloor.state.selected === 'alert\\u0000a-far'")
    js_until(
        qtbot,
        panel,
        "Watchfloor.state.map.getCenter().distanceTo([59.95, 10.80]) < 50",
        timeout=10000,
    )


def test_hostile_headlines_never_run_and_show_literally(live, qtbot):
    panel = map_panel(live)
    image = '<img src=x onerror="window.pwned=1">'
    script = "<script>window.pwned2=1</script>"
    live.core.ingest.accept(
        [
            located("a-img", headline=image),
            located("a-script", headline=script, point=GeoPoint(59.913, 10.734)),
        ]
    )
    js_until(qtbot, panel, "(Watchfloor.stats().objects.alert || 0) === 2")
    js(qtbot, panel, "Watchfloor.state.map.setView([59.9125, 10.7335], 18, {animate: false}); 1")
    js_until(qtbot, panel, "document.querySelectorAll('img.wf-symbol').length === 2")
    js(qtbot, panel, "Watchfloor.state.groups.alert.getLayers().forEach(m => m.openTooltip()); 1")
    js_until(qtbot, panel, "document.querySelectorAll('.wf-tip-label').length === 2")
    labels = js(
        qtbot,
        panel,
        "[...document.querySelectorAll('.wf-tip-label')].map(e => e.textContent)",
    )
    assert image in labels and script in labels
    assert js(qtbot, panel, "typeof window.pwned + typeof window.pwned2") == "undefinedundefined"
    assert (
        js(qtbot, panel, "document.querySelectorAll('img[src=\"x\"], .leaflet-pane script').length")
        == 0
    )
    assert not any(url.endswith("/x") for url in panel.interceptor.requested)


def test_zones_drawn_on_the_map_are_stored_edited_and_deleted(live, qtbot):
    panel = map_panel(live)
    ring = [[10.730, 59.911], [10.732, 59.911], [10.732, 59.912], [10.730, 59.911]]
    drawn = leaflet_polygon(ring)
    js(qtbot, panel, f"Watchfloor.state.map.fire('pm:create', {{layer: {drawn}}}); 1")
    qtbot.waitUntil(lambda: live.core.store.count(Zone) == 1, timeout=5000)
    js_until(qtbot, panel, "(Watchfloor.stats().objects.zone || 0) === 1")
    zone = live.core.store.all(Zone)[0]
    assert zone.name == "Zone 1" and len(zone.polygon) == 4
    # The new zone opens in the editor, ready to be named and given its kind.
    editor = panel.zone_editor
    qtbot.waitUntil(editor.isVisible, timeout=5000)
    assert editor.name.text() == "Zone 1"
    editor.name.setText("Stage front")
    editor.kind.setCurrentIndex(editor.kind.findData("crowd"))
    editor.save.click()
    qtbot.waitUntil(lambda: live.core.store.all(Zone)[0].name == "Stage front", timeout=5000)
    assert live.core.store.all(Zone)[0].kind == "crowd"
    js_until(qtbot, panel, "[...Watchfloor.state.objects.values()][0].data.label === 'Stage front'")

    moved = "[[59.9105, 10.7295], [59.9105, 10.7325], [59.9125, 10.7325], [59.9125, 10.7295]]"
    js(
        qtbot,
        panel,
        "{ const z = Watchfloor.state.groups.zone.getLayers()[0];"
        f" z.setLatLngs({moved}); z.fire('pm:edit'); }} 1",
    )
    qtbot.waitUntil(lambda: len(live.core.store.all(Zone)[0].polygon) == 5, timeout=5000)
    assert live.core.store.all(Zone)[0].identifier == zone.identifier

    js(
        qtbot,
        panel,
        "{ const z = Watchfloor.state.groups.zone.getLayers()[0];"
        " Watchfloor.state.map.fire('pm:remove', {layer: z}); } 1",
    )
    qtbot.waitUntil(lambda: live.core.store.count(Zone) == 0, timeout=5000)
    js_until(qtbot, panel, "(Watchfloor.stats().objects.zone || 0) === 0")
    assert not editor.isVisible()


def leaflet_polygon(lon_lat_ring: list[list[float]]) -> str:
    lat_lon = [[lat, lon] for lon, lat in lon_lat_ring[:-1]]
    return f"L.polygon({json.dumps(lat_lon)})"


def test_a_drawn_shape_that_is_no_polygon_is_refused_with_a_reason(live, qtbot):
    panel = map_panel(live)
    panel.bridge.zoneDrawn('{"type": "Point", "coordinates": [10.7, 59.9]}')
    assert panel.problem.isVisible()
    assert "polygon" in panel.problem.text()
    assert live.core.store.count(Zone) == 0


def test_zones_persist_across_restarts(make_console, qtbot, tmp_path):
    ring = tuple(
        GeoPoint(*p) for p in ((59.91, 10.73), (59.91, 10.74), (59.92, 10.74), (59.91, 10.73))
    )
    zone = Zone(identifier="z-1", name="Stage", kind="crowd", polygon=ring)
    panel = reopened_with(make_console, qtbot, [zone])
    js_until(qtbot, panel, "(Watchfloor.stats().objects.zone || 0) === 1")
    label = js(qtbot, panel, "[...Watchfloor.state.objects.values()][0].data.label")
    assert label == "Stage"


def test_a_selected_track_can_be_followed(live, qtbot):
    panel = map_panel(live)
    now = utc_now()
    track = Track(identifier="t-1", source_id="radar", time=now, point=STAGE, callsign="Patrol 1")
    live.core.ingest.accept([track])
    js_until(qtbot, panel, "(Watchfloor.stats().objects.track || 0) === 1")
    live.core.hub.publish(Selection("track", "t-1", origin="test"))
    js_until(qtbot, panel, "Watchfloor.state.selected === 'track\\u0000t-1'")
    js(qtbot, panel, "Watchfloor.follow(true); 1")
    moved = replace(track, time=now + timedelta(seconds=1), point=GeoPoint(59.93, 10.76))
    live.core.ingest.accept([moved])
    js_until(qtbot, panel, "Watchfloor.state.map.getCenter().distanceTo([59.93, 10.76]) < 5")


def test_distance_measuring(live, qtbot):
    panel = map_panel(live)
    js(qtbot, panel, "Watchfloor.measure(true); 1")
    js(
        qtbot,
        panel,
        "{ const m = Watchfloor.state.map; m.fire('click', {latlng: L.latLng(59.91, 10.73)});"
        " m.fire('click', {latlng: L.latLng(59.92, 10.73)}); } 1",
    )
    metres = js(qtbot, panel, "Watchfloor.measuredMetres()")
    assert 1100 < metres < 1125  # 0.01 degree of latitude
    readout = js(qtbot, panel, "document.querySelector('.wf-measure-readout').textContent")
    assert readout.endswith("km")


def test_the_page_and_python_draw_the_same_symbol(live, qtbot):
    panel = map_panel(live)
    renderer = SymbolRenderer()
    for sidc, outline in (("10051500001100000000", "#c62828"), ("10031500002201000000", "")):
        in_page = js(
            qtbot, panel, f"Watchfloor.symbolSvg('{sidc}', 30, {json.dumps(outline or None)})"
        )
        assert in_page == renderer.svg(sidc, 30, outline)
        assert in_page.startswith("<svg")


def test_arabic_mirrors_the_map_controls(live, qtbot):
    panel = map_panel(live)
    assert js(
        qtbot, panel, "!!document.querySelector('.leaflet-top.leaflet-left .leaflet-control-zoom')"
    )
    live.languages.apply("ar")
    js_until(qtbot, panel, "document.documentElement.dir === 'rtl'")
    # Coordinates read left to right inside the Arabic page.
    assert js(qtbot, panel, "document.querySelector('.wf-coordinates').dir") == "ltr"
    assert js(
        qtbot, panel, "!!document.querySelector('.leaflet-top.leaflet-right .leaflet-control-zoom')"
    )
    names = js(
        qtbot,
        panel,
        "[...document.querySelectorAll('.leaflet-control-layers-overlays label span span')]"
        ".map(e => e.textContent.trim())",
    )
    arabic = [name for name in names if any("\u0600" <= c <= "\u06ff" for c in name)]
    assert len(arabic) >= 7, names  # every object layer is named in Arabic
