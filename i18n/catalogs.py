"""The active message catalog and the languages the console ships.

One process-wide language: a control-room workstation shows one language at a time, and every
thread (workers formatting log lines or report text) must agree on it.
"""

from __future__ import annotations

import gettext as _gettext
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

DOMAIN = "watchfloor"
LOCALE_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True, slots=True)
class Language:
    """A shipped UI language; ``native_name`` is shown in the menu in the language itself."""

    code: str
    native_name: str
    rtl: bool = False


LANGUAGES: dict[str, Language] = {
    lang.code: lang
    for lang in (
        Language("en", "English"),
        Language("nb", "Norsk bokmål"),
        Language("it", "Italiano"),
        Language("fr", "Français"),
        Language("ar", "العربية", rtl=True),
    )
}

_lock = threading.Lock()
_current = "en"
_translation: _gettext.NullTranslations = _gettext.NullTranslations()
_listeners: list[Callable[[str], None]] = []


def _load(code: str) -> _gettext.NullTranslations:
    try:
        return _gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[code])
    except OSError:
        if code != "en":
            log.warning("No compiled catalog for language %r; showing English", code)
        return _gettext.NullTranslations()


def set_language(code: str) -> None:
    """Switches the process language and tells every listener (the GUI re-translates)."""
    global _current, _translation
    if code not in LANGUAGES:
        raise ValueError(f"unsupported language {code!r}; choose one of {', '.join(LANGUAGES)}")
    translation = _load(code)
    with _lock:
        _current, _translation = code, translation
        listeners = list(_listeners)
    for listener in listeners:
        listener(code)


def current_language() -> str:
    return _current


def is_rtl(code: str | None = None) -> bool:
    return LANGUAGES[code or _current].rtl


def add_language_listener(listener: Callable[[str], None]) -> None:
    with _lock:
        _listeners.append(listener)


def remove_language_listener(listener: Callable[[str], None]) -> None:
    with _lock:
        if listener in _listeners:
            _listeners.remove(listener)


def gettext(message: str) -> str:
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)


class LazyString:
    """A message translated each time it is turned into text, so class attributes follow the
    language chosen at run time rather than the one active at import."""

    __slots__ = ("message",)

    def __init__(self, message: str) -> None:
        self.message = message

    def __str__(self) -> str:
        return gettext(self.message)

    def __repr__(self) -> str:
        return f"LazyString({self.message!r})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, LazyString):
            return self.message == other.message
        return str(self) == other

    def __hash__(self) -> int:
        return hash(self.message)

    def format(self, *args: object, **kwargs: object) -> str:
        return str(self).format(*args, **kwargs)


def lazy_gettext(message: str) -> LazyString:
    return LazyString(message)
