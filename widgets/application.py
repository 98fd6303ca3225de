"""Starting the console: the QApplication, the core, sign-in, the window, and orderly shutdown.

The core starts before anyone signs in and runs until the application quits: sources keep
being stored and alerts raised while the sign-in dialog waits, and across a shift handover.
A window belongs to one signed-in person: it is built for their roles (panels, layout) and
closed when they sign out; the next person gets a window of their own.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from PySide6.QtCore import QEvent, QTimer
from PySide6.QtWidgets import QApplication

from app import paths
from app import settings as settings_module
from app.bundled import read_text
from app.gc_tuning import tune_for_long_runs
from app.runtime import Core
from app.security.accounts import DEMO_PASSWORD
from app.security.model import Principal
from app.settings import Settings
from app.starting_picture import starting_picture
from app.visibility import VisibilityFilter
from i18n import current_language
from widgets.facade import PanelContext, Preferences
from widgets.language import LanguageSwitcher
from widgets.layouts import LayoutStore
from widgets.qt_main_window import QtMainWindow
from widgets.quit_signals import QuitOnSignals
from widgets.roles import layout_for
from widgets.web_engine import prepare_web_engine
from widgets.workers import QtHubBridge

log = logging.getLogger(__name__)

EXIT_OK, EXIT_CONFIG, EXIT_OUTPUT = 0, 3, 4


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
    """One running console: the core and its bridge for the whole run, and the window of the
    person signed in now (``None`` between two people)."""

    core: Core
    bridge: QtHubBridge
    languages: LanguageSwitcher
    layouts: LayoutStore
    layout_hint: str = ""  # settings.role: the layout last used, if the next person has it
    demo_accounts: bool = False
    window: QtMainWindow | None = None
    _pictures: list[threading.Thread] = field(default_factory=list)

    def shutdown(self) -> None:
        for thread in self._pictures:
            thread.join(10)
        self.core.security.sign_out()  # audited: the desk is left signed out
        self.core.stop()
        self.bridge.close()

    def dispose(self, app: QApplication) -> None:
        """Deletes the window and collects garbage while Qt is still alive, so Qt-backed
        objects are not left to the interpreter's final collection, whose order is not ours
        to choose."""
        if self.window is not None:
            self.window.deleteLater()
        self.bridge.deleteLater()
        app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        app.processEvents()
        gc.collect()

    def load_starting_picture(self) -> None:
        """Fills a window opened while the core already runs (see app/starting_picture.py):
        read off the GUI thread, handed to the panels through the visibility filter."""
        self._pictures = [t for t in self._pictures if t.is_alive()]
        self.core.incidents.resynchronise()
        thread = threading.Thread(
            target=lambda: self.bridge.deliver(starting_picture(self.core.store, self.core.unmask)),
            name="starting-picture",
            daemon=True,
        )
        self._pictures.append(thread)
        thread.start()


def start_console(app: QApplication, settings: Settings, layouts: LayoutStore) -> Console:
    """The language, the core and the bridge; no window until someone signs in."""
    languages = LanguageSwitcher(app)
    languages.apply(settings.language)
    core = Core(settings)
    # Every batch is judged for the person signed in when it reaches the GUI thread.
    bridge = QtHubBridge(core.hub, visible=VisibilityFilter(core.security))
    return Console(core, bridge, languages, layouts, settings.role, core.demo_accounts)


def open_window(console: Console, principal: Principal, layout: str | None = None) -> QtMainWindow:
    """The window for ``principal``: their panels, on ``layout`` or their role's layout, with
    their own saved arrangement."""
    core = console.core
    context = PanelContext(
        console.bridge.gui_hub,
        core.hub,
        core.terms,
        commands=core.submit,
        operator=principal.username,
        preferences=Preferences(core.settings.alert_sound, core.settings.alert_flash),
        map_config=core.map_config,
        load_stats=core.stats.load,
        video=core.video,
        principal=principal,
        permits=core.security.permits,
        unmask_rules=core.security.policy.unmask,
        audit=core.audit,
        audit_event=lambda action, target, detail: core.audit_event(action, target, detail),
    )
    window = QtMainWindow(
        context,
        layout or layout_for(principal, console.layout_hint),
        console.layouts.for_user(principal.username),
        session=core.security,
    )
    # Right after the window appears, before the first alert: see SymbolRenderer.warm_up.
    QTimer.singleShot(0, context.symbols.warm_up)
    window.sig_language_requested.connect(console.languages.apply)
    window.sig_language_requested.connect(lambda code: core.audit_event("setting.language", code))
    console.window = window
    return window


def open_console(
    app: QApplication,
    settings: Settings,
    layouts: LayoutStore,
    user: str,
    password: str,
    layout: str | None = None,
) -> Console:
    """A console with ``user`` signed in and their window built, the core not yet started.
    Signs in on the calling thread: for screenshots and tests, where nobody waits on a
    window (the interactive console signs in through ``QtSignInDialog``, off the GUI thread).
    Raises the core's ``SignInError``."""
    console = start_console(app, settings, layouts)
    try:
        principal = console.core.security.sign_in(user, password)
    except Exception:
        console.shutdown()
        raise
    open_window(console, principal, layout)
    return console


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


