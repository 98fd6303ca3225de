"""Offline text analysis of posts: language, threat and hate scores with their reasons, places,
social features, hostile input, the JSONL command, and no network at any point.

Every example post here was written for these tests.
"""

from __future__ import annotations

import io
import json
import socket
import threading
from typing import Any

import pytest
import spacy
import spacy.util

from app.bundled import read_json
from detectors.api import CancelToken
from detectors.text import language as language_module
from detectors.text import pipelines as pipelines_module
from detectors.text.analyzer import TextAnalysis, TextAnalyzer, TextParams, run
from detectors.text.cli import analyze_stream
from detectors.text.gazetteer import load_places, places_from_collection
from detectors.text.language import detect_language
from detectors.text.lexicons import LANGUAGES, LexiconError, load_lexicon, normalise, parse_lexicon

ALERT, QUIET = 0.5, 0.2

SENTENCES = {
    "en": [
        "The ferry was late again, so we walked along the harbour to the concert.",
        "Please keep the east gate clear, the queue is getting very long.",
        "Has anyone found a small black dog near the first aid post?",
    ],
    "it": [
        "Il traghetto era di nuovo in ritardo, quindi siamo andati a piedi al concerto.",
        "Per favore lasciate libero il cancello est, la coda è molto lunga.",
        "Qualcuno ha trovato un cagnolino nero vicino al posto di primo soccorso?",
    ],
    "nb": [
        "Fergen var forsinket igjen, så vi gikk langs havna til konserten.",
        "Hold østporten fri, køen begynner å bli veldig lang.",
        "Har noen funnet en liten svart hund ved førstehjelpsposten?",
    ],
    "fr": [
        "Le ferry était encore en retard, alors nous avons marché jusqu'au concert.",
        "Merci de laisser la porte est dégagée, la file devient très longue.",
        "Quelqu'un a trouvé un petit chien noir près du poste de secours ?",
    ],
    "ar": [
        "تأخرت العبارة مرة أخرى، فمشينا على طول الميناء إلى الحفلة.",
        "يرجى إبقاء البوابة الشرقية خالية، الطابور أصبح طويلا جدا.",
        "هل وجد أحد كلبا أسود صغيرا قرب نقطة الإسعاف؟",
    ],
}

THREATS = {
    "en": (
        "I will bring a gun to the concert tonight and shoot everyone at the Harbour stage",
        "Lovely evening at the concert, the whole crowd was singing along",
    ),
    "it": (
        "Stasera porto una pistola al concerto e sparo sulla folla",
        "Stasera concerto bellissimo in piazza, tutta la folla canta",
    ),
    "nb": (
        "Jeg tar med kniv og skal stikke ned folk på konserten i kveld",
        "Herlig konsert på plassen i kveld, masse folk og god stemning",
    ),
    "fr": (
        "Ce soir je vais poignarder les gens au concert avec un couteau",
        "Super concert ce soir sur la place, les gens dansent partout",
    ),
    "ar": (
        "سأحضر سكينا الليلة وسأقتل الناس في الحفلة",
        "حفلة رائعة الليلة في الساحة والناس سعداء جدا",
    ),
}

HATE = {
    "en": (
        "Those immigrants are vermin and parasites, get rid of them",
        "Our new neighbours from every country are welcome at the festival",
    ),
    "it": (
        "Questi immigrati sono parassiti e feccia, cacciamoli via",
        "Diamo il benvenuto ai nostri nuovi vicini di casa",
    ),
    "nb": (
        "Disse innvandrerne er parasitter og skadedyr, kast dem ut av landet",
        "Velkommen til alle nye naboer, så fint å ha dere her",
    ),
    "fr": (
        "Ces étrangers sont de la vermine et des parasites, virez-les de notre pays",
        "Bienvenue à nos nouveaux voisins, la fête était magnifique",
    ),
    "ar": (
        "هؤلاء الأجانب حشرات وطفيليات، اطردوهم من بلادنا",
        "أهلا وسهلا بجيراننا الجدد في المهرجان",
    ),
}


@pytest.fixture(scope="module")
def analyzer() -> TextAnalyzer:
    return TextAnalyzer(places=load_places())


def terms(result: TextAnalysis, category: str | None = None) -> list[Any]:
    return [
        e
        for e in result.explanation
        if e.kind == "term" and (category is None or e.category == category)
    ]


# --- language -------------------------------------------------------------------------------


@pytest.mark.parametrize("code", LANGUAGES)
def test_language_identification_for_the_five_languages(code: str) -> None:
    assert [detect_language(s) for s in SENTENCES[code]] == [code] * len(SENTENCES[code])


