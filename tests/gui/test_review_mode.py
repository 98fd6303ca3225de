"""Review mode in a real console: the banner, the alert queue, the map and the video tiles
follow ``ReviewState`` (published on the core hub, as the review service does) and go back to
live on ``ReviewState(None)`` with nothing lost."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QInputDialog

from app.hub import Hub
from app.messages import ReviewCursor, Selection
from app.model import (
    Alert,
    AlertState,
    Detection,
    GeoPoint,
    Post,
    Priority,
    Sensor,
    Track,
    utc_now,
)
from app.terminology import default_terminology
from app.timeline.messages import ReviewState
from detectors.video.cv import cv2
from tests.factories import alert
from tests.gui.test_map import PAGE_TIMEOUT_MS, js, js_until, map_panel
from tests.gui.test_video import FakeVideo, cameras
from widgets.application import Console
from widgets.facade import PanelContext
from widgets.qt_alert_model import COLUMN
from widgets.qt_video import QtVideoPanel

STAGE = GeoPoint(59.9121, 10.7330)


class Probe:
    """Collects what is published on a hub (held strongly by the test)."""

    def __init__(self) -> None:
        self.seen: list[object] = []

    def on(self, batch) -> None:
        self.seen.extend(batch)


@pytest.fixture
def queue(console: Console):
    console.core.start()  # no sources configured: the alert service (and core services) only
    panel = console.window.panels["alerts"]
    panel.table.setFocus()
    return console, panel


def ingest(console: Console, *alerts: Alert) -> None:
    console.core.ingest.accept(list(alerts))


def rows(panel) -> list[str]:
    model = panel.model
    return [model.alert_at(r).identifier for r in range(model.rowCount())]


def cell(panel, identifier: str, column: str) -> str:
    row = panel.model.row_of(identifier)
    return "" if row is None else panel.model.index(row, COLUMN[column]).data()


def near(n: int, **changes) -> Alert:
    """An alert of its own place (no deduplication with the others), sent recently."""
    values = {"point": GeoPoint(59.90 + n * 0.01, 10.70), "sent": utc_now() - timedelta(minutes=n)}
    return alert(f"a-{n}", **(values | changes))


def review(console: Console, moment=None, **parts) -> None:
    console.core.hub.publish(ReviewState(moment, **parts))


# --- banner -------------------------------------------------------------------------------


def test_the_banner_shows_the_reviewed_moment_and_back_to_live_asks_for_live(console, qtbot):
    banner = console.window.review_banner
    assert not banner.isVisible()
    probe = Probe()
    console.core.hub.subscribe(ReviewCursor, probe.on)
    moment = utc_now() - timedelta(hours=3)
    review(console, moment)
    qtbot.waitUntil(banner.isVisible)
    text = banner.label.text()
    assert text.startswith("REVIEW — showing the console as it was at ")
    assert str(moment.astimezone().year) in text
    qtbot.mouseClick(banner.live_button, Qt.MouseButton.LeftButton)
    assert ReviewCursor(None) in probe.seen
    review(console, None)  # the review service's answer
    qtbot.waitUntil(lambda: not banner.isVisible())


def test_a_saved_window_layout_never_brings_the_banner_back_over_live(console, qtbot):
    banner = console.window.review_banner
    review(console, utc_now())
    qtbot.waitUntil(banner.isVisible)
    state = console.window.saveState()  # saved while reviewing
    review(console, None)
    qtbot.waitUntil(lambda: not banner.isVisible())
    assert console.window.restoreState(state)
    assert not banner.isVisible()


def test_the_banner_reads_right_to_left_in_arabic(make_console, qtbot):
    console = make_console(language="ar")
    console.window.resize(1400, 900)
    console.window.show()
    banner = console.window.review_banner
    review(console, utc_now())
    qtbot.waitUntil(banner.isVisible)
    assert banner.layoutDirection() == Qt.LayoutDirection.RightToLeft
    button = banner.live_button.mapTo(console.window, QPoint(0, 0)).x()
    label = banner.label.mapTo(console.window, QPoint(0, 0)).x()
    assert button < label, "the way back ends the line: on the left in Arabic"
    assert banner.live_button.text() not in ("", "Back to live"), "said in Arabic"
    assert "\u2068" in banner.label.text(), "the moment keeps its own direction"


# --- alert queue --------------------------------------------------------------------------


def test_the_queue_shows_alerts_as_they_stood_and_refuses_triage(queue, qtbot, monkeypatch):
    console, panel = queue
    ingest(console, near(1), near(2, priority=Priority.P2))
    qtbot.waitUntil(lambda: rows(panel) == ["a-1", "a-2"])
    assert panel.select_alert("a-2")
    moment = utc_now() - timedelta(minutes=30)
    then = (
        near(1, state=AlertState.ACKNOWLEDGED),  # acknowledged then, new now
        near(9, headline="Closed since"),  # open then, gone from the live queue
    )
    review(console, moment, alerts=then)
    qtbot.waitUntil(lambda: rows(panel) == ["a-1", "a-9"])
    assert cell(panel, "a-1", "state") == "Acknowledged"
    assert panel.review.strip.isVisible() and "Read-only" in panel.review.strip.text()
    assert panel.details.alert is None, "a-2 did not exist then: nothing is selected"
    assert not panel.details.checklist.isEnabled()
    assert "Review mode" in panel.table.toolTip()

    sent: list[object] = []
    panel.context = dataclasses.replace(panel.context, commands=sent.append)
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: pytest.fail("asked in review"))
    assert panel.select_alert("a-1")
    assert panel.details.alert.state is AlertState.ACKNOWLEDGED, "the past version is shown"
    for key in (Qt.Key.Key_A, Qt.Key.Key_S, Qt.Key.Key_R, Qt.Key.Key_E, Qt.Key.Key_D):
        panel.notice.clear()
        qtbot.keyClick(panel.table, key)
        assert panel.notice.text().startswith("Review mode: alerts cannot be changed here.")
    assert sent == []
    assert console.core.store.get(Alert, "a-1").state is AlertState.NEW


def test_live_alerts_arriving_in_review_are_kept_and_live_comes_back_as_it_was(queue, qtbot):
    console, panel = queue
    ingest(console, near(1), near(2, priority=Priority.P2), near(3, priority=Priority.P3))
    qtbot.waitUntil(lambda: rows(panel) == ["a-1", "a-2", "a-3"])
    assert panel.select_alert("a-2")
    live_tip = panel.table.toolTip()
    review(console, utc_now() - timedelta(hours=1), alerts=(near(2, state=AlertState.IN_PROGRESS),))
    qtbot.waitUntil(lambda: rows(panel) == ["a-2"])
    assert panel.details.alert.state is AlertState.IN_PROGRESS, "the selection follows, as it was"
    ingest(console, near(4, priority=Priority.P4))  # live, while reviewing
    qtbot.waitUntil(lambda: panel.model.table.row_of("a-4") is not None)
    qtbot.waitUntil(lambda: "1 new alert has arrived" in panel.review.strip.text())
    assert rows(panel) == ["a-2"], "live alerts are held back from the reviewed queue"
    # Scrubbing on: a second moment replaces the first.
    review(console, utc_now() - timedelta(minutes=50), alerts=(near(2), near(3)))
    qtbot.waitUntil(lambda: rows(panel) == ["a-2", "a-3"])
    review(console, None)
    qtbot.waitUntil(lambda: rows(panel) == ["a-1", "a-2", "a-3", "a-4"])
    assert panel.details.alert.identifier == "a-2"
    assert panel.details.alert.state is AlertState.NEW, "the live version again"
    assert panel.selected().identifier == "a-2"
    assert not panel.review.strip.isVisible() and panel.details.checklist.isEnabled()
    assert panel.table.toolTip() == live_tip
    qtbot.keyClick(panel.table, Qt.Key.Key_A)  # live again: triage works
    qtbot.waitUntil(lambda: console.core.store.get(Alert, "a-2").state is AlertState.ACKNOWLEDGED)


def test_scrubbing_with_the_real_review_service_and_back_to_live(queue, qtbot):
    """End to end: ``ReviewCursor`` → the core's review service → ``ReviewState`` → panels."""
    console, panel = queue
    ingest(console, near(1))
    qtbot.waitUntil(lambda: rows(panel) == ["a-1"])
    before_ack = utc_now()  # a-1 is stored and still new
    assert panel.select_alert("a-1")
    qtbot.keyClick(panel.table, Qt.Key.Key_A)
    qtbot.waitUntil(lambda: cell(panel, "a-1", "state") == "Acknowledged")
    console.core.hub.publish(ReviewCursor(before_ack))  # as the timeline does when scrubbed
    banner = console.window.review_banner
    qtbot.waitUntil(banner.isVisible, timeout=5000)
    qtbot.waitUntil(lambda: cell(panel, "a-1", "state") == "New")
    assert panel.review.moment == before_ack
    qtbot.mouseClick(banner.live_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not banner.isVisible())
    qtbot.waitUntil(lambda: cell(panel, "a-1", "state") == "Acknowledged")
    assert panel.details.alert.state is AlertState.ACKNOWLEDGED


