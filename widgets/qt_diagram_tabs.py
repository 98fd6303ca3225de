"""The Diagrams dialog's four tabs, one figure each, drawn from the report the dialog hands in.

The tabs keep the report they last drew, so switching between hourly and daily bars redraws at
once from memory instead of reading the period again.
"""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QComboBox, QTabWidget, QWidget

from app.stats.aggregates import Granularity, StatsReport
from app.terminology import Terminology
from i18n import gettext, lazy_gettext
from widgets.qt_diagram_page import DiagramPage
from widgets.qt_diagram_plots import (
    FOREGROUND,
    CategoryPlot,
    CountAxis,
    HeatPlot,
    draw_ack,
    draw_sources,
    make_plot,
)

GRANULARITIES = (
    (lazy_gettext("Per hour"), Granularity.HOUR),
    (lazy_gettext("Per day"), Granularity.DAY),
)
CATEGORIES, ACKNOWLEDGE, SOURCES, HEAT = range(4)
TABS = (
    (lazy_gettext("Alerts by category"), "alerts-by-category"),
    (lazy_gettext("Time to acknowledge"), "time-to-acknowledge"),
    (lazy_gettext("Top sources"), "top-sources"),
    (lazy_gettext("Locations by hour"), "locations-by-hour"),
)


class DiagramTabs(QTabWidget):
    """``draw(report)`` draws every tab (``None``: nothing loaded, exports disabled)."""

    def __init__(self, terminology: Terminology, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("diagramTabs")
        self.report: StatsReport | None = None
        self.pages = [
            DiagramPage(make_plot(CountAxis("left"))),
            DiagramPage(make_plot(CountAxis("left"))),
            DiagramPage(make_plot(bottom=CountAxis("bottom"))),
            DiagramPage(make_plot()),
        ]
        for page in self.pages:
            self.addTab(page, "")
        self._build_granularity()
        self.categories = CategoryPlot(self.plot_item(CATEGORIES), terminology)
        self.heat = HeatPlot(self.plot_item(HEAT))

    def _build_granularity(self) -> None:
        self.granularity = QComboBox(self, objectName="diagramGranularity")
        for _label, granularity in GRANULARITIES:
            self.granularity.addItem("", granularity)
        self.granularity.currentIndexChanged.connect(self.draw_categories)
        self.pages[CATEGORIES].tools.addWidget(self.granularity)
        self.pages[CATEGORIES].tools.addStretch(1)

    def plot_item(self, index: int) -> pg.PlotItem:
        return self.pages[index].plot.getPlotItem()

    def selected_granularity(self) -> Granularity:
        return GRANULARITIES[max(self.granularity.currentIndex(), 0)][1]

    def png(self, index: int) -> bytes:
        """The tab's figure as PNG data, as large as the tab on screen."""
        return self.pages[index].png(self.currentWidget())

    def retranslate(self) -> None:
        for index, (label, _granularity) in enumerate(GRANULARITIES):
            self.granularity.setItemText(index, str(label))
        for index, (title, _slug) in enumerate(TABS):
            self.setTabText(index, str(title))
        for page in self.pages:
            page.png_button.setText(gettext("Export PNG…"))
            page.csv_button.setText(gettext("Export CSV…"))
        self.heat.retranslate()

    def draw(self, report: StatsReport | None) -> None:
        self.report = report
        for index, (title, _slug) in enumerate(TABS):
            self.plot_item(index).setTitle(str(title), color=FOREGROUND, size="12pt")
        self.draw_categories()
        ack = draw_ack(self.plot_item(ACKNOWLEDGE), report.ack if report is not None else None)
        self.pages[ACKNOWLEDGE].note.setText(ack)
        top = draw_sources(self.plot_item(SOURCES), report.sources if report is not None else None)
        self.pages[SOURCES].note.setText(top)
        heat = self.heat.draw(report.heat if report is not None else None)
        self.pages[HEAT].note.setText(heat)
        for page in self.pages:
            page.png_button.setEnabled(report is not None)
            page.csv_button.setEnabled(report is not None)

    def draw_categories(self) -> None:
        granularity = self.selected_granularity()
        report = self.report
        counts = report.categories(granularity) if report is not None else None
        self.pages[CATEGORIES].note.setText(self.categories.draw(counts, granularity))