def test_too_little_text_gives_the_hint_or_none() -> None:
    assert detect_language("ok") is None
    assert detect_language("ok", hint="it") == "it"
    assert detect_language("ok", hint="no") == "nb"  # Norwegian's macro-language code
    assert detect_language("🔥🔥🔥 @someone https://example.org/a-long-link") is None
    assert detect_language("") is None


def test_unsure_language_falls_back_to_every_lexicon(analyzer: TextAnalyzer) -> None:
    result = analyzer.analyze("gun!! 🔥")
    assert result.language is None and result.language_source == "unknown"
    assert [e.category for e in terms(result)] == ["weapons"]  # still matched, all lexicons


# --- threat and hate ------------------------------------------------------------------------


@pytest.mark.parametrize("code", LANGUAGES)
def test_threats_score_apart_from_benign_posts(analyzer: TextAnalyzer, code: str) -> None:
    threat, benign = THREATS[code]
    for given in (code, None):
        alarming = analyzer.analyze(threat, given)
        calm = analyzer.analyze(benign, given)
        assert alarming.language == calm.language == code
        assert alarming.threat_score >= ALERT, terms(alarming)
        assert calm.threat_score <= QUIET, terms(calm)
        assert alarming.topic in {"weapons", "violence"}


@pytest.mark.parametrize("code", LANGUAGES)
def test_hate_scores_apart_from_benign_posts(analyzer: TextAnalyzer, code: str) -> None:
    hateful, benign = HATE[code]
    for given in (code, None):
        assert analyzer.analyze(hateful, given).hate_score >= ALERT
        assert analyzer.analyze(benign, given).hate_score <= QUIET
    assert analyzer.analyze(hateful, code).threat_score <= QUIET


def test_explanation_lists_each_term_with_category_weight_and_offsets(
    analyzer: TextAnalyzer,
) -> None:
    text = THREATS["en"][0]
    result = analyzer.analyze(text, "en")
    found = {(e.category, e.text) for e in terms(result)}
    assert {("weapons", "gun"), ("violence", "shoot"), ("targets", "concert")} <= found
    for evidence in terms(result):
        assert text[evidence.start : evidence.end] == evidence.text
        assert evidence.weight == load_lexicon("en").category(evidence.category).weight
        assert evidence.counted and evidence.message
    assert result.threat_score == result.rule_threat_score  # no classifier


def test_context_terms_alone_do_not_count(analyzer: TextAnalyzer) -> None:
    result = analyzer.analyze("Everyone meet at the concert, the crowd is huge", "en")
    assert result.threat_score == 0.0
    assert terms(result) and not any(e.counted for e in terms(result))
    assert result.topic is None


def test_inflections_match_through_lemmas_and_arabic_clitics(analyzer: TextAnalyzer) -> None:
    english = analyzer.analyze("they stabbed him with knives", "en")
    assert {(e.category, e.term) for e in terms(english)} >= {
        ("violence", "stab"),
        ("weapons", "knife"),
    }
    # و + ال + stem, ب + stem, tatweel and short vowels: all reach the lexicon entries
    arabic = analyzer.analyze("والقنابل بالسّكّين وسأقتـــل", "ar")
    assert {e.category for e in terms(arabic)} == {"weapons", "violence"}
    assert [e.text for e in terms(arabic, "violence")] == ["وسأقتـــل"]


def test_classifier_is_blended_in_openly(analyzer: TextAnalyzer) -> None:
    class Fake:
        def score(self, text: str, language: str) -> dict[str, float]:
            assert language == "en" and "gun" in text
            return {"threat": 1.0, "hate": float("nan")}

    places = list(analyzer.places.values())
    blended = TextAnalyzer(places, classifier=Fake(), classifier_weight=0.5)
    result = blended.analyze("I have a gun", "en")
    assert result.rule_threat_score == pytest.approx(0.35)
    assert result.threat_score == pytest.approx(0.5 * 0.35 + 0.5 * 1.0)
    assert result.hate_score == result.rule_hate_score == 0.0  # NaN is ignored
    [evidence] = [e for e in result.explanation if e.kind == "classifier"]
    assert (evidence.score, evidence.probability, evidence.weight) == ("threat", 1.0, 0.5)


def test_a_failing_classifier_leaves_the_rules(analyzer: TextAnalyzer) -> None:
    class Broken:
        def score(self, text: str, language: str) -> dict[str, float]:
            raise RuntimeError("model file missing")

    result = TextAnalyzer(classifier=Broken()).analyze("I have a gun", "en")
    assert result.threat_score == result.rule_threat_score == pytest.approx(0.35)
    assert [e.counted for e in result.explanation if e.kind == "classifier"] == [False]


