"""Social-media text analysis: posts and words a second through the whole analyzer (language,
normalisation, spaCy blank pipeline with our rules, scoring, explanation), on one core.

The corpus is generated from short sentences in the five languages, seeded, with hashtags,
mentions, links, emoji and times mixed in and one post in eight carrying threat or hate terms,
so runs compare. The yardstick is spaCy's published speed for its trained CPU pipelines, about
10,000 words a second; blank pipelines with rules should be at least ten times faster, or a
burst of posts during an incident would queue up behind the analysis.
"""

from __future__ import annotations

import random
import time

from detectors.text.analyzer import TextAnalyzer
from detectors.text.gazetteer import load_places
from detectors.text.lexicons import LANGUAGES

Row = tuple[str, str, str]
SPACY_TRAINED_WPS = 10_000
TARGET_FACTOR = 10
POSTS = 3_000

SENTENCES = {
    "en": [
        "The queue at the east gate is moving slowly tonight",
        "Great atmosphere by the Harbour stage, the band is brilliant",
        "Has anyone seen a lost blue backpack near the ferry terminal",
        "The first aid post is next to the service entrance",
        "Trains are delayed so we are walking down to the square",
    ],
    "it": [
        "La coda al cancello est è molto lenta stasera",
        "Che bella atmosfera vicino al palco, la band è fantastica",
        "Qualcuno ha visto uno zaino blu vicino al traghetto",
        "Il posto di primo soccorso è accanto all'ingresso di servizio",
        "I treni sono in ritardo, andiamo a piedi fino alla piazza",
    ],
    "nb": [
        "Køen ved østporten går veldig sakte i kveld",
        "Herlig stemning ved scenen, bandet er helt fantastisk",
        "Har noen sett en blå sekk ved fergeterminalen",
        "Førstehjelpsposten ligger ved siden av personalinngangen",
        "Togene er forsinket så vi går ned til plassen",
    ],
    "fr": [
        "La file à la porte est avance très lentement ce soir",
        "Super ambiance près de la scène, le groupe est génial",
        "Quelqu'un a vu un sac à dos bleu près du ferry",
        "Le poste de secours est à côté de l'entrée de service",
        "Les trains sont en retard alors on marche jusqu'à la place",
    ],
    "ar": [
        "الطابور عند البوابة الشرقية بطيء جدا الليلة",
        "أجواء رائعة قرب المسرح والفرقة ممتازة",
        "هل رأى أحد حقيبة ظهر زرقاء قرب العبارة",
        "نقطة الإسعاف بجانب مدخل الخدمة",
        "القطارات متأخرة لذلك نمشي إلى الساحة",
    ],
}
ALARMING = {
    "en": ["I will bring a knife and stab people at the concert", "those migrants are vermin"],
    "it": ["porto una pistola e sparo sulla folla", "questi immigrati sono parassiti"],
    "nb": ["jeg tar med kniv og skal stikke ned folk", "disse innvandrerne er skadedyr"],
    "fr": ["je vais poignarder les gens au concert", "ces étrangers sont de la vermine"],
    "ar": ["سأحضر سكينا وأقتل الناس في الحفلة", "هؤلاء الأجانب حشرات"],
}
EXTRAS = ["#harbourfest", "@ops_desk", "https://example.org/live", "🔥", "👍🏽", "21:30", "20.06"]


def corpus(size: int = POSTS, seed: int = 7) -> list[tuple[str, str]]:
    """``size`` (language, post) pairs, languages in turn."""
    rng = random.Random(seed)
    posts = []
    for index in range(size):
        language = LANGUAGES[index % len(LANGUAGES)]
        parts = rng.sample(SENTENCES[language], rng.randint(1, 3))
        if rng.random() < 1 / 8:
            parts.append(rng.choice(ALARMING[language]))
        parts += rng.sample(EXTRAS, rng.randint(0, 3))
        posts.append((language, ". ".join(parts)))
    return posts


def _rate(analyzer: TextAnalyzer, posts: list[tuple[str, str]], given: bool) -> tuple[float, float]:
    words = sum(len(text.split()) for _, text in posts)
    start = time.perf_counter()
    for language, text in posts:
        analyzer.analyze(text, language if given else None)
    elapsed = time.perf_counter() - start
    return len(posts) / elapsed, words / elapsed


def _verdict(words_per_s: float) -> str:
    factor = words_per_s / SPACY_TRAINED_WPS
    mark = "meets" if factor >= TARGET_FACTOR else "BELOW"
    return f"{factor:.1f}x spaCy trained CPU (~10,000 words/s), {mark} the {TARGET_FACTOR}x target"


def text_benchmarks() -> list[Row]:
    start = time.perf_counter()
    analyzer = TextAnalyzer(places=load_places())
    for language in LANGUAGES:
        analyzer.analyze(SENTENCES[language][0], language)
    analyzer.analyze(SENTENCES["en"][0])  # loads the language models
    build_s = time.perf_counter() - start
    posts = corpus()
    rows = [("social", "text analyzer ready, 5 languages (first use)", f"{build_s:.1f} s")]
    for given, label in ((True, "language given"), (False, "language detected")):
        per_post, per_word = _rate(analyzer, posts, given)
        rows.append(("social", f"text analysis, {label}: posts/s per core", f"{per_post:,.0f}"))
        rows.append(
            (
                "social",
                f"text analysis, {label}: words/s per core",
                f"{per_word:,.0f} ({_verdict(per_word)})",
            )
        )
    hostile = ("I will st\u200bab them \u202eall <script>x</script> " * 500_000)[:10_000_000]
    start = time.perf_counter()
    analyzer.analyze(hostile)
    rows.append(
        (
            "social",
            "text analysis of a 10 MB post (first 10,000 chars)",
            f"{(time.perf_counter() - start) * 1000:.0f} ms",
        )
    )
    return rows


if __name__ == "__main__":
    for row in text_benchmarks():
        print(*row, sep="  ")
