"""Threat and hate analysis of one social-media post, explained term by term.

The scores come from rules an operator can check: every lexicon term found is listed with its
category, weight and place in the post, and the score is computed from exactly those entries
(see ``rule_score``). An optional classifier may add its probabilities; it is blended in with a
stated weight and listed like any other evidence, so a score is never a bare number.

Posts are hostile input. The analysis reads at most ``max_chars`` characters (and says so),
matches on a normalised copy (no zero-width or direction-control characters, one spelling of
Arabic letters) while every offset it reports points into the original text, and treats markup
as plain text: nothing is parsed, rendered or run.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

from spacy.tokens import Doc

from detectors.api import CancelToken, cancellable
from detectors.text.gazetteer import Place, load_places
from detectors.text.language import detect_language, language_code
from detectors.text.lexicons import ALL, SCORES, Lexicon, Normalised, normalise
from detectors.text.pipelines import PLACE_LABEL, Pipeline, Pipelines, token_words
from i18n import N_, gettext, isolate, ngettext

log = logging.getLogger(__name__)

MAX_CHARS = 10_000
CLASSIFIER_WEIGHT = 0.5
REPEAT_BONUS = 0.05  # per further distinct term of a category already matched
CATEGORY_CAP = 0.95
CONCEPTS = 5
NEGATION_WINDOW = 3  # tokens before a sentiment word in which a negation flips it
CATEGORY_LABELS = {
    "weapons": N_("weapons"),
    "violence": N_("violence"),
    "targets": N_("targets"),
    "calls_to_gather": N_("calls to gather"),
    "dehumanising": N_("dehumanising language"),
    "exclusion": N_("exclusion"),
    "group_reference": N_("reference to a group"),
}
SCORE_LABELS = {"threat": N_("threat"), "hate": N_("hate")}
SOCIAL = {"HASHTAG": "hashtags", "MENTION": "mentions", "URL": "urls", "EMOJI": "emoji"}
SOCIAL |= {"TIME": "times", "DATE": "dates"}


class Classifier(Protocol):
    """An optional statistical model: probabilities of ``"threat"`` and ``"hate"`` in 0..1."""

    def score(self, text: str, language: str) -> Mapping[str, float]: ...


@dataclass(frozen=True, slots=True)
class TextSpan:
    """A piece of the post; ``start``/``end`` index the original text."""

    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Entity:
    label: str
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A gazetteer place the post names, where it names it."""

    id: str
    name: str
    kind: str
    lat: float
    lon: float
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Evidence:
    """One reason behind the result. ``kind``: ``term``, ``place``, ``entity`` (named by a
    trained pipeline's recogniser), ``classifier`` or ``notice``; ``message`` says it to the
    operator, the other fields say it to a program."""

    kind: str
    message: str
    category: str = ""
    score: str = ""
    term: str = ""
    text: str = ""
    start: int | None = None
    end: int | None = None
    weight: float = 0.0
    counted: bool = True
    probability: float | None = None


@dataclass(frozen=True, slots=True)
class TextAnalysis:
    """What one post says, as far as rules can tell, and why; immutable, JSON-ready."""

    language: str | None
    language_source: str  # "given", "detected" or "unknown"
    threat_score: float
    hate_score: float
    rule_threat_score: float
    rule_hate_score: float
    explanation: tuple[Evidence, ...]
    entities: tuple[Entity, ...]
    places: tuple[PlaceMention, ...]
    hashtags: tuple[TextSpan, ...]
    mentions: tuple[TextSpan, ...]
    urls: tuple[TextSpan, ...]
    emoji: tuple[TextSpan, ...]
    times: tuple[TextSpan, ...]
    dates: tuple[TextSpan, ...]
    key_concepts: tuple[str, ...]
    sentiment: float | None
    topic: str | None
    truncated: bool
    analysed_chars: int

    def to_dict(self) -> dict[str, Any]:
        """Plain lists, dicts, strings and numbers, ready for ``json.dumps``. Evidence leaves
        out what it does not have (a notice has no offsets), rather than writing nulls."""
        out = asdict(self)
        out["explanation"] = [
            {k: v for k, v in e.items() if v is not None} for e in out["explanation"]
        ]
        return out