def test_sentiment_and_key_concepts(analyzer: TextAnalyzer) -> None:
    happy = analyzer.analyze("What a lovely, amazing festival, thanks everyone", "en")
    sad = analyzer.analyze("Awful chaos at the gate, people are scared", "en")
    negated = analyzer.analyze("This is not good at all", "en")
    assert happy.sentiment is not None and happy.sentiment > 0
    assert sad.sentiment is not None and sad.sentiment < 0
    assert negated.sentiment is not None and negated.sentiment < 0
    concepts = analyzer.analyze("The ferry, the ferry and the stage: ferry delays", "en")
    assert concepts.key_concepts[0] == "ferry"
    assert "the" not in concepts.key_concepts and "and" not in concepts.key_concepts


# --- places and social features -------------------------------------------------------------


def test_gazetteer_links_a_named_place_to_its_coordinates(analyzer: TextAnalyzer) -> None:
    site = read_json("demo/site.geojson")
    [feature] = [f for f in site["features"] if f["properties"].get("name") == "Harbour stage"]
    lon, lat = feature["geometry"]["coordinates"]
    text = "Big fight starting right now in front of the harbour stage!"
    result = analyzer.analyze(text, "en")
    [place] = result.places
    assert (place.name, place.lat, place.lon) == ("Harbour stage", lat, lon)
    assert text[place.start : place.end] == "harbour stage"
    assert ("LOC", "harbour stage") in {(e.label, e.text) for e in result.entities}
    assert any(e.kind == "place" for e in result.explanation)


def test_gazetteer_aliases_and_what_is_not_a_place() -> None:
    places = {p.name: p for p in load_places()}
    assert "Rådhusbrygge" in places["Ferry terminal (Rådhusbrygge)"].aliases
    assert not any(name.startswith(("Camera", "Station")) for name in places)
    polygon = places["Harbour festival area"]  # a polygon: the mean of its vertices
    assert 59.9107 < polygon.lat < 59.9127 and 10.7318 < polygon.lon < 10.7353
    extra = {
        "features": [
            {
                "properties": {"name": "Old Mill", "kind": "place", "aliases": "Mill; x"},
                "geometry": {"type": "Point", "coordinates": [10.0, 60.0]},
            }
        ]
    }
    [mill] = places_from_collection(extra)
    assert mill.aliases == ("Mill",)  # too short an alias ("x") is dropped


def test_alias_places_norwegian_post(analyzer: TextAnalyzer) -> None:
    result = analyzer.analyze("Stor kø ved Rådhusbrygge nå, kom dere vekk", "nb")
    assert [p.name for p in result.places] == ["Ferry terminal (Rådhusbrygge)"]


def test_hashtags_mentions_urls_emoji_times_and_dates(analyzer: TextAnalyzer) -> None:
    text = (
        "Meet at 9 pm #HarbourFest @ops_desk https://example.org/live?x=1. 👍🏽 🇳🇴 "
        "mail me at a@b.com, 2026-06-20 or 20.06, tonight"
    )
    result = analyzer.analyze(text, "en")

    def texts(spans: tuple[Any, ...]) -> list[str]:
        assert all(text[s.start : s.end] == s.text for s in spans)
        return [s.text for s in spans]

    assert texts(result.hashtags) == ["#HarbourFest"]
    assert texts(result.mentions) == ["@ops_desk"]
    assert texts(result.urls) == ["https://example.org/live?x=1"]
    assert texts(result.emoji) == ["👍🏽", "🇳🇴"]
    assert texts(result.times) == ["at 9 pm", "tonight"]
    assert texts(result.dates) == ["2026-06-20", "20.06"]
    assert "harbourfest" not in result.key_concepts


@pytest.mark.parametrize(
    ("code", "text", "times"),
    [
        ("nb", "Møt opp kl. 21.30 i kveld", ["kl. 21.30", "i kveld"]),
        ("fr", "Rendez-vous à 21h30 ce soir", ["à 21h30", "ce soir"]),
        ("it", "Ci vediamo alle 21 stasera", ["alle 21", "stasera"]),
        ("ar", "نلتقي الساعة ٩ الليلة", ["الساعة ٩", "الليلة"]),
    ],
)
def test_times_in_each_language(analyzer: TextAnalyzer, code: str, text: str, times: list) -> None:
    assert [s.text for s in analyzer.analyze(text, code).times] == times


# --- hostile input --------------------------------------------------------------------------