# --- map ----------------------------------------------------------------------------------


@pytest.fixture
def mapped(console: Console, qtbot):
    console.core.start()
    panel = map_panel(console)
    qtbot.waitUntil(lambda: panel.ready, timeout=PAGE_TIMEOUT_MS)
    return console, panel


def page_ids(qtbot, panel, kind: str) -> list[str]:
    script = (
        f"[...Watchfloor.state.objects.values()].filter(o => o.data.k === '{kind}')"
        ".map(o => o.data.id).sort()"
    )
    return js(qtbot, panel, script)


def page_has(qtbot, panel, expected: dict[str, list[str]]) -> None:
    qtbot.waitUntil(
        lambda: all(page_ids(qtbot, panel, k) == sorted(v) for k, v in expected.items()),
        timeout=8000,
    )


def moment_of_review() -> tuple:
    """A reviewed moment an hour ago and what the map had then."""
    moment = utc_now() - timedelta(hours=1)
    hostile = '<img src=x onerror="window.pwned=1"><script>window.pwned2=1</script>'
    alerts = (
        alert("a-then", point=STAGE, sent=moment, headline=hostile),
        alert("a-closed-then", point=GeoPoint(59.913, 10.74), state=AlertState.RESOLVED),
    )
    tracks = (
        Track(identifier="t-fresh", source_id="ais", time=moment, point=STAGE, callsign="P1"),
        Track(
            identifier="t-stale",
            source_id="ais",
            time=moment - timedelta(minutes=30),  # lost long before the moment
            point=STAGE,
        ),
    )
    detections = (
        Detection(
            identifier="d-then",
            detector_id="yolo",
            source_id="cam-1",
            time=moment,
            event_type="knife",
            label="knife",
            confidence=0.8,
            point=GeoPoint(59.911, 10.732),
        ),
    )
    posts = (
        Post(
            identifier="p-located",
            platform="x",
            author="u-1",
            text="crowd at the stage",
            time=moment,
            point=GeoPoint(59.912, 10.731),
        ),
        Post(identifier="p-nowhere", platform="x", author="u-2", text="hm", time=moment),
    )
    return moment, {"alerts": alerts, "tracks": tracks, "detections": detections, "posts": posts}