@dataclass(frozen=True, slots=True)
class _Hit:
    category: str
    term: str
    span: TextSpan
    clean: str  # the matched text as matched, without invisible characters


def rule_score(hits: Iterable[_Hit], lexicon: Lexicon) -> tuple[dict[str, float], dict[str, float]]:
    """Per score, ``1 - Π(1 - c)`` over its categories' contributions ``c``; and those
    contributions. A category contributes its weight (plus ``REPEAT_BONUS`` per further distinct
    term, at most ``CATEGORY_CAP``); a context category contributes only when a primary category
    of the same score matched too."""
    terms: dict[str, set[str]] = {}
    for hit in hits:
        terms.setdefault(hit.category, set()).add(hit.term)
    cats = {name: lexicon.category(name) for name in terms}
    primed = {c.score for c in cats.values() if c.role == "primary"}
    contributions = {
        name: min(CATEGORY_CAP, c.weight + REPEAT_BONUS * (len(terms[name]) - 1))
        if c.role == "primary" or c.score in primed
        else 0.0
        for name, c in cats.items()
    }
    scores = {}
    for score in SCORES:
        rest = math.prod(1 - v for n, v in contributions.items() if cats[n].score == score)
        scores[score] = round(1.0 - rest, 4)
    return scores, contributions


def _label(mapping: dict[str, str], key: str) -> str:
    return gettext(mapping[key]) if key in mapping else key


