"""Signing in, locking, handing over and what each person's window shows, on a real core
(SQLite file, demo accounts, Argon2) with the real bridge and windows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QDockWidget

from app.alerts.lifecycle import Action
from app.alerts.service import AlertCommand, AlertSnapshot
from app.bundled import read_text
from app.map.zones import SiteSnapshot
from app.model import Alert, Camera, Category, Detection, Priority, Status
from app.security.accounts import DEMO_PASSWORD
from app.security.model import PermissionRefused
from app.settings import Settings
from i18n import current_language
from tests.factories import alert, one_of_each
from tests.gui.conftest import seed_accounts
from widgets.application import Console, open_console, start_console
from widgets.layouts import LayoutStore
from widgets.qt_sign_in import QtSignInDialog
from widgets.shift_handover import ShiftHandover

WRONG = "The user name or the password is wrong."
DEADLINE_MS = 20_000  # Argon2 and a new window on a loaded 2-core machine


@pytest.fixture
def consoles(qapp: QApplication) -> Iterator[list[Console]]:
    opened: list[Console] = []
    yield opened
    for console in opened:
        if console.window is not None:
            console.window.closing = True
            console.window.close()
        console.shutdown()
    if opened:
        opened[0].languages.apply("en")


class Collector:
    """A hub subscriber (the hub holds subscribers weakly: keep this object alive)."""

    def __init__(self) -> None:
        self.items: list[Any] = []

    def take(self, batch) -> None:
        self.items.extend(batch)


def sign_in(qtbot, dialog: QtSignInDialog, name: str, password: str) -> None:
    dialog.username.setText(name)
    dialog.password.setText(password)
    qtbot.mouseClick(dialog.submit, Qt.MouseButton.LeftButton)


def test_sign_in_refuses_wrong_names_and_passwords_alike_then_admits(
    qtbot, qapp: QApplication, tmp_path: Path, consoles: list[Console]
) -> None:
    # The desk's own default database: the core seeds the demo accounts, the dialog says so.
    console = start_console(qapp, Settings(demo=False), LayoutStore(tmp_path))
    consoles.append(console)
    assert console.demo_accounts
    dialog = QtSignInDialog(console.core.security.sign_in, demo_hint=console.demo_accounts)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.hint.isVisible() and "viewer" in dialog.hint.text()

    sign_in(qtbot, dialog, "operator", "not the password")
    assert dialog.busy.isVisible() and not dialog.submit.isEnabled()  # checked off the GUI thread
    qtbot.waitUntil(lambda: dialog.error.isVisible(), timeout=DEADLINE_MS)
    assert dialog.error.text() == WRONG
    assert dialog.submit.isEnabled() and dialog.password.text() == ""

    sign_in(qtbot, dialog, "nobody-of-that-name", DEMO_PASSWORD)
    qtbot.waitUntil(lambda: not dialog.busy.isVisible(), timeout=DEADLINE_MS)
    assert dialog.error.text() == WRONG, "an unknown name is not told apart"

    with qtbot.waitSignal(dialog.accepted, timeout=DEADLINE_MS):
        sign_in(qtbot, dialog, "operator", DEMO_PASSWORD)
    assert dialog.principal is not None and dialog.principal.username == "operator"
    assert console.core.security.principal == dialog.principal


def test_no_demo_hint_on_a_database_given_in_the_settings(
    qtbot, qapp: QApplication, tmp_path: Path, consoles: list[Console]
) -> None:
    url = f"sqlite:///{tmp_path / 'given.db'}"
    seed_accounts(url)
    console = start_console(qapp, Settings(database_url=url, demo=False), LayoutStore(tmp_path))
    consoles.append(console)
    assert not console.demo_accounts


def test_the_sign_in_dialog_follows_a_language_chosen_on_it(
    qtbot, qapp: QApplication, tmp_path: Path, consoles: list[Console]
) -> None:
    console = start_console(qapp, Settings(demo=False), LayoutStore(tmp_path))
    consoles.append(console)
    dialog = QtSignInDialog(
        console.core.security.sign_in, on_language=console.languages.apply, demo_hint=True
    )
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.language.setCurrentIndex(dialog.language.findData("ar"))
    qtbot.waitUntil(lambda: dialog.layoutDirection() == Qt.LayoutDirection.RightToLeft)
    assert current_language() == "ar"
    assert dialog.language.currentData() == "ar"


def policy_locking_after(tmp_path: Path, minutes: float) -> str:
    text = read_text("security/policy.yaml")
    assert "lock_minutes: 10" in text
    path = tmp_path / "policy.yaml"
    path.write_text(text.replace("lock_minutes: 10", f"lock_minutes: {minutes}"))
    return str(path)


def test_an_unattended_console_locks_and_only_the_password_unlocks_it(
    make_console, qtbot, tmp_path: Path
) -> None:
    console = make_console(user="operator", policy_file=policy_locking_after(tmp_path, 0.03))
    window = console.window
    window.resize(1200, 800)
    window.show()
    lock = window.session_lock
    assert lock is not None
    qtbot.waitUntil(lambda: lock.locked, timeout=DEADLINE_MS)  # 1.8 s without input
    assert console.core.security.locked
    overlay = lock.overlay
    assert overlay.geometry() == window.rect()
    assert "Demo operator" in overlay.who.text()
    assert not any(d.isEnabled() for d in window.findChildren(QDockWidget))
    assert not window.menuBar().isEnabled()

    overlay.password.setText("wrong")
    qtbot.mouseClick(overlay.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: overlay.error.isVisible(), timeout=DEADLINE_MS)
    assert lock.locked and console.core.security.locked

    overlay.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(overlay.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not lock.locked, timeout=DEADLINE_MS)
    assert not console.core.security.locked
    assert all(d.isEnabled() for d in window.findChildren(QDockWidget))
    lock.idle.stop()  # the next lock would come in 1.8 s: not this test's business


def test_input_to_the_window_postpones_the_lock(make_console, qtbot, tmp_path: Path) -> None:
    console = make_console(user="operator", policy_file=policy_locking_after(tmp_path, 1))
    window = console.window
    window.show()
    qtbot.waitExposed(window)
    timer = window.session_lock.idle._timer
    assert timer.isActive() and timer.interval() == 60_000
    qtbot.waitUntil(lambda: timer.remainingTime() < 59_000, timeout=DEADLINE_MS)
    QTest.keyClick(window.windowHandle(), Qt.Key.Key_Shift)
    assert timer.remainingTime() > 59_000, "a key press restarts the count"
    assert not window.session_lock.locked


def test_ctrl_l_locks_at_once(make_console, qtbot) -> None:
    console = make_console(user="operator")
    window = console.window
    window.show()
    qtbot.waitExposed(window)
    window.lock_action.trigger()
    assert window.session_lock is not None and window.session_lock.locked
    assert console.core.security.locked
    window.close()
    assert window.isVisible(), "a passer-by cannot close a locked console"


def test_the_external_viewer_gets_only_their_panels_and_layout(
    qtbot, qapp: QApplication, tmp_path: Path, consoles: list[Console]
) -> None:
    url = f"sqlite:///{tmp_path / 'viewer.db'}"
    seed_accounts(url)
    console = open_console(
        qapp, Settings(database_url=url, demo=False), LayoutStore(tmp_path), "viewer", "demo"
    )
    consoles.append(console)
    window = console.window
    assert window is not None
    window.show()
    assert set(window.docks) == {"map", "alerts", "timeline", "legend"}
    assert window.role == "viewer"
    assert window.user_area is not None
    shown = window.user_area.label.text().replace("\u2068", "").replace("\u2069", "")
    assert shown == "Signed in as Demo external viewer (External viewer)"


def test_the_bridge_lets_through_only_alerts_routed_to_the_person(
    qtbot, qapp: QApplication, tmp_path: Path, consoles: list[Console]
) -> None:
    """The demo viewer's organisation (transport operator) is shared transport and
    infrastructure alerts up to P3; a security alert never reaches their panels."""
    url = f"sqlite:///{tmp_path / 'viewer.db'}"
    seed_accounts(url)
    console = open_console(
        qapp, Settings(database_url=url, demo=False), LayoutStore(tmp_path), "viewer", "demo"
    )
    consoles.append(console)
    received = Collector()
    snapshots = Collector()
    console.bridge.gui_hub.subscribe(Alert, received.take)
    console.bridge.gui_hub.subscribe(AlertSnapshot, snapshots.take)
    hidden = alert("security-1", status=Status.ACTUAL)
    shared = alert(
        "transport-1",
        status=Status.ACTUAL,
        category=Category.TRANSPORT,
        event_type="train-delay",
        priority=Priority.P2,
    )
    console.core.hub.publish(hidden, shared)
    console.core.hub.publish(AlertSnapshot((hidden, shared)))
    qtbot.waitUntil(lambda: bool(received.items) and bool(snapshots.items))
    assert [a.identifier for a in received.items] == ["transport-1"]
    assert [a.identifier for a in snapshots.items[-1].alerts] == ["transport-1"]
    queue = console.window.panels["alerts"].model
    qtbot.waitUntil(lambda: queue.rowCount() == 1)
    assert queue.alert_at(0).identifier == "transport-1"


def test_an_external_viewer_gets_no_camera_nor_what_cameras_saw(
    qtbot, qapp: QApplication, tmp_path: Path, consoles: list[Console]
) -> None:
    """The demo viewer's role names no camera: the map gets no camera, and no detection of a
    camera reaches a panel; an operator (every camera) gets both."""
    url = f"sqlite:///{tmp_path / 'cams.db'}"
    seed_accounts(url)
    settings = Settings(database_url=url, demo=False)
    records = one_of_each()
    camera = next(r for r in records if isinstance(r, Camera))
    detection = next(r for r in records if isinstance(r, Detection))
    seen: dict[str, Collector] = {}
    for user in ("viewer", "operator"):
        console = open_console(qapp, settings, LayoutStore(tmp_path / user), user, "demo")
        consoles.append(console)
        probe = seen[user] = Collector()
        console.bridge.gui_hub.subscribe(object, probe.take)
        site = SiteSnapshot((camera,), (), (), ())
        console.core.hub.publish(site, detection)
        qtbot.waitUntil(lambda p=probe: any(isinstance(m, SiteSnapshot) for m in p.items))
        console.window.close()
        console.shutdown()
        consoles.remove(console)
    viewer_site = next(m for m in seen["viewer"].items if isinstance(m, SiteSnapshot))
    assert viewer_site.cameras == ()
    assert not any(isinstance(m, Detection) for m in seen["viewer"].items)
    operator_site = next(m for m in seen["operator"].items if isinstance(m, SiteSnapshot))
    assert operator_site.cameras == (camera,)
    assert detection in seen["operator"].items


def test_a_refused_action_is_said_in_the_window(
    qtbot, qapp: QApplication, tmp_path: Path, consoles: list[Console]
) -> None:
    url = f"sqlite:///{tmp_path / 'viewer.db'}"
    seed_accounts(url)
    console = open_console(
        qapp, Settings(database_url=url, demo=False), LayoutStore(tmp_path), "viewer", "demo"
    )
    consoles.append(console)
    window = console.window
    window.show()
    refusals = Collector()
    console.bridge.gui_hub.subscribe(PermissionRefused, refusals.take)
    console.core.submit(AlertCommand(Action.ACKNOWLEDGE, "a-1", "viewer"))
    status = window.statusBar()
    qtbot.waitUntil(lambda: status.currentMessage() != "")
    assert status.currentMessage() == refusals.items[-1].message


def test_sign_out_hands_the_desk_to_the_next_person_with_their_own_layout(
    qtbot, qapp: QApplication, tmp_path: Path, consoles: list[Console]
) -> None:
    console = start_console(qapp, Settings(demo=False), LayoutStore(tmp_path))
    consoles.append(console)
    # Stored while nobody was signed in: each new window gets it from its starting picture.
    console.core.ingest.accept([alert("while-away", status=Status.ACTUAL)])
    quits: list[bool] = []
    handover = ShiftHandover(qapp, console, quit=lambda: quits.append(True))
    dialog = handover.ask()
    with qtbot.waitSignal(handover.sig_window_opened, timeout=DEADLINE_MS) as opened:
        sign_in(qtbot, dialog, "operator", DEMO_PASSWORD)
    first = opened.args[0]
    assert first.role == "operator"
    assert "exercise" not in first.docks and "audit" not in first.docks
    qtbot.waitUntil(lambda: first.panels["alerts"].model.rowCount() == 1, timeout=DEADLINE_MS)

    first.sig_sign_out_requested.emit()
    assert console.core.security.principal is None
    assert not first.isVisible() and console.window is None
    assert handover.dialog is not None and handover.dialog.isVisible()
    assert handover.dialog.username.text() == ""
    with qtbot.waitSignal(handover.sig_window_opened, timeout=DEADLINE_MS) as opened:
        sign_in(qtbot, handover.dialog, "trainer", DEMO_PASSWORD)
    second = opened.args[0]
    assert second.role == "trainer" and "exercise" in second.docks
    queue = second.panels["alerts"].model
    qtbot.waitUntil(lambda: queue.rowCount() == 1, timeout=DEADLINE_MS)
    assert queue.alert_at(0).identifier == "while-away"
    assert second.user_area is not None and "Demo trainer" in second.user_area.label.text()
    assert not quits, "a handover never quits the console"

    second.close()
    assert quits == [True], "closing the window quits"


def test_the_dialog_says_until_when_an_account_is_locked_out(
    qtbot, qapp: QApplication, tmp_path: Path, consoles: list[Console]
) -> None:
    console = start_console(qapp, Settings(demo=False), LayoutStore(tmp_path))
    consoles.append(console)
    dialog = QtSignInDialog(console.core.security.sign_in)
    qtbot.addWidget(dialog)
    dialog.show()
    failures = console.core.security.policy.lockout_failures
    for _ in range(failures):
        sign_in(qtbot, dialog, "analyst", "guess")
        qtbot.waitUntil(lambda: not dialog.busy.isVisible(), timeout=DEADLINE_MS)
    assert dialog.error.text().startswith("Too many failed sign-ins")
    sign_in(qtbot, dialog, "analyst", DEMO_PASSWORD)  # the right one, too late
    qtbot.waitUntil(lambda: not dialog.busy.isVisible(), timeout=DEADLINE_MS)
    assert dialog.error.text().startswith("Too many failed sign-ins")
    assert dialog.principal is None and console.core.security.principal is None
