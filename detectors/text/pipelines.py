"""One spaCy pipeline per language: a trained one only when it is configured and installed,
otherwise a blank one plus our rules. Nothing here downloads: a configured pipeline that is
not installed is reported and replaced by the blank one, because a control room's workstations
are often offline and a model hub is no dependency to have at run time.

Our components, in order:

- ``watchfloor_keys`` gives every token its matching key in ``lemma_``: the lower-case form when
  a lexicon lists it, else its lookup lemma (``spacy-lookups-data``, where the language has a
  table; no table is not an error), and for Arabic words the form left after stripping clitics
  that is a lexicon entry (see ``lexicons``). Lexicons and posts are keyed alike, so a term
  matches all the forms the tables or the clitic rules relate to it.
- ``watchfloor_lexicon`` finds the lexicon's terms (``doc.spans["lexicon"]``, label = category).
- ``watchfloor_social`` finds hashtags, mentions, URLs, emoji, times and dates
  (``doc.spans["social"]``).
- ``watchfloor_places``, an EntityRuler behind a cheap gate, labels the gazetteer's place
  names ``LOC`` with the place's id as ``ent_id_``.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any

import spacy
import spacy.util
from spacy.language import Language
from spacy.lookups import Table, load_lookups
from spacy.matcher import PhraseMatcher
from spacy.pipeline import EntityRuler
from spacy.tokens import Doc
from spacy.util import filter_spans

from detectors.text.gazetteer import Place
from detectors.text.lexicons import ALL, LANGUAGES, Lexicon, load_lexicon, normalise

log = logging.getLogger(__name__)

PLACE_LABEL = "LOC"
WORDS = "watchfloor.words"
Word = tuple[str, str, bool]
_ARABIC = re.compile("[\u0600-\u06ff]")
_AR_PREFIXES = ("وبال", "فبال", "وال", "فال", "بال", "كال", "ولل", "لل", "ال", "وس", "فس")
_AR_PREFIXES += ("و", "ف", "ب", "ل", "ك", "س")
_AR_SUFFIXES = ("هما", "كما", "هم", "هن", "كم", "نا", "ها", "ون", "ين", "ات", "ان", "ه", "ي", "ا")
# Markup inside a word ("alert('shoot", "x()>gun</b") is split off, so that words wrapped in
# tags or code are still words; blank pipelines only (trained ones keep the tokenizer they were
# trained with). Nothing is parsed: markup stays text.
_MARKUP_INFIX = r"'*[<>()\[\]{}=\"]+/?'*"
_KEY_CACHE_LIMIT = 200_000  # distinct words remembered per pipeline; cleared beyond that


@cache
def lemma_table(language: str) -> Table | None:
    """The ``lemma_lookup`` table of ``spacy-lookups-data`` for ``language``, or None."""
    if language == ALL:
        return None
    try:
        return load_lookups(language, ["lemma_lookup"]).get_table("lemma_lookup")
    except (ValueError, KeyError, OSError) as exc:
        log.info("no lookup lemmas for %r (%s); matching on lower-case forms", language, exc)
        return None


def arabic_candidates(word: str) -> list[str]:
    """``word`` and what is left of it without a prefix and/or suffix, longest first, each
    also with the article put back (``للناس`` → ``ناس``, ``الناس``)."""
    stems = [word] + [word[len(p) :] for p in _AR_PREFIXES if word.startswith(p)]
    out = []
    for stem in stems:
        cut = [stem[: -len(s)] for s in _AR_SUFFIXES if stem.endswith(s)]
        for form in (stem, *cut):
            if len(form) >= 2:
                out += [form] if form.startswith("ال") else [form, "ال" + form]
    return out


class TokenKeys:
    """The ``watchfloor_keys`` component; also keys the lexicon's own terms."""

    def __init__(self, language: str) -> None:
        self.lexicon = load_lexicon(language)
        self.known = self.lexicon.known_words
        self.table = lemma_table(language)
        self._cache: dict[str, str] = {}
        # per spelling (orth id): the token's word tuple and its key's id, so that a word seen
        # before costs two dictionary look-ups instead of a round of string work
        self._entries: dict[int, tuple[Word, int]] = {}

    def key(self, lower: str, lemma: str = "") -> str:
        if lower in self.known:
            return lower
        if (cached := self._cache.get(lower)) is not None:
            return cached
        key = lower
        if _ARABIC.search(lower):
            key = next((c for c in arabic_candidates(lower) if c in self.known), lower)
        elif lemma:
            key = lemma.lower()
        elif self.table is not None:
            found: Any = self.table.get(lower)
            key = (found[0] if isinstance(found, list) and found else found) or lower
        if len(self._cache) >= _KEY_CACHE_LIMIT:
            self._cache.clear()
        self._cache[lower] = key
        return key

    def __call__(self, doc: Doc) -> Doc:
        if doc.has_annotation("LEMMA"):  # a trained lemmatizer ran before us: refine its lemmas
            return self._refine(doc)
        words = []
        entries, strings = self._entries, doc.vocab.strings
        for token in doc:
            entry = entries.get(token.orth)
            if entry is None:
                lower = token.lower_
                key = self.key(lower)
                word = (lower, key, token.is_alpha and not token.is_stop)
                entry = entries[token.orth] = (word, strings.add(key))
                if len(entries) >= _KEY_CACHE_LIMIT:
                    entries.clear()
            token.lemma = entry[1]
            words.append(entry[0])
        doc.user_data[WORDS] = words
        return doc

    def _refine(self, doc: Doc) -> Doc:
        words = []
        for token in doc:
            lower = token.lower_
            key = token.lemma_ = self.key(lower, token.lemma_)
            words.append((lower, key, token.is_alpha and not token.is_stop))
        doc.user_data[WORDS] = words
        return doc


