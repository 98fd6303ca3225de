"""The catalogs: complete for every shipped language, compiled, and used at run time."""

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

import i18n
from app.terminology import default_terminology
from tests.conftest import REPO

TRANSLATED = ["nb", "it", "fr", "ar"]
PLACEHOLDER = re.compile(r"\{\w+\}")
SOURCES = ["app", "detectors", "widgets", "resources"]


def catalog(lang: str):
    with open(i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.po", "rb") as handle:
        return read_po(handle, locale=lang)


def extracted_messages() -> set[str]:
    """What the code asks to translate now, found exactly as ``make i18n`` finds it."""
    with open(REPO / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None}
    found: set[str] = set()
    for folder in SOURCES:
        for _file, _line, message, _comments, _context in extract_from_dir(
            REPO / folder, method_map, options_map, keywords=keywords
        ):
            found.add(message[0] if isinstance(message, tuple) else message)
    return found


def test_extraction_finds_the_user_visible_strings() -> None:
    messages = extracted_messages()
    assert {"Map", "&File", "Knife detected", "{count} other source"} <= messages
    assert set(default_terminology().msgids()) <= messages


@pytest.mark.parametrize("lang", ["en", *TRANSLATED])
def test_every_message_in_the_code_is_in_the_catalog(lang: str) -> None:
    ids = {m.id[0] if isinstance(m.id, tuple) else m.id for m in catalog(lang) if m.id}
    missing = sorted(extracted_messages() - ids)
    assert missing == [], f"run 'make i18n' and translate: {missing}"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_every_message_is_translated_with_the_same_placeholders(lang: str) -> None:
    problems = []
    for message in catalog(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        # A plural form may follow the singular ("per day") or the plural ("per {days} days"):
        # which form a language uses for which count is its own business.
        allowed = [set(PLACEHOLDER.findall(i)) for i in ids]
        if message.fuzzy or not all(strings):
            problems.append(f"untranslated or fuzzy: {ids[0]!r}")
        problems += [
            f"placeholders differ in {s!r}"
            for s in strings
            if set(PLACEHOLDER.findall(s)) not in allowed
        ]
        if "&" in ids[0] and strings[0].count("&") != 1:
            problems.append(f"menu mnemonic lost in {strings[0]!r}")
    assert problems == []


@pytest.mark.parametrize("lang", ["en", *TRANSLATED])
def test_compiled_catalogs_are_not_stale(lang: str) -> None:
    compiled = i18n.LOCALE_DIR / lang / "LC_MESSAGES" / f"{i18n.DOMAIN}.mo"
    assert compiled.exists(), "run 'make i18n' to compile the catalogs"
    fresh = io.BytesIO()
    write_mo(fresh, catalog(lang))
    fresh.seek(0)
    with open(compiled, "rb") as handle:
        shipped = read_mo(handle)
    expected = read_mo(fresh)
    assert _entries(shipped) == _entries(expected), "the .mo is older than its .po: make i18n"


def _entries(compiled) -> dict:
    """Message id to translation; plural ids and forms come back as lists, so make them keys."""
    as_key = lambda value: tuple(value) if isinstance(value, list) else value  # noqa: E731
    return {as_key(m.id): as_key(m.string) for m in compiled if m.id}


def test_switching_language_translates_lazy_and_plural_strings() -> None:
    title = i18n.lazy_gettext("Map")
    i18n.set_language("fr")
    french = str(title)
    i18n.set_language("ar")
    arabic = str(title)
    i18n.set_language("en")
    assert len({french, arabic, str(title)}) == 3
    i18n.set_language("ar")
    forms = {
        i18n.ngettext("{count} other source", "{count} other sources", n)
        for n in (0, 1, 2, 5, 11, 100)
    }
    assert len(forms) == 6, "Arabic has six plural forms"


def test_languages_know_their_direction() -> None:
    assert i18n.is_rtl("ar") and not i18n.is_rtl("nb")
    with pytest.raises(ValueError, match="unsupported language"):
        i18n.set_language("tlh")


def test_times_and_numbers_follow_the_language() -> None:
    moment = datetime(2026, 6, 20, 18, 5, 9, tzinfo=UTC)
    i18n.set_language("en")
    english = i18n.format_decimal(1234.5), i18n.format_datetime(moment, tz=UTC)
    i18n.set_language("fr")
    french = i18n.format_decimal(1234.5), i18n.format_datetime(moment, tz=UTC)
    assert english[0] == "1,234.5" and french[0].replace("\u202f", " ") == "1 234,5"
    assert "juin" in french[1] and "Jun" in english[1]


def test_catalog_files_live_where_gettext_looks() -> None:
    for lang in ["en", *TRANSLATED]:
        assert Path(i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "watchfloor.po").exists()
