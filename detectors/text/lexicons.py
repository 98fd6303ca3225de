"""Threat, hate and sentiment lexicons (``resources/text/<lang>.json``) and the one text
normalisation that both the lexicons and the posts go through.

The lexicons are data so that an analyst can tune a term or a weight without touching code, and
so that every score can be explained by pointing at the entries that produced it. Each scored
category has a ``score`` (``threat`` or ``hate``), a ``weight`` in 0..1 and a ``role``:
``primary`` categories (weapons, violence, dehumanising language, exclusion) count on their own;
``context`` categories (targets, calls to gather, references to a group) count only when a
primary category of the same score matched too, because "the concert tonight" or "migrants" is
harmless alone and telling only next to a weapon or an insult.

Terms are written in lower case, as dictionary (lemma) forms or surface forms; a post's token
matches a term when its lower-case form is the term, or else when its lemma (lookup tables of
``spacy-lookups-data``) is. Languages whose tables are missing or thin (Norwegian, Arabic) list
their inflected forms explicitly.

Normalisation (``normalise``) removes what a hostile post hides inside words and what Arabic
spells several ways, and keeps a map from every normalised character back to the original text
so that offsets shown to an operator point at the original:

- format characters (Unicode category Cf: zero-width space/joiners, soft hyphen, right-to-left
  and other direction overrides, byte-order marks) are dropped;
- Arabic tatweel (U+0640) and short-vowel marks (harakat) are dropped; the alef variants
  (U+0622, U+0623, U+0625, U+0671) become bare alef (U+0627), alef maqsura (U+0649) becomes
  yeh (U+064A) and ta marbuta (U+0629) becomes heh (U+0647);
- everything else is put in NFKC form, so full-width or stylised letters match plain ones.

Arabic clitics (the article ال and the prefixes و, ف, ب, ل, ك, س, with their combinations) are
handled when tokens are keyed (``pipelines``): a prefix or suffix is stripped only when what is
left is a lexicon entry, so ordinary words are never cut down by guesswork.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from dataclasses import dataclass
from functools import cache
from typing import Any

from app.bundled import read_text

log = logging.getLogger(__name__)

LANGUAGES = ("en", "it", "nb", "fr", "ar")
ALL = "xx"  # spaCy's multi-language code: the union of every lexicon, for unidentified text
SCORES = ("threat", "hate")
ROLES = ("primary", "context")

_ARABIC_REPLACE = {"أ": "ا", "إ": "ا", "آ": "ا", "ٱ": "ا", "ى": "ي", "ة": "ه"}
_ARABIC_DROP = frozenset({"\u0640", *map(chr, range(0x064B, 0x0660)), "\u0670"})


@dataclass(frozen=True, slots=True)
class Normalised:
    """A text made fit for matching, with the way back to the original.

    ``index[i]`` is the offset in the original text of normalised character ``i``; ``None``
    means nothing changed (the common case, kept cheap).
    """

    text: str
    index: tuple[int, ...] | None = None
    removed: int = 0  # format characters dropped (zero-width, direction overrides...)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of normalised characters ``start:end`` (end exclusive)."""
        if self.index is None:
            return start, end
        if start >= end:
            at = self.index[start] if start < len(self.index) else self.index[-1] + 1
            return at, at
        return self.index[start], self.index[end - 1] + 1


def _needs_work(text: str) -> bool:
    if text.isascii():
        return False
    for char in set(text):
        if char in _ARABIC_REPLACE or char in _ARABIC_DROP or unicodedata.category(char) == "Cf":
            return True
    return not unicodedata.is_normalized("NFKC", text)


def normalise(text: str) -> Normalised:
    """``text`` normalised as the module docstring describes, with its offset map."""
    if not _needs_work(text):
        return Normalised(text)
    out: list[str] = []
    index: list[int] = []
    removed = 0
    for position, char in enumerate(text):
        if char in _ARABIC_REPLACE:
            out.append(_ARABIC_REPLACE[char])
            index.append(position)
        elif char in _ARABIC_DROP:
            continue
        elif char.isascii():
            out.append(char)
            index.append(position)
        elif unicodedata.category(char) == "Cf":
            removed += 1
        else:
            for part in unicodedata.normalize("NFKC", char):
                out.append(part)
                index.append(position)
    return Normalised("".join(out), tuple(index), removed)


def normalise_term(term: str) -> str:
    """A lexicon entry as it is matched: normalised, lower case, single-spaced."""
    return " ".join(normalise(term).text.lower().split())