def token_words(doc: Doc) -> list[Word]:
    """Per token: lower-case form, key, and whether it may be a content word (alphabetic, not
    a stop word). Collected while keying, so later steps need not build Token objects again."""
    words = doc.user_data.get(WORDS)
    if words is None:
        words = [(t.lower_, t.lemma_, t.is_alpha and not t.is_stop) for t in doc]
    return words


@Language.factory("watchfloor_keys", default_config={"language": "en"})
def make_keys(nlp: Language, name: str, language: str) -> TokenKeys:
    return TokenKeys(language)


def _keyed_docs(nlp: Language, keys: TokenKeys, terms: Sequence[str]) -> list[Doc]:
    docs = []
    for term in terms:
        doc = nlp.make_doc(term)
        for token in doc:
            token.lemma_ = keys.key(token.lower_)
        docs.append(doc)
    return docs


class LexiconMatcher:
    """The ``watchfloor_lexicon`` component: every lexicon term, keyed like the tokens."""

    def __init__(self, nlp: Language, language: str) -> None:
        keys = TokenKeys(language)
        self.matcher = PhraseMatcher(nlp.vocab, attr="LEMMA")
        for category in keys.lexicon.categories:
            self.matcher.add(category.name, _keyed_docs(nlp, keys, category.terms))

    def __call__(self, doc: Doc) -> Doc:
        doc.spans["lexicon"] = self.matcher(doc, as_spans=True)
        return doc


@Language.factory("watchfloor_lexicon", default_config={"language": "en"})
def make_lexicon(nlp: Language, name: str, language: str) -> LexiconMatcher:
    return LexiconMatcher(nlp, language)


_HOUR = r"(?:[01]?\d|2[0-3])"
_MIN = r"[0-5]\d"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_MONTH = r"(?:0?[1-9]|1[0-2])"
_AMPM = r"(?:a\.m\.|p\.m\.|am|pm)"
_FLAG = "[\U0001f1e6-\U0001f1ff]"
_EMOJI = "[\u231a-\u23ff\u2600-\u27bf\u2b00-\u2bff\U0001f000-\U0001f3fa\U0001f400-\U0001faff]"
_MODIFIER = "[\ufe0f\U0001f3fb-\U0001f3ff]"
_END = r"(?![\d:.]?\d)"  # a number ends here: "21" is not the start of "2130"


def _compile(groups: dict[str, str], flags: int = 0) -> re.Pattern[str]:
    return re.compile("|".join(f"(?P<{k}>{v})" for k, v in groups.items()), flags)


