"""The Diagrams dialog's four plots, each drawn onto a given pyqtgraph plot from one frozen
aggregate of ``app.stats.aggregates``.

Drawing only: reading and exporting live elsewhere, so a plot is redrawn (new period, other
granularity, other language) from its aggregate alone. Each ``draw`` sets its axis titles,
replaces what the plot showed, and returns the note for under the figure: what the bars cannot
show (alerts never acknowledged, sources or cells left out), which a PNG of the figure keeps.
An aggregate of ``None`` means nothing is loaded: the plot is emptied and the note is blank.
"""

from __future__ import annotations

import math
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QFontMetrics
from PySide6.QtWidgets import QApplication

from app.model import Category
from app.stats.aggregates import (
    HOURS_PER_DAY,
    AckDistribution,
    CategoryCounts,
    Granularity,
    LocationHeat,
    TopSources,
)
from app.terminology import Terminology
from i18n import format_datetime, format_decimal, gettext
from widgets.qt_diagram_notes import ack_note, heat_note, sources_note

# One colour per CAP category, distinct on the dark theme; the legend names them.
CATEGORY_COLOURS = {
    Category.GEO: "#a1887f",
    Category.MET: "#4fc3f7",
    Category.SAFETY: "#ffb74d",
    Category.SECURITY: "#e57373",
    Category.RESCUE: "#ba68c8",
    Category.FIRE: "#ff7043",
    Category.HEALTH: "#81c784",
    Category.ENV: "#dce775",
    Category.TRANSPORT: "#7986cb",
    Category.INFRA: "#90a4ae",
    Category.CBRNE: "#fff176",
    Category.OTHER: "#bdbdbd",
}
BACKGROUND = "#1e2227"
FOREGROUND = "#c8ced4"
BAR_COLOUR = "#4f8fcf"
MAX_TICK_LABELS = 12
TICK_STEPS = (1, 2, 3, 6, 12, 24, 48, 72, 168)
SOURCE_NAME_CHARS = 32
AXIS_LABEL_SPACE = 40  # pixels beside tick labels for the axis title and tick marks


class CountAxis(pg.AxisItem):
    """Whole counts in the operator's locale; no ticks at half an alert."""

    def tickStrings(self, values: list[float], scale: float, spacing: float) -> list[str]:
        shown = [v * scale for v in values]
        return [format_decimal(round(v)) if abs(v - round(v)) < 1e-9 else "" for v in shown]


def make_plot(left: pg.AxisItem | None = None, bottom: pg.AxisItem | None = None) -> pg.PlotWidget:
    axes = {name: axis for name, axis in (("left", left), ("bottom", bottom)) if axis is not None}
    plot = pg.PlotWidget(background=BACKGROUND, axisItems=axes)
    # Charts read left to right in Arabic too (time runs that way on every wall clock chart in
    # the control room); Qt would otherwise mirror the view but not the numbers on its axes.
    plot.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
    item = plot.getPlotItem()
    # The plot's own layout (which side its axes sit) must not mirror either.
    item.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
    item.setMenuEnabled(False)
    item.hideButtons()
    for name in ("left", "bottom"):
        item.getAxis(name).setTextPen(FOREGROUND)
        item.getAxis(name).setPen(FOREGROUND)
    plot.setMinimumSize(480, 320)
    return plot


class CategoryPlot:
    """Alerts per category per hour or day as stacked bars in CAP order; the legend sits on
    the plot, so an exported image names the colours too."""

    def __init__(self, item: pg.PlotItem, terms: Terminology) -> None:
        self.item = item
        self.terms = terms
        self.legend = item.addLegend(offset=(10, 5), colCount=4, labelTextColor=FOREGROUND)

    def draw(self, counts: CategoryCounts | None, granularity: Granularity) -> str:
        bottom = gettext("Hour") if granularity is Granularity.HOUR else gettext("Day")
        _axis_titles(self.item, bottom, gettext("Alerts"))
        self.item.clear()
        self.legend.clear()
        if counts is None:
            return ""
        tallest = self._stack(counts)
        self.item.getAxis("bottom").setTicks([_ticks(counts.buckets, granularity), []])
        # Head room above the tallest bar for the legend.
        self.item.setYRange(0, max(tallest, 1.0) * 1.35, padding=0)
        self.item.setXRange(-0.6, max(len(counts.buckets) - 0.4, 0.4), padding=0)
        return "" if sum(counts.totals) else gettext("No alerts in this period.")

    def _stack(self, counts: CategoryCounts) -> float:
        """One layer of bars per category, each on the ones before; returns the tallest stack."""
        xs = np.arange(len(counts.buckets), dtype=float)
        base = np.zeros(len(xs))
        for category in counts.categories:
            heights = np.asarray(counts.column(category), dtype=float)
            colour = CATEGORY_COLOURS[category]
            bars = pg.BarGraphItem(x=xs, y0=base.copy(), height=heights, width=0.85, brush=colour)
            bars.setOpts(pen=pg.mkPen(None))
            self.item.addItem(bars)
            self.legend.addItem(bars, self.terms.category_name(category))
            base += heights
        return float(base.max(initial=0))


def draw_ack(item: pg.PlotItem, ack: AckDistribution | None) -> str:
    """A histogram of minutes to the first acknowledgement; the note gives the median and the
    90th percentile, and the alerts never acknowledged, which no bar can show."""
    _axis_titles(item, gettext("Minutes to acknowledge"), gettext("Alerts"))
    item.clear()
    if ack is None:
        return ""
    if ack.counts:
        edges = np.asarray(ack.edges)
        heights = np.asarray(ack.counts, dtype=float)
        bars = pg.BarGraphItem(x0=edges[:-1], x1=edges[1:], height=heights, brush=BAR_COLOUR)
        bars.setOpts(pen=pg.mkPen(BACKGROUND))
        item.addItem(bars)
        item.setXRange(0, float(edges[-1]), padding=0.02)
        item.setYRange(0, max(float(heights.max()), 1.0) * 1.1, padding=0)
    return ack_note(ack)


