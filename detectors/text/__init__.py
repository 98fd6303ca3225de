"""Offline analysis of social-media posts in English, Italian, Norwegian (Bokmål), French and
Arabic: language, threat and hate scores with their reasons, places, hashtags, mentions, links,
emoji, times, key concepts and sentiment.

Rules first: spaCy blank pipelines (or installed trained ones, never downloaded), lexicons that
are data (``resources/text``), the map's own place names, and an optional classifier blended in
openly. The public names are imported lazily, so that ``detectors.text.language`` can be used
without loading spaCy.
"""

from __future__ import annotations

from typing import Any

_EXPORTS = {
    "TextAnalyzer": "detectors.text.analyzer",
    "TextAnalysis": "detectors.text.analyzer",
    "TextParams": "detectors.text.analyzer",
    "Classifier": "detectors.text.analyzer",
    "run": "detectors.text.analyzer",
    "Place": "detectors.text.gazetteer",
    "load_places": "detectors.text.gazetteer",
    "detect_language": "detectors.text.language",
    "analyze_stream": "detectors.text.cli",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(_EXPORTS[name]), name)


__all__ = sorted(_EXPORTS)
