"""A real console (core on a SQLite file, bridge, window) for each GUI test, with a person
signed in (by default the demo supervisor, who sees every panel)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from app.security.accounts import DEMO_PASSWORD, AccountStore, seed_demo_accounts
from app.settings import Settings
from app.storage import RecordStore, create_engine_for, upgrade_schema
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


def seed_accounts(database_url: str) -> None:
    """The demo accounts (password "demo"), which the core itself adds only to a desk's own
    default database, added to a test's database."""
    engine = create_engine_for(database_url)
    try:
        upgrade_schema(engine)
        seed_demo_accounts(AccountStore(RecordStore(engine)))
    finally:
        engine.dispose()


@pytest.fixture
def make_console(qapp: QApplication, qtbot, tmp_path: Path, layouts: LayoutStore):
    opened: list[Console] = []

    def make(
        role: str = "operator",
        language: str = "en",
        store: LayoutStore | None = None,
        user: str = "supervisor",
        **changes,
    ) -> Console:
        """``role`` is the layout the window opens on, whoever ``user`` is."""
        settings = Settings(
            database_url=f"sqlite:///{tmp_path / 'console.db'}",
            role=role,
            language=language,
            demo=False,
            **changes,
        )
        seed_accounts(settings.database_url)
        console = open_console(qapp, settings, store or layouts, user, DEMO_PASSWORD, layout=role)
        qtbot.addWidget(console.window)
        opened.append(console)
        return console

    yield make
    for console in opened:
        console.window.closing = True  # as the application does: a locked window closes too
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
