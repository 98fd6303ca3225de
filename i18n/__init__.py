"""Translation and locale formatting for every user-visible string.

Everything visible goes through ``_()``/``ngettext()`` so that a run-time language switch can
re-translate the open window. Class-level texts use ``lazy_gettext`` because they are evaluated at
import time, before any language is chosen. Dates and numbers go through Babel so that each
locale gets its own conventions (Arabic digits, decimal commas, ...).

This package imports nothing of ours: the core, the detectors and the widgets all depend on it.
"""

from i18n.catalogs import (
    DOMAIN,
    LANGUAGES,
    LOCALE_DIR,
    Language,
    add_language_listener,
    current_language,
    gettext,
    is_rtl,
    lazy_gettext,
    ngettext,
    remove_language_listener,
    set_language,
)
from i18n.formatting import (
    format_datetime,
    format_decimal,
    format_percent,
    format_time,
    isolate,
)

_ = gettext


def N_(message: str) -> str:
    """Marks a string for extraction without translating it (translated later, at use)."""
    return message


__all__ = [
    "DOMAIN",
    "LANGUAGES",
    "LOCALE_DIR",
    "N_",
    "Language",
    "_",
    "add_language_listener",
    "current_language",
    "format_datetime",
    "format_decimal",
    "format_percent",
    "format_time",
    "gettext",
    "is_rtl",
    "isolate",
    "lazy_gettext",
    "ngettext",
    "remove_language_listener",
    "set_language",
]
