"""A real console (core on a SQLite file, bridge, window) for each GUI test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.settings import Settings
from widgets.application import Console, open_console
from widgets.layouts import LayoutStore
from widgets.web_engine import prepare_web_engine


def pytest_configure(config: pytest.Config) -> None:
    """Before pytest-qt makes the QApplication: QtWebEngine and the app:// scheme are set up
    once, at start, or the map page cannot load."""
    prepare_web_engine()


@pytest.fixture
def layouts(tmp_path: Path) -> LayoutStore:
    return LayoutStore(tmp_path / "layouts")


@pytest.fixture
def make_console(qapp: QApplication, qtbot, tmp_path: Path, layouts: LayoutStore):
    opened: list[Console] = []

    def make(
        role: str = "operator", language: str = "en", store: LayoutStore | None = None, **changes
    ) -> Console:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'console.db'}",
            role=role,
            language=language,
            demo=False,
            **changes,
        )
        console = open_console(qapp, settings, store or layouts)
        qtbot.addWidget(console.window)
        opened.append(console)
        return console

    yield make
    for console in opened:
        console.window.close()
        console.shutdown()
    # Leave the application as the next test expects it: English, left to right.
    if opened:
        opened[0].languages.apply("en")


@pytest.fixture
def console(make_console) -> Iterator[Console]:
    console = make_console()
    console.window.resize(1400, 900)
    console.window.show()
    yield console