def draw_sources(item: pg.PlotItem, top: TopSources | None) -> str:
    """Horizontal bars, busiest source on top, named on the left axis."""
    _axis_titles(item, gettext("Alerts"), gettext("Source"))
    item.clear()
    if top is None:
        return ""
    ys = np.arange(len(top.sources), dtype=float)[::-1]  # busiest on top
    if top.sources:
        widths = np.asarray(top.counts, dtype=float)
        bars = pg.BarGraphItem(x0=0, y=ys, height=0.7, width=widths, brush=BAR_COLOUR)
        bars.setOpts(pen=pg.mkPen(None))
        item.addItem(bars)
        item.setXRange(0, float(widths.max()) * 1.05, padding=0)
        item.setYRange(-0.6, len(ys) - 0.4, padding=0)
    ticks = [(float(y), _elided(name)) for y, name in zip(ys, top.sources, strict=True)]
    _label_axis(item.getAxis("left"), ticks)
    return sources_note(top)


class HeatPlot:
    """Located alerts per grid cell (rows, busiest on top) and local hour of day (columns) as
    an image, with a colour bar in whole alerts."""

    def __init__(self, item: pg.PlotItem) -> None:
        self.item = item
        item.invertY(True)  # busiest cell on top
        self.image = pg.ImageItem(axisOrder="row-major")
        item.addItem(self.image)
        self.colour_bar = pg.ColorBarItem(
            values=(0, 1), colorMap=pg.colormap.get("viridis"), interactive=False
        )
        self.colour_bar.setImageItem(self.image, insert_in=item)
        self.colour_bar.axis.setTextPen(FOREGROUND)

    def retranslate(self) -> None:
        self.colour_bar.axis.setLabel(gettext("Alerts"), color=FOREGROUND)

    def draw(self, heat: LocationHeat | None) -> str:
        _axis_titles(self.item, gettext("Hour of day (local time)"), gettext("Cell centre"))
        if heat is None or not heat.cells:
            self.image.clear()
            self.item.getAxis("left").setTicks([[], []])
            return gettext("No located alerts in this period.") if heat is not None else ""
        self._paint(heat)
        self._label(heat)
        return heat_note(heat.cell_m, heat.elsewhere, heat.unlocated)

    def _paint(self, heat: LocationHeat) -> None:
        image = np.asarray(heat.counts, dtype=float)
        top = max(float(image.max()), 1.0)
        self.image.setImage(image, levels=(0, top))
        self.image.setRect(QRectF(0, 0, HOURS_PER_DAY, len(heat.cells)))
        self.colour_bar.setLevels((0, top))
        spacing = max(1.0, math.ceil(top / 5))  # whole alerts on the colour scale
        self.colour_bar.axis.setTickSpacing(spacing, spacing)

    def _label(self, heat: LocationHeat) -> None:
        hours = [(h + 0.5, format_decimal(h, "00")) for h in range(0, HOURS_PER_DAY, 3)]
        self.item.getAxis("bottom").setTicks([hours, []])
        cells = [(i + 0.5, _cell_label(c.lat, c.lon)) for i, c in enumerate(heat.cells)]
        _label_axis(self.item.getAxis("left"), cells)
        self.item.setXRange(0, HOURS_PER_DAY, padding=0)
        self.item.setYRange(0, len(heat.cells), padding=0)


def _axis_titles(item: pg.PlotItem, bottom: str, left: str) -> None:
    item.setLabel("bottom", bottom, color=FOREGROUND)
    item.setLabel("left", left, color=FOREGROUND)


def _ticks(buckets: tuple[datetime, ...], granularity: Granularity) -> list[tuple[float, str]]:
    """At most about MAX_TICK_LABELS labels; hourly ones fall on round local hours (midnight
    when a label covers days) and then name the day rather than the hour."""
    count = len(buckets)
    step = next((s for s in TICK_STEPS if count / s <= MAX_TICK_LABELS), math.ceil(count / 12))
    if granularity is Granularity.DAY or step == 1:
        indices = list(range(0, count, step))
    else:
        aligned = [i for i, start in enumerate(buckets) if start.hour % min(step, 24) == 0]
        indices = aligned[:: max(step // 24, 1)]
    pattern = "EEE HH:mm" if granularity is Granularity.HOUR and step < 24 else "EEE d MMM"
    return [(float(i), format_datetime(buckets[i], pattern, tz=buckets[i].tzinfo)) for i in indices]


def _elided(name: str) -> str:
    return name if len(name) <= SOURCE_NAME_CHARS else name[: SOURCE_NAME_CHARS - 1] + "…"


def _label_axis(axis: pg.AxisItem, ticks: list[tuple[float, str]]) -> None:
    """Text ticks with the axis as wide as its longest label: pyqtgraph would only widen it
    after a first paint, so an export of a tab never shown would cut the labels."""
    axis.setTicks([ticks, []])
    metrics = QFontMetrics(axis.style.get("tickFont") or QApplication.font())
    longest = max((metrics.horizontalAdvance(text) for _, text in ticks), default=0)
    axis.setWidth(longest + AXIS_LABEL_SPACE)


def _cell_label(lat: float, lon: float) -> str:
    return gettext("{lat}, {lon}").format(
        lat=format_decimal(lat, "0.0000"), lon=format_decimal(lon, "0.0000")
    )