def test_the_map_shows_the_moment_in_one_batch_and_then_the_live_picture(mapped, qtbot):
    console, panel = mapped
    live_track = Track(identifier="t-live", source_id="ais", time=utc_now(), point=STAGE)
    console.core.ingest.accept([near(1), near(2), live_track])
    page_has(qtbot, panel, {"alert": ["a-1", "a-2"], "track": ["t-live"]})
    calls: list[str] = []
    run_js = panel.run_js

    def spy(script: str, callback=None) -> None:
        calls.append(script)
        run_js(script, callback)

    panel.run_js = spy
    moment, then = moment_of_review()
    review(console, moment, **then)
    page_has(
        qtbot,
        panel,
        {
            "alert": ["a-then"],
            "track": ["t-fresh"],
            "detection": ["d-then"],
            "post": ["p-located"],
        },
    )
    replaces = [c for c in calls if c.startswith("Watchfloor.replace(")]
    assert len(replaces) == 1 and '"a-then"' in replaces[0] and '"t-fresh"' in replaces[0]
    assert panel.review.strip.isVisible()

    # Hostile text of the past is as inert as live text.
    js(qtbot, panel, "Watchfloor.state.map.setView([59.9121, 10.7330], 18, {animate: false}); 1")
    js(qtbot, panel, "Watchfloor.state.groups.alert.getLayers().forEach(m => m.openTooltip()); 1")
    js_until(qtbot, panel, "document.querySelectorAll('.wf-tip-label').length === 1")
    label = js(qtbot, panel, "document.querySelector('.wf-tip-label').textContent")
    assert label == then["alerts"][0].headline
    assert js(qtbot, panel, "typeof window.pwned + typeof window.pwned2") == "undefinedundefined"

    # Live changes are held back while reviewing, not drawn and not lost.
    console.core.ingest.accept([near(3)])
    qtbot.waitUntil(lambda: panel.feed.get(("alert", "a-3")) is not None)
    panel.flush()  # draws whatever the timer has not drawn yet
    assert page_ids(qtbot, panel, "alert") == ["a-then"]

    review(console, None)
    page_has(
        qtbot,
        panel,
        {"alert": ["a-1", "a-2", "a-3"], "track": ["t-live"], "detection": [], "post": []},
    )
    assert not panel.review.strip.isVisible()


