"""Sensors panel: live charts by station, with warning and alarm levels.

Observations arrive on the GUI hub at whatever rate the sensors send; they only go into each
sensor's sample ring. A 10 Hz timer draws what changed, so the draw rate never follows the data
rate. The ring holds the longest window (24 h) and no more, so memory stays flat for a shift.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from app.map.zones import SiteSnapshot
from app.messages import ReviewCursor, Selection
from app.model import Observation, Sensor
from app.sensors.messages import SensorSnapshot
from app.sensors.ring import SampleRing, capacity_for
from i18n import N_, gettext, lazy_gettext
from widgets.facade import PanelContext
from widgets.qt_panel import QtPanel
from widgets.qt_sensor_chart import QtStationChart

DRAW_MS = 100  # 10 Hz, whatever the data rate
LONGEST_WINDOW_S = 24 * 3600
WINDOWS = (
    (300, N_("5 minutes")),
    (900, N_("15 minutes")),
    (3600, N_("1 hour")),
    (6 * 3600, N_("6 hours")),
    (LONGEST_WINDOW_S, N_("24 hours")),
)
DEFAULT_WINDOW = 900
PLOT_MIN_HEIGHT = 130  # pixels a chart needs to show its levels and a readable curve
PANEL_MIN_HEIGHT = 200
OTHER_STATION = N_("Other sensors")


class QtSensorsPanel(QtPanel):
    ID = "sensors"
    TITLE = lazy_gettext("Sensors")
    DEFAULT_AREA = Qt.DockWidgetArea.BottomDockWidgetArea

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.sensors: dict[str, Sensor] = {}
        self.rings: dict[str, SampleRing] = {}
        self._dirty: set[str] = set()
        self._station_dirty = True
        self.live = True
        self.station = QComboBox(self)
        self.station.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.window = QComboBox(self)
        self.follow = QPushButton(self, checkable=True, checked=True)
        self.empty = QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter)
        self.chart = QtStationChart(self)
        # Enough for one readable chart with its levels, whatever room the layout gives.
        self.setMinimumHeight(PANEL_MIN_HEIGHT)
        self._layout()
        self._wire()
        self.retranslate()

    def _layout(self) -> None:
        bar = QHBoxLayout()
        for widget in (self.station, self.window, self.follow):
            bar.addWidget(widget)
        bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.empty)
        # Each sensor keeps a readable height; a station with many sensors scrolls.
        self.scroll = QScrollArea(self, widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
        self.scroll.setWidget(self.chart)
        layout.addWidget(self.scroll, 1)

    def _wire(self) -> None:
        self.station.currentIndexChanged.connect(self._on_station)
        self.window.currentIndexChanged.connect(lambda _: self._go_live())
        self.follow.toggled.connect(self._on_follow)
        self.chart.sig_range_changed_by_hand.connect(lambda: self.follow.setChecked(False))
        self._timer = QTimer(self, interval=DRAW_MS)
        self._timer.timeout.connect(self.draw)
        self._timer.start()
        subscribe = self.context.subscribe
        self._subscriptions = [
            subscribe(Observation, self._on_observations),
            subscribe(Sensor, self._on_sensors),
            subscribe(SensorSnapshot, self._on_snapshot),
            subscribe(SiteSnapshot, self._on_site),
            subscribe(Selection, self._on_selection),
            subscribe(ReviewCursor, self._on_review),
        ]

    # --- data ------------------------------------------------------------------------------
    def _on_sensors(self, batch: Sequence[Sensor]) -> None:
        for sensor in batch:
            if self.sensors.get(sensor.identifier) != sensor:
                self.sensors[sensor.identifier] = sensor
                self._station_dirty = True

    def _on_site(self, batch: Sequence[SiteSnapshot]) -> None:
        for snapshot in batch:
            self._on_sensors(snapshot.sensors)

    def _on_snapshot(self, batch: Sequence[SensorSnapshot]) -> None:
        for snapshot in batch:
            self._on_sensors(snapshot.sensors)
            self._on_observations(sorted(snapshot.recent, key=lambda o: o.time))

    def _on_observations(self, batch: Sequence[Observation]) -> None:
        for observation in batch:
            ring = self.rings.get(observation.sensor_id)
            if ring is None:
                ring = self._new_ring(observation)
            ring.append(observation.time.timestamp(), observation.value)
            self._dirty.add(observation.sensor_id)

    def _new_ring(self, observation: Observation) -> SampleRing:
        known = self.sensors.get(observation.sensor_id)
        interval = known.interval_s if known is not None else 1.0
        ring = self.rings[observation.sensor_id] = SampleRing(
            capacity_for(LONGEST_WINDOW_S, interval)
        )
        if known is None:  # a sensor the store does not describe: charted under "Other"
            self.sensors[observation.sensor_id] = Sensor(
                identifier=observation.sensor_id,
                name=observation.sensor_id,
                station="",
                quantity=observation.quantity,
                unit=observation.unit,
            )
            self._station_dirty = True
        return ring

    # --- drawing ---------------------------------------------------------------------------
    def draw(self) -> None:
        if self._station_dirty:
            self._refresh_stations()
        window = None
        if self.live:
            now = time.time()
            window = (now - (self.window.currentData() or DEFAULT_WINDOW), now)
            self.chart.set_window(*window)
        self.chart.draw(self.rings, self._dirty, window)
        self._dirty.clear()

    def _refresh_stations(self) -> None:
        self._station_dirty = False
        current = self.station.currentData()
        names = sorted({sensor.station for sensor in self.sensors.values()})
        self.station.blockSignals(True)
        self.station.clear()
        for name in names:
            self.station.addItem(name or gettext(OTHER_STATION), name)
        index = self.station.findData(current)
        self.station.setCurrentIndex(index if index >= 0 else 0)
        self.station.blockSignals(False)
        self._show_station()

    def _show_station(self) -> None:
        wanted = self.station.currentData()
        sensors = sorted(
            (s for s in self.sensors.values() if s.station == wanted), key=lambda s: s.name
        )
        self.chart.show_sensors(sensors)
        self._dirty |= {s.identifier for s in sensors}
        self.empty.setVisible(not sensors)
        self.scroll.setVisible(bool(sensors))
        self.chart.setMinimumHeight(PLOT_MIN_HEIGHT * len(sensors))

    def _on_station(self, _index: int) -> None:
        self._show_station()
        self.draw()

    # --- operator --------------------------------------------------------------------------
    def _on_follow(self, following: bool) -> None:
        self.live = following
        self._dirty |= set(self.rings)  # live curves are clipped to the window, review ones not
        self.draw()

    def _go_live(self) -> None:
        self.follow.setChecked(True)
        self.draw()

    def _on_selection(self, batch: Sequence[Selection]) -> None:
        """A sensor clicked on the map opens its station's charts, in front."""
        wanted = batch[-1]
        sensor = self.sensors.get(wanted.identifier) if wanted.kind == "sensor" else None
        if sensor is None:
            return
        index = self.station.findData(sensor.station)
        if index >= 0:
            self.station.setCurrentIndex(index)
        self.chart.highlight(sensor.identifier)
        dock = self.parentWidget()
        if dock is not None:
            dock.show()
            dock.raise_()

    def _on_review(self, batch: Sequence[ReviewCursor]) -> None:
        """Reviewing, the charts stop following and centre on the moment (the cursor would be
        out of view in a live window for anything older than its span); live, they follow."""
        moment = batch[-1].time
        self.chart.set_cursor(None if moment is None else moment.timestamp())
        if moment is None:
            self._go_live()
            return
        self.follow.setChecked(False)
        half = (self.window.currentData() or DEFAULT_WINDOW) / 2
        self.chart.set_window(moment.timestamp() - half, moment.timestamp() + half)

    def retranslate(self) -> None:
        current = self.window.currentData() or DEFAULT_WINDOW
        self.window.blockSignals(True)
        self.window.clear()
        for seconds, label in WINDOWS:
            self.window.addItem(gettext(label), seconds)
        self.window.setCurrentIndex(self.window.findData(current))
        self.window.blockSignals(False)
        self.follow.setText(gettext("Live"))
        self.follow.setToolTip(gettext("Follow the newest readings (off while you pan or zoom)"))
        self.empty.setText(gettext("No sensor has reported yet."))
        self._station_dirty = True

    def stop(self) -> None:
        self._timer.stop()
        for subscription in self._subscriptions:
            subscription.cancel()