def test_ten_megabytes_are_capped_and_said_so(analyzer: TextAnalyzer) -> None:
    text = "I will stab them all. " * 480_000  # over 10 MB
    assert len(text) > 10_000_000
    result = analyzer.analyze(text)
    assert result.truncated and result.analysed_chars == 10_000
    assert result.threat_score >= ALERT
    assert "10000" in result.explanation[0].message
    assert "start" not in result.to_dict()["explanation"][0]  # a notice has no offsets
    assert all(e.end is None or e.end <= 10_000 for e in result.explanation)


def test_invisible_and_direction_characters_inside_a_threat_word(analyzer: TextAnalyzer) -> None:
    text = "I will st\u200bab ever\u202eyone here with a kn\u2060ife\u202c"
    result = analyzer.analyze(text, "en")
    found = {e.category: e for e in terms(result)}
    assert found["violence"].text == "st\u200bab"
    assert text[found["violence"].start : found["violence"].end] == "st\u200bab"
    assert text[found["weapons"].start : found["weapons"].end] == "kn\u2060ife"
    assert result.threat_score >= ALERT
    assert any("4" in e.message for e in result.explanation if e.kind == "notice")
    # the operator's message never carries the hostile characters
    assert all("\u202e" not in e.message and "\u200b" not in e.message for e in result.explanation)


def test_normalisation_keeps_a_map_back_to_the_original() -> None:
    original = "ab\u200bc\u202eｄ"  # zero-width space, right-to-left override, full-width d
    norm = normalise(original)
    assert norm.text == "abcd" and norm.removed == 2
    assert norm.original_span(2, 4) == (3, 6)
    assert normalise("plain ascii").index is None


def test_markup_is_text_not_code(analyzer: TextAnalyzer) -> None:
    text = "<script>alert('shoot everyone')</script><b onclick=x()>gun</b> <!-- x -->"
    result = analyzer.analyze(text, "en")
    assert {e.text for e in terms(result)} >= {"shoot", "everyone", "gun"}
    for evidence in terms(result):
        assert text[evidence.start : evidence.end] == evidence.text
    assert json.loads(json.dumps(result.to_dict()))["threat_score"] == result.threat_score


@pytest.mark.parametrize("bad", [None, b"gun", 42, ["gun"], {"text": "gun"}])
def test_invalid_text_types_are_refused(analyzer: TextAnalyzer, bad: Any) -> None:
    with pytest.raises(TypeError):
        analyzer.analyze(bad)


def test_unsupported_languages_are_identified_instead(analyzer: TextAnalyzer) -> None:
    for language in ("de", "und", "xx", "\u202een"):
        result = analyzer.analyze(THREATS["fr"][0], language)
        assert (result.language, result.language_source) == ("fr", "detected")
        [notice] = [e for e in result.explanation if e.kind == "notice"]
        assert "\u202e" not in notice.message
    assert analyzer.analyze(THREATS["fr"][0], "fr-CA").language_source == "given"
    with pytest.raises(TypeError):
        analyzer.analyze("text", 7)  # type: ignore[arg-type]


@pytest.mark.parametrize("text", ["", "   \n\t", "\u200b\u202e", "🔥", "#", "@", "...", "٩٩"])
def test_empty_and_degenerate_posts(analyzer: TextAnalyzer, text: str) -> None:
    result = analyzer.analyze(text)
    assert result.threat_score == result.hate_score == 0.0
    json.dumps(result.to_dict())


def test_malformed_lexicons_are_refused_with_the_reason() -> None:
    with pytest.raises(LexiconError, match="weight"):
        parse_lexicon("en", {"categories": {"x": {"score": "threat", "weight": 2, "terms": []}}})
    with pytest.raises(LexiconError, match="score"):
        parse_lexicon("en", {"categories": {"x": {"score": "joy", "weight": 1, "terms": []}}})
    with pytest.raises(LexiconError, match="strings"):
        parse_lexicon("en", {"categories": {"x": {"score": "hate", "weight": 1, "terms": [1]}}})


# --- the command and the detector form ------------------------------------------------------


def test_jsonl_stream_with_bad_lines(analyzer: TextAnalyzer) -> None:
    lines = [
        json.dumps({"id": "p1", "text": THREATS["en"][0]}),
        json.dumps({"text": THREATS["it"][0], "language": "it"}),
        "not json at all",
        "",
        json.dumps({"text": 5}),
        json.dumps(["a list"]),
        "[" * 100_000,
        json.dumps({"text": HATE["fr"][0], "language": "de"}),
    ]
    out = io.StringIO()
    assert analyze_stream(lines, out, analyzer=analyzer) == 1
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["input_line"] for r in records] == [1, 2, 3, 5, 6, 7, 8]
    assert records[0]["id"] == "p1" and records[0]["threat_score"] >= ALERT
    assert records[1]["language"] == "it" and records[1]["language_source"] == "given"
    errors = [r["error"] for r in records[2:6]]
    assert errors[0].startswith("not JSON") and errors[3].startswith("not JSON")
    assert errors[1:3] == ["'text' is missing or not a string", "not a JSON object"]
    assert all(set(r) == {"input_line", "error"} for r in records[2:6])
    assert records[6]["language"] == "fr" and "warning" in records[6]
    assert out.getvalue().isascii()


