"""One station's sensors as stacked, time-linked pyqtgraph plots with their thresholds.

Curves draw from the sensors' sample rings (no copies), downsampled to the pixels available and
clipped to the visible window, so 50,000 points per curve cost what the screen can show.
Warning and alarm levels are lines; above the alarm level is a band, so a glance says "in alarm".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QWidget

from app.model import Sensor
from app.sensors.ring import SampleRing
from i18n import gettext

# One-pixel cosmetic pens: Qt's raster engine draws wide lines many times slower, and the
# chart redraws ten times a second.
CURVE_PEN = pg.mkPen("#4fc3f7", width=1)
HIGHLIGHT_PEN = pg.mkPen("#b3e5fc", width=1)
WARNING_PEN = pg.mkPen("#f9a825", width=1, style=Qt.PenStyle.DashLine)
ALARM_PEN = pg.mkPen("#e53935", width=1.5, style=Qt.PenStyle.DashLine)
ALARM_BRUSH = pg.mkBrush(229, 57, 53, 40)
CURSOR_PEN = pg.mkPen("#ffffff", width=1, style=Qt.PenStyle.DotLine)
BAND_SPAN = 1e12  # "everything above the alarm level", without autorange ever seeing it


@dataclass
class _SensorPlot:
    sensor: Sensor
    plot: pg.PlotItem
    curve: pg.PlotDataItem
    cursor: pg.InfiniteLine


class QtStationChart(pg.GraphicsLayoutWidget):
    sig_range_changed_by_hand = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setBackground("#1e2227")
        # Time runs left to right in every language, as on the diagrams; only the labels are
        # translated.
        self.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.ci.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self.plots: dict[str, _SensorPlot] = {}
        self._first: pg.PlotItem | None = None

    def show_sensors(self, sensors: Sequence[Sensor]) -> None:
        self.clear()
        self.plots = {}
        self._first = None
        self._last: pg.PlotItem | None = None
        for row, sensor in enumerate(sensors):
            self.plots[sensor.identifier] = self._make_plot(sensor, row)
        # The plots share one time axis: only the lowest shows it (each axis costs a redraw).
        for entry in self.plots.values():
            entry.plot.showAxis("bottom", entry.plot is self._last)

    def _make_plot(self, sensor: Sensor, row: int) -> _SensorPlot:
        plot = self.addPlot(row=row, col=0, axisItems={"bottom": pg.DateAxisItem()})
        plot.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
        self._last = plot
        plot.showGrid(x=False, y=False)
        plot.setLabel(
            "left", f"{sensor.quantity} ({sensor.unit})" if sensor.unit else sensor.quantity
        )
        plot.setTitle(sensor.name, size="9pt")
        curve = plot.plot(pen=CURVE_PEN, skipFiniteCheck=True)
        curve.setDownsampling(auto=True, method="peak")
        curve.setClipToView(True)
        self._add_levels(plot, sensor)
        cursor = pg.InfiniteLine(angle=90, pen=CURSOR_PEN, movable=False)
        cursor.setVisible(False)
        plot.addItem(cursor, ignoreBounds=True)
        if self._first is None:
            self._first = plot
        else:
            plot.setXLink(self._first)
        plot.getViewBox().sigRangeChangedManually.connect(self._on_range_by_hand)
        return _SensorPlot(sensor, plot, curve, cursor)

    def _on_range_by_hand(self, *_axes: object) -> None:
        self.sig_range_changed_by_hand.emit()

    @staticmethod
    def _add_levels(plot: pg.PlotItem, sensor: Sensor) -> None:
        if sensor.warning is not None:
            line = pg.InfiniteLine(sensor.warning, angle=0, pen=WARNING_PEN, movable=False)
            line.label = pg.InfLineLabel(line, gettext("warning"), position=0.02, color="#f9a825")
            plot.addItem(line, ignoreBounds=True)
        if sensor.alarm is not None:
            line = pg.InfiniteLine(sensor.alarm, angle=0, pen=ALARM_PEN, movable=False)
            line.label = pg.InfLineLabel(line, gettext("alarm"), position=0.02, color="#e53935")
            plot.addItem(line, ignoreBounds=True)
            band = pg.LinearRegionItem(
                (sensor.alarm, BAND_SPAN),
                orientation="horizontal",
                brush=ALARM_BRUSH,
                pen=pg.mkPen(None),
                movable=False,
            )
            plot.addItem(band, ignoreBounds=True)

    def draw(
        self, rings: dict[str, SampleRing], dirty: set[str], window: tuple[float, float] | None
    ) -> int:
        """Hands changed series to their curves; returns how many curves were updated.

        Live (``window`` given), a curve gets only the samples inside the window, sliced from
        its time-sorted ring with a binary search (the clip to view), and its vertical range
        from those samples: one pass, where pyqtgraph would scan the whole ring several times.
        Reviewing (``None``), it gets the whole ring and pyqtgraph clips to wherever the
        operator pans."""
        live = window is not None
        drawn = 0
        for sensor_id in dirty & self.plots.keys():
            ring = rings.get(sensor_id)
            if ring is None:
                continue
            entry = self.plots[sensor_id]
            times, values = ring.view()
            if window is not None:
                first = max(int(np.searchsorted(times, window[0])) - 1, 0)
                times, values = times[first:], values[first:]
            if entry.curve.opts["clipToView"] == live:
                entry.curve.setClipToView(not live)
            entry.curve.setData(times, values)
            if live:
                _fit_values(entry.plot, values)
            drawn += 1
        return drawn

    def set_window(self, start_s: float, end_s: float) -> None:
        if self._first is not None:
            self._first.setXRange(start_s, end_s, padding=0)

    def set_cursor(self, time_s: float | None) -> None:
        for entry in self.plots.values():
            entry.cursor.setVisible(time_s is not None)
            if time_s is not None:
                entry.cursor.setPos(time_s)

    def highlight(self, sensor_id: str) -> None:
        for identifier, entry in self.plots.items():
            entry.curve.setPen(HIGHLIGHT_PEN if identifier == sensor_id else CURVE_PEN)
            entry.plot.titleLabel.setText(
                f"▶ {entry.sensor.name}" if identifier == sensor_id else entry.sensor.name,
                size="9pt",
            )


def _fit_values(plot: pg.PlotItem, values: np.ndarray) -> None:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return
    low, high = float(finite.min()), float(finite.max())
    margin = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    plot.setYRange(low - margin, high + margin, padding=0)
