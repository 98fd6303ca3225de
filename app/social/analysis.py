"""Builds the text analyzer the social watch uses, from what this console has.

Place names come from the same site layers the map draws (so a post naming a venue lands on the
map where the venue is); the trained classifier is used when ``main.py train-text`` has made
one, and the rules alone otherwise. Built on the watch's own thread: loading language data
takes a moment and must not hold up anything else.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from app import paths

log = logging.getLogger(__name__)

MODEL_FOLDER = "text-models"


def model_dir() -> Path:
    return paths.data_dir() / MODEL_FOLDER


def analyzer_factory(site_files: Sequence[Path]) -> Callable[[], Any]:
    def build() -> Any:
        from detectors.text.analyzer import TextAnalyzer
        from detectors.text.classifier import TextClassifier
        from detectors.text.gazetteer import load_places

        classifier = None
        if model_dir().is_dir():
            try:
                classifier = TextClassifier.load(model_dir())
            except Exception:
                log.exception("The trained text classifier could not be loaded; rules only")
        return TextAnalyzer(
            places=load_places(site_files, include_demo=False), classifier=classifier
        )

    return build