def test_jsonl_stream_exit_codes(analyzer: TextAnalyzer) -> None:
    good = [json.dumps({"text": SENTENCES["nb"][0]})]
    out = io.StringIO()
    assert analyze_stream(good, out, language="nb", analyzer=analyzer) == 0
    assert json.loads(out.getvalue())["language_source"] == "given"
    assert analyze_stream(good, io.StringIO(), language="klingon", analyzer=analyzer) == 2


def test_generator_form_stops_when_cancelled() -> None:
    token = CancelToken()
    posts = iter([THREATS["en"][0], 17, THREATS["fr"][0], "never read"])
    results = []
    for result in run(posts, TextParams(language="auto"), token):
        results.append(result)
        if len(results) == 2:
            token.cancel()
    assert [r.language for r in results] == ["en", "fr"]  # 17 was skipped, not fatal


def test_one_pipeline_per_language_under_concurrent_use(monkeypatch: pytest.MonkeyPatch) -> None:
    built: list[str] = []
    real = pipelines_module.build_pipeline

    def counting(language: str, *args: Any) -> Any:
        built.append(language)
        return real(language, *args)

    monkeypatch.setattr(pipelines_module, "build_pipeline", counting)
    shared = TextAnalyzer()
    results: list[float] = []

    def work() -> None:
        results.extend(shared.analyze(THREATS["en"][0], "en").threat_score for _ in range(5))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert built == ["en"]
    assert len(set(results)) == 1 and len(results) == 20


# --- nothing downloads ----------------------------------------------------------------------


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every socket connection and spaCy download fails loudly; returns what was attempted."""
    attempts: list[str] = []

    def refuse(*args: Any, **kwargs: Any) -> None:
        attempts.append(repr(args)[:80])
        raise OSError("network access attempted during text analysis")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    import spacy.cli

    monkeypatch.setattr(spacy.cli, "download", refuse)
    return attempts


def test_nothing_is_downloaded_for_a_missing_trained_pipeline(
    offline: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    real = spacy.util.is_package

    def is_package(name: str) -> bool:
        asked.append(name)
        return real(name)

    monkeypatch.setattr(spacy.util, "is_package", is_package)
    monkeypatch.setattr(language_module, "_detectors", {})  # language models load afresh
    pipelines_module.lemma_table.cache_clear()  # lookup tables too
    fresh = TextAnalyzer(load_places(), pipelines_config={"en": "xx_watchfloor_not_installed"})
    for code in LANGUAGES:
        assert fresh.analyze(THREATS[code][0]).threat_score >= ALERT
    assert asked == ["xx_watchfloor_not_installed"]
    assert fresh.pipelines.get("en").trained is None
    assert offline == []


def test_an_installed_trained_pipeline_is_loaded_not_fetched(
    offline: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded: list[str] = []

    def load(name: str, **kwargs: Any) -> Any:
        loaded.append(name)
        nlp = spacy.blank("en")  # stands in for the installed package: lemmas and entities
        nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
        ruler = nlp.add_pipe("entity_ruler")
        nlp.initialize()  # lookup tables from spacy-lookups-data, on this machine
        ruler.add_patterns([{"label": "ORG", "pattern": "Acme"}])  # type: ignore[attr-defined]
        return nlp

    monkeypatch.setattr(spacy.util, "is_package", lambda name: name == "en_installed_pipeline")
    monkeypatch.setattr(spacy, "load", load)
    trained = TextAnalyzer(load_places(), pipelines_config={"en": "en_installed_pipeline"})
    result = trained.analyze("Acme staff stabbed people at the Harbour stage", "en")
    assert result.threat_score >= ALERT
    assert {("violence", "stab")} <= {(e.category, e.term) for e in terms(result)}
    assert [e.text for e in result.explanation if e.kind == "entity"] == ["Acme"]
    assert [p.name for p in result.places] == ["Harbour stage"]
    pipeline = trained.pipelines.get("en")
    assert loaded == ["en_installed_pipeline"] and pipeline.trained == "en_installed_pipeline"
    assert "watchfloor_lexicon" in pipeline.nlp.pipe_names
    assert offline == []