def test_selecting_a_reviewed_alert_flies_the_map_to_where_it_was(mapped, qtbot):
    console, panel = mapped
    moment, then = moment_of_review()
    review(console, moment, **then)
    page_has(qtbot, panel, {"alert": ["a-then"]})
    assert panel.feed.get(("alert", "a-then")) is None, "not a live alert"
    console.core.hub.publish(Selection("alert", "a-then", origin="alerts"))
    js_until(qtbot, panel, "Watchfloor.state.selected === 'alert\\u0000a-then'")


# --- sensors ------------------------------------------------------------------------------


def test_the_sensor_charts_go_to_the_reviewed_moment_and_back_to_live(console, qtbot):
    panel = console.window.panels["sensors"]
    console.core.hub.publish(
        Sensor(
            identifier="bio-1",
            name="Bacteria in air",
            station="Station North",
            quantity="bacteria_air",
            unit="CFU/m³",
        )
    )
    qtbot.waitUntil(lambda: "bio-1" in panel.chart.plots)
    plot = panel.chart.plots["bio-1"].plot
    moment = utc_now() - timedelta(hours=3)  # far outside the live 15 minutes
    console.core.hub.publish(ReviewCursor(moment))
    qtbot.waitUntil(lambda: not panel.follow.isChecked())
    start, end = plot.viewRange()[0]
    assert start < moment.timestamp() < end, "the cursor is in view"
    console.core.hub.publish(ReviewCursor(None))
    qtbot.waitUntil(panel.follow.isChecked)
    qtbot.waitUntil(lambda: plot.viewRange()[0][1] > utc_now().timestamp() - 60)


# --- video --------------------------------------------------------------------------------


@pytest.fixture
def video_panel(qapp, qtbot):
    hub = Hub()
    video = FakeVideo([f"cam-{n}" for n in range(5)])
    panel = QtVideoPanel(PanelContext(hub, hub, default_terminology(), video=video))
    qtbot.addWidget(panel)
    panel.resize(900, 700)
    panel.show()
    hub.publish(cameras(5))
    try:
        yield panel, hub, video
    finally:
        panel.stop()