class TextAnalyzer:
    """Analyses posts in English, Italian, Norwegian Bokmål, French and Arabic.

    ``places``: the gazetteer (see ``gazetteer.load_places``); ``classifier``: optional, see
    ``Classifier``; ``pipelines_config``: language → installed trained spaCy pipeline to use
    instead of the blank one. Safe to share between threads; pipelines are built on first use.
    """

    def __init__(
        self,
        places: Iterable[Place] = (),
        classifier: Classifier | None = None,
        pipelines_config: Mapping[str, str] | None = None,
        *,
        classifier_weight: float = CLASSIFIER_WEIGHT,
        max_chars: int = MAX_CHARS,
    ) -> None:
        self.places = {place.id: place for place in places}
        self.classifier = classifier
        self.classifier_weight = min(1.0, max(0.0, classifier_weight))
        self.max_chars = max_chars
        self.pipelines = Pipelines(tuple(self.places.values()), pipelines_config)

    def analyze(self, text: str, language: str | None = None) -> TextAnalysis:
        """Analyses ``text``. ``language``: a supported code ("en", "it", "nb", "fr", "ar",
        or a variant such as "en-GB", "no"), or None/"auto" to identify it; any other code (a
        platform's "und", a language without a lexicon) is noted and the language identified,
        since an unanalysed post is worse than a guessed language. Raises TypeError when
        ``text`` or ``language`` is not a string."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a string, not {type(text).__name__}")
        if language is not None and not isinstance(language, str):
            raise TypeError(f"language must be a string, not {type(language).__name__}")
        notices = []
        if len(text) > self.max_chars:
            message = gettext("Only the first {limit} of {length} characters were analysed")
            notices.append(message.format(limit=self.max_chars, length=len(text)))
        norm = normalise(text[: self.max_chars])
        if norm.removed:
            message = ngettext(
                "{count} invisible or direction-control character was ignored",
                "{count} invisible or direction-control characters were ignored",
                norm.removed,
            )
            notices.append(message.format(count=norm.removed))
        code, source = self._language(norm.text, language)
        if source != "given" and language not in (None, "", "auto"):
            message = gettext("The language {language} has no lexicon; identified from the text")
            notices.append(message.format(language=isolate(normalise(language[:16]).text)))
        if code is None:
            notices.append(gettext("The language could not be identified; all lexicons were used"))
        pipeline = self.pipelines.get(code or ALL)
        with pipeline.lock:
            doc = pipeline.nlp(norm.text)
        return self._result(doc, norm, text, pipeline, code, source, notices)

    def _language(self, text: str, language: str | None) -> tuple[str | None, str]:
        if (code := language_code(language)) is not None:
            return code, "given"
        code = detect_language(text)
        return code, "detected" if code else "unknown"

    def _result(
        self,
        doc: Doc,
        norm: Normalised,
        original: str,
        pipeline: Pipeline,
        code: str | None,
        source: str,
        notices: list[str],
    ) -> TextAnalysis:
        def span(start: int, end: int) -> TextSpan:
            first, last = norm.original_span(start, end)
            return TextSpan(original[first:last], first, last)

        hits = list(
            dict.fromkeys(
                _Hit(s.label_, s.lemma_, span(s.start_char, s.end_char), s.text)
                for s in doc.spans["lexicon"]
            )
        )
        scores, contributions = rule_score(hits, pipeline.lexicon)
        social: dict[str, list[TextSpan]] = {field: [] for field in SOCIAL.values()}
        for s in doc.spans["social"]:
            social[SOCIAL[s.label_]].append(span(s.start_char, s.end_char))
        entities, places = self._entities(doc, span)
        evidence = [Evidence("notice", message) for message in notices]
        evidence += [self._term_evidence(hit, pipeline.lexicon, contributions) for hit in hits]
        evidence += [
            Evidence(
                "place",
                gettext("Names the place {name}").format(name=isolate(p.name)),
                text=p.text,
                start=p.start,
                end=p.end,
            )
            for p in places
        ]
        evidence += [
            Evidence(
                "entity",
                gettext("Mentions {text} ({label})").format(
                    text=isolate(normalise(e.text).text), label=e.label
                ),
                category=e.label,
                text=e.text,
                start=e.start,
                end=e.end,
            )
            for e in entities
            if e.label != PLACE_LABEL or (e.start, e.end) not in {(p.start, p.end) for p in places}
        ]
        final = dict(scores)
        if self.classifier is not None:
            final, more = self._classify(norm.text, code or ALL, scores)
            evidence += more
        counted = {n: v for n, v in contributions.items() if v > 0}
        return TextAnalysis(
            language=code,
            language_source=source,
            threat_score=final["threat"],
            hate_score=final["hate"],
            rule_threat_score=scores["threat"],
            rule_hate_score=scores["hate"],
            explanation=tuple(evidence),
            entities=tuple(entities),
            places=tuple(places),
            **{field: tuple(spans) for field, spans in social.items()},
            key_concepts=key_concepts(doc, pipeline.stop_words),
            sentiment=sentiment(doc, pipeline.lexicon),
            topic=max(counted, key=counted.__getitem__) if counted else None,
            truncated=len(original) > self.max_chars,
            analysed_chars=min(len(original), self.max_chars),
        )

    def _entities(self, doc: Doc, span: Any) -> tuple[list[Entity], list[PlaceMention]]:
        entities, places = [], []
        for ent in doc.ents:
            piece = span(ent.start_char, ent.end_char)
            entities.append(Entity(ent.label_, piece.text, piece.start, piece.end))
            place = self.places.get(ent.ent_id_) if ent.label_ == PLACE_LABEL else None
            if place is not None:
                where = (piece.text, piece.start, piece.end)
                places.append(
                    PlaceMention(place.id, place.name, place.kind, place.lat, place.lon, *where)
                )
        return entities, places

    @staticmethod
    def _term_evidence(hit: _Hit, lexicon: Lexicon, contributions: dict[str, float]) -> Evidence:
        category = lexicon.category(hit.category)
        counted = contributions.get(hit.category, 0.0) > 0
        names = {
            "text": isolate(hit.clean),
            "category": _label(CATEGORY_LABELS, category.name),
            "score": _label(SCORE_LABELS, category.score),
            "weight": f"{category.weight:.2f}",
        }
        if counted:
            message = gettext("{text} is {category}: it raises the {score} score (weight {weight})")
        else:
            message = gettext(
                "{text} is {category}: it counts only next to a stronger {score} term"
            )
        return Evidence(
            "term",
            message.format(**names),
            category=category.name,
            score=category.score,
            term=hit.term,
            text=hit.span.text,
            start=hit.span.start,
            end=hit.span.end,
            weight=category.weight,
            counted=counted,
        )

    def _classify(
        self, text: str, language: str, rules: dict[str, float]
    ) -> tuple[dict[str, float], list[Evidence]]:
        assert self.classifier is not None
        try:
            raw = dict(self.classifier.score(text, language))
        except Exception:
            log.exception("text classifier failed; rules only")
            failed = gettext("The classifier failed; the scores come from the rules alone")
            return dict(rules), [Evidence("classifier", failed, counted=False)]
        weight, final, evidence = self.classifier_weight, dict(rules), []
        for score in SCORES:
            value = raw.get(score)
            if (
                not isinstance(value, int | float)
                or isinstance(value, bool)
                or not math.isfinite(value)
            ):
                continue
            probability = min(1.0, max(0.0, float(value)))
            final[score] = round((1 - weight) * rules[score] + weight * probability, 4)
            message = gettext("Classifier: {score} probability {probability}, weighted {weight}")
            names = {"score": _label(SCORE_LABELS, score), "probability": f"{probability:.2f}"}
            evidence.append(
                Evidence(
                    "classifier",
                    message.format(**names, weight=f"{weight:.2f}"),
                    score=score,
                    weight=weight,
                    probability=probability,
                )
            )
        return final, evidence


def _excluded(doc: Doc) -> set[int]:
    """Tokens inside hashtags, mentions, links and emoji: not concepts of the text."""
    social = doc.spans["social"]
    if not len(social):
        return set()
    return {i for s in social if s.label_ != "DATE" for i in range(s.start, s.end)}


def _noun_chunks(doc: Doc) -> list[str]:
    """Multi-word noun chunks, lower case, when a trained parser ran and the language has a
    chunker; none otherwise (blank pipelines have no parser)."""
    if not len(doc) or not doc.has_annotation("DEP"):
        return []
    try:
        return [c.text.lower() for c in doc.noun_chunks if len(c) > 1]
    except NotImplementedError:
        return []


def key_concepts(doc: Doc, stop_words: frozenset[str], limit: int = CONCEPTS) -> tuple[str, ...]:
    """The most frequent content words (by lemma, shown as first written) and, when
    a trained parser ran, noun chunks; stop words and one- or two-letter words are left out."""
    skip = _excluded(doc)
    counts: dict[str, int] = {}
    forms: dict[str, str] = {}  # the first form seen stands for its lemma
    for index, (lower, key, content) in enumerate(token_words(doc)):
        if not content or len(lower) < 3 or lower in stop_words or key in stop_words:
            continue
        if index not in skip:
            counts[key] = counts.get(key, 0) + 1
            forms.setdefault(key, lower)
    for chunk in _noun_chunks(doc):
        counts[chunk] = counts.get(chunk, 0) + 1
        forms.setdefault(chunk, chunk)
    ranked = sorted(counts, key=counts.__getitem__, reverse=True)[:limit]  # stable: ties in order
    return tuple(forms[key] for key in ranked)


def sentiment(doc: Doc, lexicon: Lexicon) -> float | None:
    """``(positive - negative) / (positive + negative + 1)`` over sentiment words, a word
    counting the other way when a negation precedes it closely; None without a lexicon. The
    ``+ 1`` keeps a single word from reading as certainty."""
    if not lexicon.has_sentiment:
        return None
    keys = [key for _, key, _ in token_words(doc)]
    positive = negative = 0
    for index, key in enumerate(keys):
        if key in lexicon.positive:
            sign = 1
        elif key in lexicon.negative:
            sign = -1
        else:
            continue
        if not lexicon.negations.isdisjoint(keys[max(0, index - NEGATION_WINDOW) : index]):
            sign = -sign
        positive += sign > 0
        negative += sign < 0
    return round((positive - negative) / (positive + negative + 1), 4)


@dataclass(frozen=True, slots=True)
class TextParams:
    """What the text detector needs before it starts (the SDK's ``params``)."""

    language: str = "auto"
    site_paths: tuple[Path, ...] = ()
    include_demo_site: bool = True
    trained_pipelines: tuple[tuple[str, str], ...] = ()


def run(source: Iterable[str], params: TextParams, token: CancelToken) -> Iterator[TextAnalysis]:
    """The detector's generator form: one analysis per post, stoppable between posts. A post
    that cannot be analysed (not text) is logged and skipped, never fatal."""
    places = load_places(params.site_paths, params.include_demo_site)
    analyzer = TextAnalyzer(places, pipelines_config=dict(params.trained_pipelines))
    language = None if params.language == "auto" else params.language
    for post in cancellable(source, token):
        try:
            result = analyzer.analyze(post, language)
        except TypeError as exc:
            log.warning("post skipped: %s", exc)
            continue
        yield result
