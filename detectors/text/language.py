"""Which of the console's languages a post is written in, offline.

Lingua ships its language models inside the wheel, so identification needs no network. The
detector is restricted to the five languages the console analyses: fewer candidates make short
posts far more reliable, and a post in another language is better called "unsure" than forced
into a wrong lexicon. It is built on first use (models load lazily, per language) and shared by
every thread; lingua's detector may be used concurrently.

Posts are short and noisy, so mentions and links are ignored, a text with too few letters
yields the caller's hint (or None), and so does a verdict below ``min_confidence``. Speed
matters during an incident's burst of posts: lingua's low-accuracy mode (trigrams only, about
five times faster) answers first, and its verdict stands when it is clear (``CLEAR``); when it
is not, which is mostly with very short texts, the accurate mode (all n-gram models) decides.
Text written mostly in Arabic script is Arabic without asking a model: no other language of
the five uses that script.
"""

from __future__ import annotations

import logging
import re
import threading

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

log = logging.getLogger(__name__)

SUPPORTED: dict[str, Language] = {
    "en": Language.ENGLISH,
    "it": Language.ITALIAN,
    "nb": Language.BOKMAL,
    "fr": Language.FRENCH,
    "ar": Language.ARABIC,
}
ALIASES = {"no": "nb", "nob": "nb", "eng": "en", "ita": "it", "fra": "fr", "fre": "fr", "ara": "ar"}
MIN_LETTERS = 10  # fewer letters than this: too little to tell the languages apart
MIN_CONFIDENCE = 0.6
SAMPLE_CHARS = 1_000  # enough to decide; a long post is not read to its end
_NOISE = re.compile(r"https?://\S+|www\.\S+|@\w+")

CLEAR = 0.9  # a quick verdict this confident stands; below it the accurate models decide
_ARABIC_LETTER = re.compile("[\u0620-\u064a\u066e-\u06d3\u06fa-\u06ff]")
_ARABIC_SHARE = 0.8

_detectors: dict[bool, LanguageDetector] = {}
_lock = threading.Lock()


def detector(accurate: bool = True) -> LanguageDetector:
    """The shared detector, built on first use: ``accurate`` uses every n-gram model (lingua's
    default), otherwise trigrams only, which lingua recommends only for longer texts."""
    if (found := _detectors.get(accurate)) is not None:
        return found
    with _lock:
        if accurate not in _detectors:
            builder = LanguageDetectorBuilder.from_languages(*SUPPORTED.values())
            _detectors[accurate] = (
                builder if accurate else builder.with_low_accuracy_mode()
            ).build()
        return _detectors[accurate]


def language_code(value: object) -> str | None:
    """``value`` as one of the supported codes ("en-GB" → "en", "no" → "nb"), else None."""
    if not isinstance(value, str):
        return None
    code = value.strip().lower().replace("_", "-").split("-")[0]
    code = ALIASES.get(code, code)
    return code if code in SUPPORTED else None


def detect_language(
    text: str, hint: str | None = None, min_confidence: float = MIN_CONFIDENCE
) -> str | None:
    """The ISO 639-1 code of ``text``'s language ("en", "it", "nb", "fr", "ar"), or ``hint``
    (if supported) when the text is too short or the detector unsure, else None."""
    fallback = language_code(hint)
    sample = _NOISE.sub(" ", text[:SAMPLE_CHARS])
    letters = sum(char.isalpha() for char in sample)
    if letters < MIN_LETTERS:
        return fallback
    if len(_ARABIC_LETTER.findall(sample)) >= _ARABIC_SHARE * letters:
        return "ar"  # the only Arabic-script language of the five: no model needed
    values = detector(accurate=False).compute_language_confidence_values(sample)
    if not values or values[0].value < CLEAR:
        values = detector(accurate=True).compute_language_confidence_values(sample)
    if not values or values[0].value < min_confidence:
        return fallback
    best = values[0].language
    return next((code for code, lang in SUPPORTED.items() if lang == best), fallback)