@dataclass(frozen=True)
class SocialPatterns:
    """The expressions behind ``watchfloor_social``, one named group per label.

    They run over the text rather than as token patterns: compiled code instead of
    Python-level checks per token, and the same result whatever the tokenizer does with ``#``
    or ``21h30``. Each starts with a literal or a digit so the engine can scan fast (no leading
    lookbehind: the caller checks the character before a match), and each is skipped when the
    text cannot contain it. A bare hour is a time only after a marker ("kl.", "alle", "at").
    """

    tags: re.Pattern[str]
    emoji: re.Pattern[str]
    numbers: re.Pattern[str]
    marked: re.Pattern[str] | None
    markers: frozenset[str]

    @classmethod
    def build(cls, time_markers: Sequence[str]) -> SocialPatterns:
        tags = {"URL": r"(?:https?://|www\.)[^\s<>\"']+", "HASHTAG": r"#\w+", "MENTION": r"@\w+"}
        times = [
            rf"{_HOUR}:{_MIN}(?:\s?{_AMPM})?{_END}",
            rf"(?:1[0-2]|0?[1-9])(?::{_MIN})?\s?{_AMPM}(?!\w)",
            rf"{_HOUR}h(?:{_MIN})?(?!\w)",
        ]
        dates = [
            rf"\d{{4}}-{_MONTH}-{_DAY}{_END}",
            rf"{_DAY}[./]{_MONTH}(?:[./](?:\d{{4}}|\d{{2}}))?{_END}",
        ]
        words = sorted({re.escape(m.rstrip(".")) for m in time_markers}, key=len, reverse=True)
        marked = rf"(?:{'|'.join(words)})\.?\s*{_HOUR}(?:[:.]{_MIN})?(?:\s?{_AMPM})?{_END}"
        return cls(
            tags=_compile(tags),
            emoji=_compile({"EMOJI": rf"{_FLAG}{_FLAG}|{_EMOJI}{_MODIFIER}*"}),
            numbers=_compile({"TIME": "|".join(times), "DATE": "|".join(dates)}, re.IGNORECASE),
            marked=_compile({"TIME": marked}, re.IGNORECASE) if words else None,
            markers=frozenset(time_markers),
        )

    def matches(self, text: str, lowers: set[str]) -> Iterator[re.Match[str]]:
        """Every match in ``text``, skipping expressions the text cannot contain and matches
        glued to what comes before them ("a@b.com" holds no mention, "v1.20.06" no date)."""
        found: list[tuple[re.Match[str], str]] = []
        if "#" in text or "@" in text or "://" in text or "www." in text:
            found += ((m, "_#@&/") for m in self.tags.finditer(text))
        if not text.isascii() and max(text) >= _EMOJI_FROM:
            found += ((m, "") for m in self.emoji.finditer(text))
        if _DIGIT.search(text):
            end = 0
            for run in _DIGIT.finditer(text):  # try only where a number starts
                if run.start() >= end and (match := self.numbers.match(text, run.start())):
                    end = match.end()
                    found.append((match, ":./-"))
            if self.marked is not None and not self.markers.isdisjoint(lowers):
                found += ((m, "") for m in self.marked.finditer(text))
        for match, not_after in found:
            before = text[match.start() - 1] if match.start() else " "
            if not (before.isalnum() or before in not_after):
                yield match


_EMOJI_FROM = "\u231a"
_DIGIT = re.compile(r"\d+")
_TRAILING = ".,;:!?)]}"  # punctuation after a link belongs to the sentence


class SocialMatcher:
    """The ``watchfloor_social`` component: what a post points at and when. Time and date
    words ("tonight", "i morgen") come from the lexicon, the rest from ``SocialPatterns``;
    overlaps keep the longest span."""

    def __init__(self, nlp: Language, language: str) -> None:
        keys = TokenKeys(language)
        self.patterns = SocialPatterns.build(keys.lexicon.time_markers)
        self.words = PhraseMatcher(nlp.vocab, attr="LEMMA")
        self.words.add("TIME", _keyed_docs(nlp, keys, keys.lexicon.time_words))
        self.words.add("DATE", _keyed_docs(nlp, keys, keys.lexicon.date_words))

    def __call__(self, doc: Doc) -> Doc:
        text = doc.text
        spans = self.words(doc, as_spans=True)
        lowers = {lower for lower, _, _ in token_words(doc)}
        for match in self.patterns.matches(text, lowers):
            start, end = match.span()
            if match.lastgroup == "URL":
                end = start + len(match.group().rstrip(_TRAILING))
            span = doc.char_span(start, end, match.lastgroup or "", alignment_mode="expand")
            if span is not None and len(span):
                spans.append(span)
        doc.spans["social"] = filter_spans(spans) if len(spans) > 1 else spans
        return doc


@Language.factory("watchfloor_social", default_config={"language": "en"})
def make_social(nlp: Language, name: str, language: str) -> SocialMatcher:
    return SocialMatcher(nlp, language)


