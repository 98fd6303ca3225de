"""Fixtures for the whole suite.

Every test gets its own ``WATCHFLOOR_HOME`` (no test touches a real user's data), starts in
English, and fails if it leaves a thread or an active Qt timer behind: a leaked worker in a
24-hour console is a slow leak of CPU and memory, so the suite treats it as a bug.
"""

from __future__ import annotations

import gc
import os
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", "--no-sandbox --disable-gpu")

REPO = Path(__file__).resolve().parents[1]
SHARED_MEDIA = REPO.parent / "shared" / "media"
THREAD_GRACE_S = 3.0


@pytest.fixture(autouse=True)
def watchfloor_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("WATCHFLOOR_HOME", str(home))
    return home


@pytest.fixture(autouse=True)
def english() -> Iterator[None]:
    from i18n import set_language

    set_language("en")
    yield
    set_language("en")


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[object]:  # -> tests.postgres.PostgresServer
    """One real PostgreSQL for the session, on a free 127.0.0.1 port, data in a temporary
    folder. Skipped where PostgreSQL is not installed, except on CI, where a missing server
    would otherwise turn the shared-control-room tests silently into skips."""
    from tests.postgres import PostgresServer, unavailable_reason

    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests", pytrace=False)
        pytest.skip(reason)
    server = PostgresServer()
    try:
        server.start()
    except Exception:
        server.cleanup()
        raise
    yield server
    server.cleanup()


@pytest.fixture
def postgres_url(postgres_server) -> Iterator[str]:
    """A fresh, empty database of the session's server, as a SQLAlchemy URL."""
    if not postgres_server.running:  # a test that stopped it and failed before restarting
        postgres_server.start()
    name = postgres_server.create_database()
    yield postgres_server.url(name)
    postgres_server.drop_database(name)


@pytest.fixture
def record_store(tmp_path: Path):  # -> app.storage.RecordStore
    """A real, migrated SQLite store in the test's own folder, disposed afterwards."""
    from app.storage import RecordStore, create_engine_for, upgrade_schema

    engine = create_engine_for(f"sqlite:///{tmp_path / 'records.db'}")
    upgrade_schema(engine)
    yield RecordStore(engine)
    engine.dispose()


def _active_qt_timers() -> list[object]:
    if "PySide6.QtCore" not in sys.modules:
        return []
    import shiboken6
    from PySide6.QtCore import QTimer

    return [
        timer
        for timer in gc.get_objects()
        if isinstance(timer, QTimer) and shiboken6.isValid(timer) and timer.isActive()
    ]


def _may_run_qt_timers(request: pytest.FixtureRequest) -> bool:
    """Only the GUI tests (tests/gui, or a test asking for a QApplication) make Qt timers.
    Looking for timers walks every live object; after the GUI tests have filled the heap that
    cost every other test a quarter of a second, minutes over the suite."""
    return "gui" in request.node.path.parts or bool({"qtbot", "qapp"} & set(request.fixturenames))


@pytest.fixture(autouse=True)
def no_leaked_threads_or_timers(request: pytest.FixtureRequest) -> Iterator[None]:
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + THREAD_GRACE_S
    leaked = [t for t in threading.enumerate() if t not in before and t.is_alive()]
    while leaked and time.monotonic() < deadline:
        time.sleep(0.05)
        leaked = [t for t in leaked if t.is_alive()]
    timers = _active_qt_timers() if _may_run_qt_timers(request) else []
    problems = [f"thread {t.name!r}" for t in leaked]
    problems += [f"active QTimer {t!r} (parent {t.parent()!r})" for t in timers]
    if problems:
        for timer in timers:
            timer.stop()  # do not let one test's leak fail every later test
        pytest.fail("test left running: " + ", ".join(problems), pytrace=False)
