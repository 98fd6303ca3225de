"""Switching the UI language at run time.

``i18n.set_language`` changes our catalogs; this module makes Qt follow: it flips the layout
direction for right-to-left languages, loads Qt's own catalog (standard dialog buttons), and
re-installs a translator, which makes Qt send ``LanguageChange`` to every widget so that each
re-sets its texts.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, Qt, QTranslator
from PySide6.QtWidgets import QApplication

from i18n import is_rtl, set_language
from i18n.formatting import babel_locale

log = logging.getLogger(__name__)


class _ChangeNotifier(QTranslator):
    """Translates nothing (our strings go through gettext); installing it is what tells every
    widget to re-translate."""

    def translate(
        self, context: str, source: str, disambiguation: str | None = None, n: int = -1
    ) -> str:
        return ""

    def isEmpty(self) -> bool:
        return False


class LanguageSwitcher:
    def __init__(self, app: QApplication) -> None:
        self.app = app
        self._installed: list[QTranslator] = []

    def apply(self, code: str) -> None:
        set_language(code)
        QLocale.setDefault(QLocale(babel_locale(code)))
        direction = (
            Qt.LayoutDirection.RightToLeft if is_rtl(code) else Qt.LayoutDirection.LeftToRight
        )
        self.app.setLayoutDirection(direction)
        for translator in self._installed:
            QCoreApplication.removeTranslator(translator)
        self._installed = []
        qt_catalog = QTranslator(self.app)
        folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
        if qt_catalog.load(f"qtbase_{code}", folder):
            self._installed.append(qt_catalog)
        elif code != "en":
            log.info("Qt ships no catalog for %s; its standard buttons stay in English", code)
        self._installed.append(_ChangeNotifier(self.app))
        for translator in self._installed:
            QCoreApplication.installTranslator(translator)