def run_gui(settings: Settings, settings_path: Path | None = None, username: str = "") -> int:
    """The interactive console: the core starts at once, then the sign-in dialog asks who is
    at the desk (``username`` pre-filled)."""
    from widgets.shift_handover import ShiftHandover  # it builds on this module

    _require_display()
    app = create_application()
    app.setQuitOnLastWindowClosed(False)  # a handover closes one window before the next opens
    console = start_console(app, settings, LayoutStore(paths.data_dir()))
    quit_signals = QuitOnSignals(app)
    tune_for_long_runs()
    console.core.start()
    handover = ShiftHandover(app, console, username)
    handover.ask()
    try:
        code = app.exec()
    finally:
        if console.window is not None and console.window.isVisible():
            console.window.closing = True
            console.window.close()
        console.shutdown()
        quit_signals.restore()
        console.dispose(app)
    try:
        settings_module.remember_choices(current_language(), handover.last_layout, settings_path)
    except OSError as exc:
        log.error("Could not save settings: %s", exc)
    return code


def screenshot_password(console: Console) -> str | None:
    """WATCHFLOOR_PASSWORD, else the demo password where the demo accounts are in use."""
    password = os.environ.get("WATCHFLOOR_PASSWORD")
    if password:
        return password
    return DEMO_PASSWORD if console.demo_accounts else None


# Without --user, a screenshot of a layout on the demo signs in the demo account of that role.
DEMO_USER_FOR_LAYOUT = {
    "operator": "operator",
    "commander": "commander",
    "trainer": "trainer",
    "viewer": "viewer",
}


def take_screenshot(
    settings: Settings,
    out: Path,
    size: tuple[int, int],
    wait_s: float,
    user: str = "",
    layout: str | None = None,
) -> int:
    """Opens the window offscreen for ``user`` (their role's layout, or ``layout``), lets the
    sources run, saves a PNG. The person's own saved layout is neither used nor changed."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    out.parent.mkdir(parents=True, exist_ok=True)  # fails early, with a clear OSError
    app = create_application()
    with tempfile.TemporaryDirectory(prefix="watchfloor-shot-") as scratch:
        console = start_console(app, settings, LayoutStore(Path(scratch)))
        name = user or (DEMO_USER_FOR_LAYOUT[layout or "operator"] if console.demo_accounts else "")
        password = screenshot_password(console)
        if not name or password is None:
            log.error(
                "A screenshot needs someone signed in: give --user, and the password in "
                "WATCHFLOOR_PASSWORD"
            )
            console.shutdown()
            return EXIT_CONFIG
        try:
            principal = console.core.security.sign_in(name, password)
        except Exception as exc:
            log.error("Cannot sign in %s for the screenshot: %s", name, exc)
            console.shutdown()
            return EXIT_CONFIG
        window = open_window(console, principal, layout)
        window.resize(*size)
        window.show()
        console.core.start()
        saved: list[bool] = []

        def grab() -> None:
            try:
                saved.append(window.grab().save(str(out), "PNG"))
            finally:
                window.close()

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