@dataclass(frozen=True, slots=True)
class Category:
    """One scored group of terms, e.g. ``weapons`` (threat, primary, weight 0.35)."""

    name: str
    score: str
    role: str
    weight: float
    terms: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Everything one language's pipeline matches, already normalised."""

    language: str
    categories: tuple[Category, ...]
    positive: frozenset[str] = frozenset()
    negative: frozenset[str] = frozenset()
    negations: frozenset[str] = frozenset()
    time_words: tuple[str, ...] = ()
    date_words: tuple[str, ...] = ()
    time_markers: tuple[str, ...] = ()

    @property
    def has_sentiment(self) -> bool:
        return bool(self.positive or self.negative)

    def category(self, name: str) -> Category:
        return next(c for c in self.categories if c.name == name)

    @property
    def known_words(self) -> frozenset[str]:
        """Every single word of every entry: the only targets of Arabic clitic stripping."""
        words = {w for c in self.categories for t in c.terms for w in t.split()}
        words |= {w for t in (*self.time_words, *self.date_words) for w in t.split()}
        return frozenset(words | self.positive | self.negative | self.negations)


class LexiconError(ValueError):
    """A lexicon file is malformed; the message names the file and the entry."""


def _terms(values: Any, where: str) -> tuple[str, ...]:
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise LexiconError(f"{where}: expected a list of non-empty strings")
    return tuple(dict.fromkeys(normalise_term(v) for v in values))


def _category(name: str, entry: Any, where: str) -> Category:
    where = f"{where}: category {name!r}"
    if not isinstance(entry, dict):
        raise LexiconError(f"{where}: expected an object")
    score, role, weight = entry.get("score"), entry.get("role", "primary"), entry.get("weight")
    if score not in SCORES or role not in ROLES:
        raise LexiconError(f"{where}: score must be one of {SCORES}, role one of {ROLES}")
    if not isinstance(weight, int | float) or isinstance(weight, bool) or not 0 < weight <= 1:
        raise LexiconError(f"{where}: weight must be a number in (0, 1]")
    return Category(name, score, role, float(weight), _terms(entry.get("terms"), where))


def parse_lexicon(language: str, document: Any, where: str = "lexicon") -> Lexicon:
    """A lexicon from its JSON document; raises ``LexiconError`` naming what is wrong."""
    if not isinstance(document, dict) or not isinstance(document.get("categories"), dict):
        raise LexiconError(f"{where}: expected an object with 'categories'")
    categories = tuple(_category(n, e, where) for n, e in document["categories"].items())
    sentiment = document.get("sentiment", {})

    def words(key: str, source: dict[str, Any] = document) -> tuple[str, ...]:
        return _terms(source.get(key, []), f"{where}: {key}")

    return Lexicon(
        language=language,
        categories=categories,
        positive=frozenset(words("positive", sentiment)),
        negative=frozenset(words("negative", sentiment)),
        negations=frozenset(words("negations", sentiment)),
        time_words=words("time_words"),
        date_words=words("date_words"),
        time_markers=words("time_markers"),
    )


@cache
def load_lexicon(language: str) -> Lexicon:
    """The bundled lexicon of ``language`` (``ALL``: the union of every language's)."""
    if language == ALL:
        return union(tuple(load_lexicon(code) for code in LANGUAGES))
    if language not in LANGUAGES:
        raise LexiconError(f"no lexicon for language {language!r}")
    path = f"text/{language}.json"
    return parse_lexicon(language, json.loads(read_text(path)), f"resources/{path}")


def union(lexicons: tuple[Lexicon, ...]) -> Lexicon:
    """One lexicon holding every entry of ``lexicons``; a category's weight is its highest."""
    merged: dict[str, Category] = {}
    for lexicon in lexicons:
        for c in lexicon.categories:
            old = merged.get(c.name)
            if old is None:
                merged[c.name] = c
                continue
            terms = tuple(dict.fromkeys(old.terms + c.terms))
            merged[c.name] = Category(c.name, c.score, c.role, max(old.weight, c.weight), terms)

    def joined(attribute: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(w for lx in lexicons for w in getattr(lx, attribute)))

    return Lexicon(
        language=ALL,
        categories=tuple(merged.values()),
        positive=frozenset(joined("positive")),
        negative=frozenset(joined("negative")),
        negations=frozenset(joined("negations")),
        time_words=joined("time_words"),
        date_words=joined("date_words"),
        time_markers=joined("time_markers"),
    )