def solid(colour: tuple[int, int, int]) -> np.ndarray:
    """A 320 by 240 picture of one BGR colour."""
    image = np.zeros((240, 320, 3), np.uint8)
    image[:] = colour
    return image


def put_live(video, colour: tuple[int, int, int]) -> None:
    for slot in video.slots.values():
        slot.put_image(utc_now(), solid(colour), blurred=True)


def centre(tile) -> tuple[int, int, int]:
    """The RGB colour in the middle of the tile as drawn."""
    image = tile.grab().toImage()
    colour = image.pixelColor(image.width() // 2, image.height() // 2)
    return colour.red(), colour.green(), colour.blue()


def close_to(found: tuple[int, int, int], wanted: tuple[int, int, int]) -> bool:
    return all(abs(a - b) <= 30 for a, b in zip(found, wanted, strict=True))


RED, GREEN, BLUE = (0, 0, 255), (0, 255, 0), (255, 0, 0)  # BGR, as OpenCV writes them


def test_tiles_show_the_recorded_snapshot_or_say_there_is_none_then_live(
    video_panel, qtbot, tmp_path
):
    panel, hub, video = video_panel
    put_live(video, RED)
    tiles = panel.grid.tiles
    qtbot.waitUntil(lambda: all(tiles[f"cam-{n}"].frame is not None for n in range(4)))
    assert close_to(centre(tiles["cam-0"]), (255, 0, 0))
    recorded = tmp_path / "cam-0.jpg"
    assert cv2.imwrite(str(recorded), solid(GREEN))
    video.snapshots = {"snapshot:cam-0/1.jpg": recorded, "snapshot:cam-1/2.jpg": tmp_path / "no"}
    moment = utc_now() - timedelta(hours=2)
    taken = moment - timedelta(minutes=3)
    panel.stack.setCurrentWidget(panel.snapshot)  # an alert's snapshot was open
    hub.publish(
        ReviewState(
            moment,
            snapshot_times=(("cam-0", taken),),
            snapshots=(("cam-0", "snapshot:cam-0/1.jpg"), ("cam-1", "snapshot:cam-1/2.jpg")),
        )
    )
    assert panel.stack.currentWidget() is panel.grid
    qtbot.waitUntil(lambda: tiles["cam-0"].review.problem == "")
    qtbot.waitUntil(lambda: tiles["cam-1"].review.problem == "missing")
    assert close_to(centre(tiles["cam-0"]), (0, 255, 0)), "the recorded picture"
    assert tiles["cam-0"].review.taken == taken
    assert tiles["cam-2"].review.problem == "none"
    assert tiles["cam-2"].review.message() == "No recording at this time"
    assert tiles["cam-4"].review is None, "off the page: not read"
    panel.grid.set_page(1)
    assert tiles["cam-4"].review.problem == "none"
    panel.grid.set_page(0)

    put_live(video, BLUE)  # live video goes on meanwhile
    assert panel.refresh() == 0
    assert close_to(centre(tiles["cam-0"]), (0, 255, 0)), "no live frame over the past"

    hub.publish(ReviewState(None))
    assert all(tile.review is None for tile in tiles.values())
    qtbot.waitUntil(lambda: close_to(centre(tiles["cam-0"]), (0, 0, 255)))


def test_video_review_waits_for_nothing_when_stopped(video_panel, qtbot, tmp_path):
    panel, hub, video = video_panel
    video.snapshots = {f"s{n}": Path(__file__) for n in range(5)}  # not pictures
    hub.publish(ReviewState(utc_now(), snapshots=tuple((f"cam-{n}", f"s{n}") for n in range(5))))
    panel.stop()
    assert panel.review._pool.activeThreadCount() == 0 and hub.subscriber_count() == 0
