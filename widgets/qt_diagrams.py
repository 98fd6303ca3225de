"""The Diagrams dialog: aggregated alert statistics for strategic monitoring and planning.

Four diagrams over a chosen period (alerts per category per hour or day, time to acknowledge,
top sources, alert locations by hour of day), each exportable as PNG and CSV. The period is
read and aggregated on a worker thread and handed back with a queued signal, so the GUI never
waits on the database; the dialog only draws the frozen report it receives.

The parts live beside it: ``qt_diagram_loader`` (the worker thread), ``qt_diagram_tabs`` and
``qt_diagram_page`` (the tabs, their figures and saving), ``qt_diagram_plots`` (drawing one
aggregate onto one plot) and ``qt_diagram_notes`` (the sentences under the plots). The dialog
ties them to the chosen period and says what each tab exports.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, tzinfo
from pathlib import Path

from PySide6.QtCore import QEvent, QStandardPaths, Signal, Slot
from PySide6.QtGui import QCloseEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.model import utc_now
from app.stats import export
from app.stats.aggregates import Granularity, StatsInput, StatsReport, summarise
from app.terminology import Terminology
from i18n import gettext, isolate, lazy_gettext
from widgets.qt_diagram_loader import ReportLoader
from widgets.qt_diagram_notes import period_summary
from widgets.qt_diagram_page import save_as
from widgets.qt_diagram_tabs import (
    ACKNOWLEDGE,
    CATEGORIES,
    GRANULARITIES,
    HEAT,
    SOURCES,
    TABS,
    DiagramTabs,
)

__all__ = [
    "ACKNOWLEDGE",
    "CATEGORIES",
    "GRANULARITIES",
    "HEAT",
    "PERIODS",
    "SOURCES",
    "TABS",
    "Loader",
    "QtDiagramsDialog",
]

Loader = Callable[[datetime, datetime], StatsInput]

PERIODS = (
    (lazy_gettext("Last 24 hours"), timedelta(hours=24)),
    (lazy_gettext("Last 7 days"), timedelta(days=7)),
    (lazy_gettext("Last 30 days"), timedelta(days=30)),
)


class QtDiagramsDialog(QDialog):
    """``loader(since, until)`` runs on a worker thread; ``tz`` is the zone of hours and days
    (``None``: the workstation's); ``clock`` gives "now" (tests pin it)."""

    sig_report = Signal()  # a newly loaded report is drawn, or loading failed

    def __init__(
        self,
        terminology: Terminology,
        loader: Loader,
        parent: QWidget | None = None,
        *,
        tz: tzinfo | None = None,
        clock: Callable[[], datetime] = utc_now,
        may_export: Callable[[], bool] = lambda: True,
        on_exported: Callable[[Path, str], None] = lambda path, tab: None,
    ) -> None:
        """``may_export()`` asks whether the person at the desk may export (PNG, CSV): the
        buttons are shown only then, checked each time the dialog is shown. ``on_exported``
        hears of each file written (the audit record of exports)."""
        super().__init__(parent)
        self.setObjectName("diagramsDialog")
        self.may_export = may_export
        self.on_exported = on_exported
        self.terms = terminology
        self.loader = loader
        self.tz = tz
        self.clock = clock
        self.report: StatsReport | None = None
        self.error: str | None = None
        self._reader = ReportLoader(self._read, self._period, self)
        self._reader.sig_loaded.connect(self._on_loaded)
        self._reader.sig_failed.connect(self._on_failed)
        self._build()
        self.resize(1000, 680)
        self.retranslate()

    # --- construction --------------------------------------------------------------------
    def _build(self) -> None:
        top = self._build_top()
        self.tabs = DiagramTabs(self.terms, self)
        # The tabs' parts, by the names the dialog has always offered.
        self.pages, self.granularity = self.tabs.pages, self.tabs.granularity
        self.legend = self.tabs.categories.legend
        self.heat_image, self.colour_bar = self.tabs.heat.image, self.tabs.heat.colour_bar
        for index, page in enumerate(self.pages):
            page.png_button.clicked.connect(lambda _=False, i=index: self._ask_png(i))
            page.csv_button.clicked.connect(lambda _=False, i=index: self._ask_csv(i))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.buttons)

    def _build_top(self) -> QHBoxLayout:
        self.period_label = QLabel(self)
        self.period = QComboBox(self, objectName="diagramPeriod")
        for _label, span in PERIODS:
            self.period.addItem("", span)
        self.period.currentIndexChanged.connect(self.reload)
        self.reload_button = QPushButton(self, objectName="diagramReload")
        self.reload_button.clicked.connect(self.reload)
        self.status = QLabel(self, objectName="diagramStatus", wordWrap=True)
        top = QHBoxLayout()
        top.addWidget(self.period_label)
        top.addWidget(self.period)
        top.addWidget(self.reload_button)
        top.addWidget(self.status, 1)
        return top

    # --- loading -------------------------------------------------------------------------
    def period_span(self) -> timedelta:
        return PERIODS[max(self.period.currentIndex(), 0)][1]

    def selected_granularity(self) -> Granularity:
        return self.tabs.selected_granularity()

    def is_loading(self) -> bool:
        return self._reader.is_loading()

    def reload(self) -> None:
        """Reads the chosen period again; one read at a time, the latest request wins."""
        self.error = None
        self._reader.request()
        self._show_status()

    def _period(self) -> tuple[datetime, datetime]:
        until = self.clock()
        return until - self.period_span(), until

    def _read(self, since: datetime, until: datetime) -> StatsReport:
        """Worker thread: read and aggregate; never touches a widget."""
        return summarise(self.loader(since, until), self.tz)

    @Slot(object)
    def _on_loaded(self, report: StatsReport) -> None:
        self.report, self.error = report, None
        self._show_report()

    @Slot(str)
    def _on_failed(self, message: str) -> None:
        self.report, self.error = None, message
        self._show_report()

    def _show_report(self) -> None:
        self._show_status()
        self._render()
        self.sig_report.emit()

    def stop(self) -> None:
        """Waits for a running read to end (the suite, and a long shift, allow no stray
        thread); anything it delivers later is ignored."""
        self._reader.stop()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not event.spontaneous():
            self.show_exports()
            self.reload()

    def show_exports(self) -> None:
        allowed = self.may_export()
        for page in self.pages:
            page.png_button.setVisible(allowed)
            page.csv_button.setVisible(allowed)

    def done(self, result: int) -> None:
        self.stop()
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.stop()
        super().closeEvent(event)

    # --- texts ---------------------------------------------------------------------------
    def retranslate(self) -> None:
        self.setWindowTitle(gettext("Diagrams"))
        self.period_label.setText(gettext("Period:"))
        for index, (label, _span) in enumerate(PERIODS):
            self.period.setItemText(index, str(label))
        self.reload_button.setText(gettext("Reload"))
        # Qt's own button texts need Qt's catalogs, which not every language has; ours always.
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(gettext("Close"))
        self.tabs.retranslate()
        self._show_status()
        self._render()

    def _show_status(self) -> None:
        if self.is_loading():
            text = gettext("Loading…")
        elif self.error is not None:
            text = gettext("Could not load the statistics: {reason}").format(
                reason=isolate(self.error)
            )
        elif self.report is None:
            text = ""
        else:
            text = period_summary(self.report)
        self.status.setText(text)

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    # --- drawing -------------------------------------------------------------------------
    def _render(self) -> None:
        self.tabs.draw(self.report)

    # --- export --------------------------------------------------------------------------
    def export_png(self, index: int, path: str | Path) -> Path:
        """The tab's figure (plot and note) as a PNG; ``OSError`` when it cannot be written."""
        return export.write_bytes(path, self.tabs.png(index))

    def csv_rows(self, index: int) -> export.Rows:
        report = self.report
        if report is None:
            raise RuntimeError("no statistics loaded yet")
        if index == CATEGORIES:
            return export.category_rows(report.categories(self.selected_granularity()), self.terms)
        if index == ACKNOWLEDGE:
            return export.ack_rows(report.ack)
        if index == SOURCES:
            return export.source_rows(report.sources)
        return export.heat_rows(report.heat)

    def export_csv(self, index: int, path: str | Path) -> Path:
        """The tab's numbers as CSV; ``OSError`` when the file cannot be written."""
        return export.write_csv(path, self.csv_rows(index))

    def _ask_png(self, index: int) -> None:
        self._ask(index, "png", gettext("PNG images (*.png)"), self.export_png)

    def _ask_csv(self, index: int) -> None:
        self._ask(index, "csv", gettext("CSV files (*.csv)"), self.export_csv)

    def _ask(
        self, index: int, suffix: str, filter_text: str, write: Callable[[int, Path], Path]
    ) -> None:
        if not self.may_export():
            return
        save_as(
            self,
            self._proposal(index, suffix),
            filter_text,
            lambda path: self._exported(write(index, path), index),
        )

    def _exported(self, path: Path, index: int) -> Path:
        self.on_exported(path, TABS[index][1])
        return path

    def _proposal(self, index: int, suffix: str) -> Path:
        """The tab's name and today's date in the operator's documents folder."""
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        stamp = self.clock().astimezone(self.tz).strftime("%Y-%m-%d")
        return Path(folder) / f"{TABS[index][1]}-{stamp}.{suffix}"
