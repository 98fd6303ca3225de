"""The Diagrams dialog over a real store: background loading, the four plots, PNG and CSV
export, a failing loader, closing mid-load, and Arabic."""

from __future__ import annotations

import csv
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from app.model import AlertAction, Category, GeoPoint, Status
from app.stats import StatsInput
from app.stats.source import AlertStatsSource
from app.storage import RecordStore, StorageError, create_engine_for, upgrade_schema
from app.terminology import default_terminology
from i18n import gettext
from tests.factories import alert
from tests.test_i18n import catalog
from widgets.language import LanguageSwitcher
from widgets.qt_diagrams import ACKNOWLEDGE, CATEGORIES, HEAT, SOURCES, TABS, QtDiagramsDialog

OSLO = ZoneInfo("Europe/Oslo")
NOW = datetime(2026, 6, 20, 18, 0, tzinfo=UTC)
TERMS = default_terminology()
CELLS = (GeoPoint(59.9118, 10.7332), GeoPoint(59.9200, 10.7500), GeoPoint(59.9300, 10.7700))
CATEGORY_CYCLE = (Category.SECURITY, Category.FIRE, Category.HEALTH)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def records() -> list[object]:
    """36 alerts over the last day from 12 tools (tool-00 busiest), in three places and three
    categories; every other alert acknowledged after 1 to 18 minutes."""
    saved: list[object] = []
    for i in range(36):
        sent = NOW - timedelta(minutes=20 + 37 * i)
        item = alert(
            f"a-{i:02d}",
            sent=sent,
            category=CATEGORY_CYCLE[i % 3],
            source_tool=f"tool-{min(i, 11):02d}" if i < 12 else "tool-00",
            point=CELLS[i % 3],
            area=None,
            status=Status.ACTUAL,
        )
        saved.append(item)
        if i % 2 == 0:
            saved.append(
                AlertAction(
                    identifier=f"ack-{i}",
                    alert_identifier=item.identifier,
                    action="acknowledge",
                    by="op-1",
                    time=sent + timedelta(minutes=1 + i // 2),
                )
            )
    saved.append(alert("old", sent=NOW - timedelta(days=3)))  # outside the last 24 hours
    return saved


@pytest.fixture
def store(tmp_path: Path) -> RecordStore:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'diagrams.db'}")
    upgrade_schema(engine)
    store = RecordStore(engine)
    store.save(records())
    return store


@pytest.fixture
def make_dialog(qtbot) -> Iterator:
    opened: list[QtDiagramsDialog] = []

    def make(loader) -> QtDiagramsDialog:
        dialog = QtDiagramsDialog(TERMS, loader, tz=OSLO, clock=lambda: NOW)
        qtbot.addWidget(dialog)
        dialog.resize(1000, 680)
        opened.append(dialog)
        return dialog

    yield make
    for dialog in opened:
        dialog.close()


def loaded(qtbot, dialog: QtDiagramsDialog) -> QtDiagramsDialog:
    dialog.show()
    qtbot.waitUntil(lambda: dialog.report is not None and not dialog.is_loading())
    return dialog


def bars(dialog: QtDiagramsDialog, index: int) -> list[pg.BarGraphItem]:
    items = dialog.pages[index].plot.getPlotItem().items
    return [item for item in items if isinstance(item, pg.BarGraphItem)]


def read_csv(path: Path) -> list[list[str]]:
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def test_loading_runs_off_the_gui_thread_and_says_so_meanwhile(qtbot, store, make_dialog):
    release = threading.Event()
    threads: list[threading.Thread] = []

    def slow(since: datetime, until: datetime) -> StatsInput:
        threads.append(threading.current_thread())
        release.wait(10)
        return AlertStatsSource(store).load(since, until)

    dialog = make_dialog(slow)
    dialog.show()
    assert dialog.status.text() == "Loading…"
    qtbot.waitUntil(lambda: bool(threads))
    # The database is "busy": the GUI thread is free (this line runs) and still says so.
    assert threads[0] is not threading.main_thread()
    assert dialog.report is None and dialog.status.text() == "Loading…"
    release.set()
    qtbot.waitUntil(lambda: dialog.report is not None)
    assert dialog.report.total == 36
    assert dialog.status.text().startswith("36 alerts sent from")


