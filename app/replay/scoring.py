"""Scores a run for the exercise service: failures are logged, never fatal, so a scoring bug
cannot stop a replay the trainees are working in."""

from __future__ import annotations

import logging
from typing import Any

from app.exercise.scoring import score_run
from app.model import ExerciseRun
from app.scenario.model import ScenarioSpec
from app.storage import RecordStore, StorageError

log = logging.getLogger(__name__)


class RunScorer:
    def __init__(self, store: RecordStore) -> None:
        self.store = store

    def score(self, spec: ScenarioSpec, run: ExerciseRun) -> dict[str, Any] | None:
        """The run's score document, or ``None`` if it cannot be computed now."""
        try:
            return dict(score_run(spec, run, self.store).to_document())
        except StorageError as exc:
            log.warning("Exercise %s: cannot score run %s: %s", spec.id, run.identifier, exc)
        except Exception:
            log.exception("Exercise %s: scoring run %s failed", spec.id, run.identifier)
        return None


def score_summary(document: dict[str, Any] | None) -> str:
    """One log line for a score document (points, maximum, percentage out of 100)."""
    if not document:
        return "no score"
    points, most = document.get("points"), document.get("max_points")
    percent = document.get("percent")
    text = f"{points} of {most} points"
    if isinstance(percent, int | float):
        text += f" ({percent:.0f} %)"
    counts = document.get("counts")
    if isinstance(counts, dict) and counts:
        text += "; " + ", ".join(f"{key}: {value}" for key, value in sorted(counts.items()))
    return text
