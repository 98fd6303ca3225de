"""Locale-aware formatting of times and numbers through Babel, in the active UI language."""

from __future__ import annotations

from datetime import datetime, tzinfo

from babel import dates, numbers

from i18n.catalogs import current_language

# Babel wants territory-qualified locales for some formats; Bokmål's CLDR code is "nb".
FIRST_STRONG_ISOLATE = "\u2068"
POP_DIRECTIONAL_ISOLATE = "\u2069"

_BABEL_LOCALES = {"en": "en_GB", "nb": "nb_NO", "it": "it_IT", "fr": "fr_FR", "ar": "ar"}


def babel_locale(code: str | None = None) -> str:
    return _BABEL_LOCALES.get(code or current_language(), "en_GB")


def format_datetime(value: datetime, fmt: str = "medium", tz: tzinfo | None = None) -> str:
    return dates.format_datetime(value, format=fmt, tzinfo=tz, locale=babel_locale())


def format_time(value: datetime, fmt: str = "medium", tz: tzinfo | None = None) -> str:
    return dates.format_time(value, format=fmt, tzinfo=tz, locale=babel_locale())


def format_decimal(value: float, fmt: str | None = None) -> str:
    return numbers.format_decimal(value, format=fmt, locale=babel_locale())


def format_percent(fraction: float) -> str:
    """A 0..1 fraction as the locale writes a percentage (``87 %`` in Norwegian and French)."""
    return numbers.format_percent(fraction, locale=babel_locale())


def isolate(text: str) -> str:
    """Wraps a value inserted into a sentence in Unicode isolates, so that a Latin identifier or
    a number inside Arabic text keeps its own direction and does not reorder the words around
    it."""
    return f"{FIRST_STRONG_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"
