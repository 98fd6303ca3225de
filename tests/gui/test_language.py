"""Switching language at run time, as an operator does it: through the Language menu."""

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from tests.test_i18n import catalog
from widgets.application import Console


def translation(lang: str, message: str) -> str:
    return catalog(lang)[message].string


def test_language_menu_retranslates_the_open_window_and_flips_direction(
    console: Console, qtbot
) -> None:
    window = console.window
    window.language_actions["ar"].trigger()
    qtbot.waitUntil(lambda: window.docks["map"].windowTitle() == translation("ar", "Map"))
    assert QApplication.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.layoutDirection() == Qt.LayoutDirection.RightToLeft
    assert window.view_menu.title() == translation("ar", "&View")
    assert window.language_actions["ar"].isChecked()
    assert window.panels["timeline"].bar.live.text() == translation("ar", "Live")
    toggles = [a.text() for a in window.view_menu.actions() if a.isCheckable()]
    assert translation("ar", "Social feed") in toggles

    window.language_actions["fr"].trigger()
    qtbot.waitUntil(lambda: window.docks["timeline"].windowTitle() == translation("fr", "Timeline"))
    assert QApplication.layoutDirection() == Qt.LayoutDirection.LeftToRight

    window.language_actions["en"].trigger()
    qtbot.waitUntil(lambda: window.docks["map"].windowTitle() == "Map")
    assert window.windowTitle() == "Watchfloor: Operator"


def test_the_console_opens_in_the_configured_language(make_console) -> None:
    window = make_console(language="nb").window
    window.show()
    assert window.docks["sensors"].windowTitle() == translation("nb", "Sensors")
    assert window.windowTitle().startswith("Watchfloor")
