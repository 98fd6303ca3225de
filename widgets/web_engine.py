"""QtWebEngine set-up that must happen before the QApplication exists.

Chromium reads its flags and Qt its custom URL schemes once, at start: importing QtWebEngine
and registering ``app://`` late makes the map page fail to load (or crash at exit in tests).
``prepare_web_engine`` is therefore called by every entry point before any QApplication.
"""

from __future__ import annotations

import os

from PySide6 import QtWebEngineWidgets  # noqa: F401  (must be imported before QApplication)
from PySide6.QtWebEngineCore import QWebEngineUrlScheme

from app.map.page import SCHEME

_prepared = False


def chromium_flags() -> str:
    """The flags this machine needs: no GPU process (control-room PCs and CI often have no
    usable GL), and no sandbox only when running as root, where Chromium refuses to start."""
    flags = ["--disable-gpu"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        flags.append("--no-sandbox")
    return " ".join(flags)


def prepare_web_engine() -> None:
    global _prepared
    if _prepared:
        return
    os.environ.setdefault("QTWEBENGINE_CHROMIUM_FLAGS", chromium_flags())
    scheme = QWebEngineUrlScheme(SCHEME.encode())
    scheme.setSyntax(QWebEngineUrlScheme.Syntax.Host)
    scheme.setFlags(
        QWebEngineUrlScheme.Flag.SecureScheme
        | QWebEngineUrlScheme.Flag.LocalAccessAllowed
        | QWebEngineUrlScheme.Flag.CorsEnabled
        | QWebEngineUrlScheme.Flag.FetchApiAllowed
    )
    QWebEngineUrlScheme.registerScheme(scheme)
    _prepared = True
