"""Sensor chart benchmarks: redraw rate with 8 curves of 50,000 points, and memory per
sensor-hour. Target (issue 6): at least 30 frames a second."""

from __future__ import annotations

import os
import time

import numpy as np
from PySide6.QtCore import QEvent, QObject

from app.model import Sensor
from app.sensors.ring import SampleRing, capacity_for

Row = tuple[str, str, str]
CURVES = 8
POINTS = 50_000


class _PaintCounter(QObject):
    """Counts the chart's real paints, so the frame rate is of frames actually drawn."""

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def chart_redraw(frames: int = 60) -> list[Row]:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from widgets.application import create_application
    from widgets.qt_sensor_chart import QtStationChart

    app = create_application()
    chart = QtStationChart()
    chart.resize(1400, 900)
    sensors = [
        Sensor(
            identifier=f"s{n}",
            name=f"Sensor {n}",
            station="Bench",
            quantity="q",
            unit="u",
            warning=1.0,
            alarm=2.0,
        )
        for n in range(CURVES)
    ]
    chart.show_sensors(sensors)
    chart.show()
    rings = {s.identifier: SampleRing(POINTS) for s in sensors}
    now = time.time()
    times = now - np.arange(POINTS)[::-1]
    rng = np.random.default_rng(1)
    for ring in rings.values():
        ring.extend(times, rng.normal(1.0, 0.3, POINTS))
    chart.set_window(times[0], times[-1])
    app.processEvents()
    paints = _PaintCounter()
    chart.viewport().installEventFilter(paints)
    started = time.perf_counter()
    for frame in range(frames):
        for n, ring in enumerate(rings.values()):
            ring.append(now + frame + 1, float(n))
        window = (times[0] + frame + 1, now + frame + 1)
        chart.set_window(*window)
        chart.draw(rings, set(rings), window)
        app.processEvents()  # the update the new data asked for: one real paint
    fps = frames / (time.perf_counter() - started)
    if paints.count < frames:
        raise RuntimeError(f"only {paints.count} paints for {frames} frames: nothing to measure")
    chart.close()
    chart.deleteLater()
    return [
        (
            "sensors",
            f"chart redraw, {CURVES} curves x {POINTS:,} points (target >= 30 fps)",
            f"{fps:.0f} fps",
        )
    ]


def memory_per_sensor_hour() -> list[Row]:
    rows = []
    for interval in (1.0, 5.0, 60.0):
        ring = SampleRing(capacity_for(24 * 3600, interval))
        per_hour = ring.nbytes / 24
        rows.append(
            (
                "sensors",
                f"chart memory per sensor-hour at one reading per {interval:g} s",
                f"{per_hour / 1024:.0f} KiB (flat: {ring.nbytes / 2**20:.1f} MiB per sensor)",
            )
        )
    return rows


def chart_benchmarks() -> list[Row]:
    return chart_redraw() + memory_per_sensor_hour()
