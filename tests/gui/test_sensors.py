"""The sensors panel: live charts by station, thresholds, windows, map selection, review cursor."""

from __future__ import annotations

import threading
from datetime import timedelta

import pyqtgraph as pg

from app.messages import ReviewCursor, Selection
from app.model import Observation, Sensor, Status, utc_now
from app.sensors.ring import MAX_CAPACITY

STATION = "Station North"


def sensor(identifier: str = "bio-1", **changes) -> Sensor:
    values = dict(
        identifier=identifier,
        name="Bacteria in air",
        station=STATION,
        quantity="bacteria_air",
        unit="CFU/m³",
        warning=500.0,
        alarm=900.0,
        interval_s=5.0,
    )
    return Sensor(**(values | changes))


def readings(sensor_id: str, count: int, start=None, step_s: float = 5.0) -> list[Observation]:
    start = start or utc_now() - timedelta(seconds=count * step_s)
    return [
        Observation(
            identifier=f"{sensor_id}-{n}",
            sensor_id=sensor_id,
            time=start + timedelta(seconds=n * step_s),
            quantity="bacteria_air",
            value=300.0 + n,
            unit="CFU/m³",
            status=Status.EXERCISE,
        )
        for n in range(count)
    ]


def panel_of(console):
    return console.window.panels["sensors"]


def curve_points(panel, sensor_id: str) -> int:
    if sensor_id not in panel.chart.plots:
        return 0
    xs, _ys = panel.chart.plots[sensor_id].curve.getOriginalDataset()
    return 0 if xs is None else len(xs)


def test_readings_from_a_worker_thread_are_charted_with_their_levels(console, qtbot):
    panel = panel_of(console)
    console.core.ingest.accept([sensor()])
    worker = threading.Thread(target=console.core.ingest.accept, args=(readings("bio-1", 120),))
    worker.start()
    worker.join()
    qtbot.waitUntil(lambda: "bio-1" in panel.chart.plots and curve_points(panel, "bio-1") == 120)
    assert panel.station.currentText() == STATION
    plot = panel.chart.plots["bio-1"].plot
    levels = sorted(
        item.value() for item in plot.items if isinstance(item, pg.InfiniteLine) and item.angle == 0
    )
    assert levels == [500.0, 900.0]
    assert any(isinstance(item, pg.LinearRegionItem) for item in plot.items)  # the alarm band


def test_a_burst_is_drawn_at_the_draw_rate_not_per_reading(console, qtbot):
    panel = panel_of(console)
    console.core.ingest.accept([sensor()])
    qtbot.waitUntil(lambda: "bio-1" in panel.chart.plots)
    drawn: list[int] = []
    original = panel.chart.draw

    def counting(rings, dirty, window):
        count = original(rings, dirty, window)
        drawn.append(count)
        return count

    panel.chart.draw = counting
    for chunk in range(20):
        batch = readings("bio-1", 100, start=utc_now() + timedelta(seconds=chunk * 500))
        console.core.hub.publish_batch(batch)
    qtbot.waitUntil(lambda: curve_points(panel, "bio-1") == 2000)
    assert sum(drawn) < 20  # 20 bursts, far fewer curve updates


def test_memory_stays_flat_however_long_a_sensor_reports(console, qtbot):
    panel = panel_of(console)
    console.core.hub.publish_batch(readings("chatty", MAX_CAPACITY + 5000, step_s=0.5))
    qtbot.waitUntil(lambda: "chatty" in panel.rings and len(panel.rings["chatty"]) > 0)
    ring = panel.rings["chatty"]
    assert len(ring) == ring.capacity <= MAX_CAPACITY
    assert panel.station.currentText() == "Other sensors"


def test_window_and_follow_live(console, qtbot):
    panel = panel_of(console)
    console.core.hub.publish_batch([sensor()])
    console.core.hub.publish_batch(readings("bio-1", 50))
    qtbot.waitUntil(lambda: curve_points(panel, "bio-1") == 50)
    panel.window.setCurrentIndex(panel.window.findData(300))
    panel.draw()
    left, right = panel.chart.plots["bio-1"].plot.viewRange()[0]
    assert 295 <= right - left <= 305
    panel.chart.plots["bio-1"].plot.getViewBox().sigRangeChangedManually.emit([True, False])
    assert not panel.follow.isChecked() and not panel.live
    panel.follow.setChecked(True)
    assert panel.live


def test_selecting_a_sensor_on_the_map_opens_its_station(console, qtbot):
    panel = panel_of(console)
    console.core.hub.publish_batch([sensor(), sensor("water-1", station="Harbour", name="Water")])
    qtbot.waitUntil(lambda: panel.station.count() == 2)
    panel.station.setCurrentIndex(panel.station.findData("Harbour"))
    console.core.hub.publish(Selection("sensor", "bio-1", origin="map"))
    qtbot.waitUntil(lambda: panel.station.currentData() == STATION)
    assert "bio-1" in panel.chart.plots


def test_the_review_cursor_marks_the_reviewed_moment(console, qtbot):
    panel = panel_of(console)
    console.core.hub.publish_batch([sensor()])
    qtbot.waitUntil(lambda: "bio-1" in panel.chart.plots)
    moment = utc_now() - timedelta(minutes=3)
    console.core.hub.publish(ReviewCursor(moment))
    cursor = panel.chart.plots["bio-1"].cursor
    qtbot.waitUntil(cursor.isVisible)
    assert abs(cursor.value() - moment.timestamp()) < 1e-3
    console.core.hub.publish(ReviewCursor(None))
    qtbot.waitUntil(lambda: not cursor.isVisible())
