"""Starting the console: the QApplication, the core, the window, and orderly shutdown."""

from __future__ import annotations

import gc
import getpass
import logging
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication

from app import paths
from app import settings as settings_module
from app.bundled import read_text
from app.gc_tuning import tune_for_long_runs
from app.runtime import Core
from app.settings import Settings
from i18n import current_language
from widgets.facade import PanelContext, Preferences
from widgets.language import LanguageSwitcher
from widgets.layouts import LayoutStore
from widgets.qt_main_window import QtMainWindow
from widgets.quit_signals import QuitOnSignals
from widgets.web_engine import prepare_web_engine
from widgets.workers import QtHubBridge

log = logging.getLogger(__name__)

EXIT_OK, EXIT_OUTPUT = 0, 4


def create_application() -> QApplication:
    prepare_web_engine()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    app.setApplicationName("Watchfloor")
    app.setOrganizationName("Watchfloor")
    app.setStyle("Fusion")
    app.setStyleSheet(read_text("style/console.qss"))
    return app


@dataclass
class Console:
    """One open console: what must be shut down together, in order."""

    core: Core
    bridge: QtHubBridge
    window: QtMainWindow
    languages: LanguageSwitcher

    def shutdown(self) -> None:
        self.core.stop()
        self.bridge.close()

    def dispose(self, app: QApplication) -> None:
        """Deletes the window and collects garbage while Qt is still alive, so Qt-backed
        objects are not left to the interpreter's final collection, whose order is not ours
        to choose."""
        self.window.deleteLater()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
        gc.collect()


def open_console(app: QApplication, settings: Settings, layouts: LayoutStore) -> Console:
    languages = LanguageSwitcher(app)
    languages.apply(settings.language)
    core = Core(settings)
    bridge = QtHubBridge(core.hub)
    context = PanelContext(
        bridge.gui_hub,
        core.hub,
        core.terms,
        commands=core.submit,
        # Until sign-in exists (security issue), the operator is the desktop session's user.
        operator=getpass.getuser(),
        preferences=Preferences(settings.alert_sound, settings.alert_flash),
        map_config=core.map_config,
        load_stats=core.stats.load,
        video=core.video,
    )
    window = QtMainWindow(context, settings.role, layouts)
    # Right after the window appears, before the first alert: see SymbolRenderer.warm_up.
    QTimer.singleShot(0, context.symbols.warm_up)
    bridge.setParent(window)
    window.sig_language_requested.connect(languages.apply)
    return Console(core, bridge, window, languages)


class NoDisplayError(RuntimeError):
    """The console was asked to open a window where there is no screen to open it on."""


def _require_display() -> None:
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise NoDisplayError(
            "no display to open the console on (neither DISPLAY nor WAYLAND_DISPLAY is set); "
            "run it in a desktop session, or use 'main.py screenshot' or 'main.py --headless'"
        )


def run_gui(settings: Settings, settings_path: Path | None = None) -> int:
    _require_display()
    app = create_application()
    console = open_console(app, settings, LayoutStore(paths.data_dir()))
    quit_signals = QuitOnSignals(app)
    tune_for_long_runs()
    console.window.show()
    console.core.start()
    try:
        code = app.exec()
    finally:
        console.shutdown()
        quit_signals.restore()
        console.dispose(app)
    try:
        settings_module.remember_choices(current_language(), console.window.role, settings_path)
    except OSError as exc:
        log.error("Could not save settings: %s", exc)
    return code


def take_screenshot(settings: Settings, out: Path, size: tuple[int, int], wait_s: float) -> int:
    """Opens the window offscreen on the role's default layout, lets the sources run, saves a
    PNG. The operator's own saved layout is neither used nor changed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out.parent.mkdir(parents=True, exist_ok=True)  # fails early, with a clear OSError
    app = create_application()
    with tempfile.TemporaryDirectory(prefix="watchfloor-shot-") as scratch:
        console = open_console(app, settings, LayoutStore(Path(scratch)))
        console.window.resize(*size)
        console.window.show()
        console.core.start()
        saved: list[bool] = []

        def grab() -> None:
            try:
                saved.append(console.window.grab().save(str(out), "PNG"))
            finally:
                console.window.close()

        QTimer.singleShot(int(wait_s * 1000), grab)
        try:
            app.exec()
        finally:
            console.shutdown()
            console.dispose(app)
    if not saved or not saved[0]:
        log.error("Could not write the screenshot to %s", out)
        return EXIT_OUTPUT
    log.info("Saved %s", out)
    return EXIT_OK