def test_every_tab_shows_the_period(qtbot, store, make_dialog):
    dialog = loaded(qtbot, make_dialog(AlertStatsSource(store).load))
    categories = bars(dialog, CATEGORIES)
    assert len(categories) == 3  # one stacked layer per category that occurs
    assert sum(float(b.opts["height"].sum()) for b in categories) == 36
    legend = [label.text for _, label in dialog.legend.items]
    # CAP order, not the order the alerts came in.
    assert legend == [TERMS.category_name(c) for c in (Category.SECURITY, Category.FIRE)] + [
        TERMS.category_name(Category.HEALTH)
    ]
    (ack,) = bars(dialog, ACKNOWLEDGE)
    assert float(ack.opts["height"].sum()) == 18
    assert "18 alerts were never acknowledged" in dialog.pages[ACKNOWLEDGE].note.text()
    (sources,) = bars(dialog, SOURCES)
    assert list(sources.opts["width"]) == [25.0] + [1.0] * 9
    assert "2 alerts from 2 other sources" in dialog.pages[SOURCES].note.text()
    assert dialog.heat_image.image.shape == (3, 24)
    assert dialog.heat_image.image.sum() == 36

    dialog.granularity.setCurrentIndex(1)  # per day
    daily = bars(dialog, CATEGORIES)
    assert len(daily[0].opts["height"]) == 2  # the last 24 hours touch two local days


def test_png_export_writes_real_images(qtbot, store, make_dialog, tmp_path: Path):
    dialog = loaded(qtbot, make_dialog(AlertStatsSource(store).load))
    for index in range(len(TABS)):
        path = dialog.export_png(index, tmp_path / f"tab-{index}.png")
        data = path.read_bytes()
        assert data.startswith(PNG_SIGNATURE) and len(data) > 5_000
        image = QImage(str(path))
        assert image.width() >= 400 and image.height() >= 250
        grid = [(x, y) for x in range(0, image.width(), 5) for y in range(0, image.height(), 5)]
        colours = {image.pixel(x, y) for x, y in grid}
        assert len(colours) > 10, f"tab {index} exported a blank image"


def test_csv_export_writes_the_numbers(qtbot, store, make_dialog, tmp_path: Path):
    dialog = loaded(qtbot, make_dialog(AlertStatsSource(store).load))
    categories = read_csv(dialog.export_csv(CATEGORIES, tmp_path / "c.csv"))
    assert categories[0][:2] == ["Period start (local time)", "UTC offset"]
    assert sum(int(row[-1]) for row in categories[1:]) == 36
    assert {row[1] for row in categories[1:]} == {"+02:00"}
    ack = read_csv(dialog.export_csv(ACKNOWLEDGE, tmp_path / "a.csv"))
    assert ack[-1] == ["Never acknowledged", "", "18"]
    assert sum(int(row[2]) for row in ack[1:-1]) == 18
    sources = read_csv(dialog.export_csv(SOURCES, tmp_path / "s.csv"))
    assert sources[:2] == [["Source", "Alerts"], ["tool-00", "25"]]
    assert sources[-1] == ["2 other sources", "2"]
    heat = read_csv(dialog.export_csv(HEAT, tmp_path / "h.csv"))
    assert len(heat) == 4 and {row[-1] for row in heat[1:]} == {"12"}