class PlaceRuler:
    """The ``watchfloor_places`` component: an EntityRuler over the gazetteer's names, run only
    when a cheap phrase match says a name occurs (the ruler costs tens of microseconds a post,
    the check about one, and most posts name no place)."""

    def __init__(self, nlp: Language, name: str) -> None:
        self.ruler = EntityRuler(nlp, name, phrase_matcher_attr="LOWER", overwrite_ents=True)
        self.gate = PhraseMatcher(nlp.vocab, attr="LOWER")
        self.make_doc = nlp.make_doc

    def add_places(self, places: Sequence[Place]) -> None:
        names = {place.id: [normalise(n).text for n in place.names] for place in places}
        patterns = [
            {"label": PLACE_LABEL, "pattern": name, "id": ident}
            for ident, aliases in names.items()
            for name in aliases
        ]
        self.ruler.add_patterns(patterns)
        self.gate.add("PLACE", [self.make_doc(p["pattern"]) for p in patterns])

    def __call__(self, doc: Doc) -> Doc:
        return self.ruler(doc) if self.gate(doc) else doc


@Language.factory("watchfloor_places")
def make_places(nlp: Language, name: str) -> PlaceRuler:
    return PlaceRuler(nlp, name)


@dataclass(frozen=True)
class Pipeline:
    """A built pipeline and what the analyzer needs next to it. ``lock`` serialises calls:
    spaCy's string store grows while it runs, and it makes no promise to concurrent writers."""

    language: str
    nlp: Language
    lexicon: Lexicon
    stop_words: frozenset[str]
    trained: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)


def _base(language: str, trained: str | None) -> tuple[Language, str | None]:
    if trained and spacy.util.is_package(trained):
        try:
            nlp = spacy.load(trained)
        except Exception:
            log.exception("trained pipeline %r failed to load; using the blank one", trained)
        else:
            if nlp.lang == language:
                return nlp, trained
            log.warning(
                "pipeline %r is for %r, not %r; using the blank one", trained, nlp.lang, language
            )
    elif trained:
        log.warning(
            "pipeline %r is not installed (nothing is downloaded); using the blank one", trained
        )
    return spacy.blank(language), None


def _stop_words(language: str) -> frozenset[str]:
    codes = LANGUAGES if language == ALL else (language,)
    words = (w for c in codes for w in spacy.util.get_lang_class(c).Defaults.stop_words)
    return frozenset(normalise(w).text.lower() for w in words)


def build_pipeline(
    language: str, places: Sequence[Place] = (), trained: str | None = None
) -> Pipeline:
    """A new pipeline for ``language`` (``xx``: all lexicons), with the places' names."""
    nlp, used = _base(language, trained)
    if used is None:
        infixes = [*(nlp.Defaults.infixes or ()), _MARKUP_INFIX]
        nlp.tokenizer.infix_finditer = spacy.util.compile_infix_regex(infixes).finditer
    config = {"language": language}
    for component in ("watchfloor_keys", "watchfloor_lexicon", "watchfloor_social"):
        nlp.add_pipe(component, config=config)
    if places:
        gazetteer = nlp.add_pipe(
            "watchfloor_places", before="ner" if "ner" in nlp.pipe_names else None
        )
        gazetteer.add_places(places)  # type: ignore[attr-defined]
    return Pipeline(language, nlp, load_lexicon(language), _stop_words(language), used)


class Pipelines:
    """Pipelines built on first use, once per language, safe to ask from any thread.

    ``trained`` maps a language to an installed trained pipeline's package name (e.g.
    ``{"en": "en_core_web_sm"}``); it is used only if ``spacy.util.is_package`` finds it.
    """

    def __init__(self, places: Sequence[Place] = (), trained: Mapping[str, str] | None = None):
        self.places = tuple(places)
        self.trained = dict(trained or {})
        self._built: dict[str, Pipeline] = {}
        self._lock = threading.Lock()

    def get(self, language: str) -> Pipeline:
        if (pipeline := self._built.get(language)) is not None:
            return pipeline
        if language not in (*LANGUAGES, ALL):
            raise ValueError(f"no pipeline for language {language!r}")
        with self._lock:
            if language not in self._built:
                trained = self.trained.get(language)
                self._built[language] = build_pipeline(language, self.places, trained)
                log.info("text pipeline for %r: %s", language, self._built[language].nlp.pipe_names)
            return self._built[language]