def test_a_failing_loader_is_reported_and_the_dialog_stays_usable(
    qtbot, store, make_dialog, tmp_path: Path
):
    calls: list[int] = []

    def flaky(since: datetime, until: datetime) -> StatsInput:
        calls.append(1)
        if len(calls) == 1:
            raise StorageError("the database is read-only")
        return AlertStatsSource(store).load(since, until)

    dialog = make_dialog(flaky)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.error is not None)
    assert "the database is read-only" in dialog.status.text()
    assert dialog.status.text().startswith("Could not load the statistics")
    assert not dialog.pages[SOURCES].csv_button.isEnabled()
    with pytest.raises(RuntimeError):
        dialog.export_csv(SOURCES, tmp_path / "nothing.csv")

    with qtbot.waitSignal(dialog.sig_report):
        dialog.reload_button.click()
    assert dialog.error is None and dialog.report is not None and dialog.report.total == 36
    assert dialog.pages[SOURCES].csv_button.isEnabled()


def test_an_export_that_cannot_be_written_raises_oserror(qtbot, store, make_dialog, tmp_path):
    dialog = loaded(qtbot, make_dialog(AlertStatsSource(store).load))
    with pytest.raises(OSError):
        dialog.export_png(HEAT, tmp_path / "no-such-folder" / "x.png")
    with pytest.raises(OSError):
        dialog.export_csv(HEAT, tmp_path / "no-such-folder" / "x.csv")


def test_closing_mid_load_waits_for_the_worker_and_ignores_its_answer(qtbot, store, make_dialog):
    started, release = threading.Event(), threading.Event()
    workers: list[threading.Thread] = []

    def slow(since: datetime, until: datetime) -> StatsInput:
        workers.append(threading.current_thread())
        started.set()
        release.wait(10)
        return AlertStatsSource(store).load(since, until)

    dialog = make_dialog(slow)
    dialog.show()
    qtbot.waitUntil(started.is_set)
    opener = threading.Timer(0.1, release.set)  # the database answers while close() waits
    opener.start()
    dialog.close()
    opener.join()
    assert not workers[0].is_alive() and not dialog.is_loading()
    QApplication.processEvents()
    assert dialog.report is None  # the late answer was for a closed dialog


def test_switching_to_arabic_relabels_the_diagrams(qtbot, qapp, store, make_dialog, tmp_path: Path):
    dialog = loaded(qtbot, make_dialog(AlertStatsSource(store).load))
    english_tabs = [dialog.tabs.tabText(i) for i in range(len(TABS))]
    assert english_tabs == [str(title) for title, _ in TABS]
    languages = LanguageSwitcher(qapp)
    ar = catalog("ar")

    def arabic(msgid: str) -> str:
        message = ar.get(msgid)
        return message.string if message is not None and message.string else msgid

    try:
        languages.apply("ar")
        alerts_label = arabic("Alerts")
        axis = dialog.pages[CATEGORIES].plot.getPlotItem().getAxis("left")
        qtbot.waitUntil(lambda: axis.labelText == alerts_label)
        assert alerts_label != "Alerts"
        legend = {label.text for _, label in dialog.legend.items}
        assert legend == {TERMS.category_name(c) for c in CATEGORY_CYCLE}
        assert TERMS.category_name(Category.SECURITY) == arabic("Security") != "Security"
        assert [dialog.tabs.tabText(i) for i in range(len(TABS))] == [
            arabic(title.message) for title, _ in TABS
        ]
        assert dialog.tabs.tabText(0) == gettext("Alerts by category")
        assert dialog.layoutDirection() == Qt.LayoutDirection.RightToLeft
        # The plots keep reading left to right: time and counts grow the same way as in print.
        assert dialog.pages[CATEGORIES].plot.layoutDirection() == Qt.LayoutDirection.LeftToRight
        png = dialog.export_png(HEAT, tmp_path / "heat-ar.png")
        assert png.read_bytes().startswith(PNG_SIGNATURE)
    finally:
        languages.apply("en")
    qtbot.waitUntil(lambda: dialog.tabs.tabText(0) == "Alerts by category")
