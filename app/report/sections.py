"""The report's outcome and score table, ready for the template."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from app.exercise.score import ExerciseScore, ItemScore
from app.report.data import ReportData
from app.report.texts import status
from i18n import N_, format_datetime, format_decimal, format_percent, gettext, isolate

SECONDS = N_("{seconds} s")
LEFT_TO_RIGHT_ISOLATE, POP_DIRECTIONAL_ISOLATE = "\u2066", "\u2069"
_GOOD = {"on_time", "done", "correctly_dismissed"}
_BAD = {"missed", "wrongly_dismissed", "wrongly_escalated"}


def number(value: float) -> str:
    return format_decimal(value, "#,##0.#")


def score_line(score: ExerciseScore | None, words: dict[str, str]) -> str:
    if score is None:
        return ""
    return words["score_line"].format(
        points=number(score.points),
        max_points=number(score.max_points),
        percent=format_percent(score.percent / 100),
    )


def outcome(data: ReportData, words: dict[str, str], tz: tzinfo) -> list[str]:
    if data.kind == "exercise":
        lines = [words["still_running"] if data.ongoing else words["exercise_ended"]]
        if data.score is not None:
            lines.append(score_line(data.score, words))
            lines += [f"{status(code)}: {number(n)}" for code, n in data.score.counts.items()]
        return lines
    incident = data.incidents[0]
    if incident.closed is None:
        # The state adds something only past "open" (E's states: contained, monitoring...).
        extra = [] if incident.state == "open" else [gettext(incident.state)]
        return [words["incident_open"], *extra]
    return [words["incident_closed"].format(time=format_datetime(incident.closed, "medium", tz))]


def score_rows(data: ReportData, words: dict[str, str]) -> dict[str, Any] | None:
    if data.kind != "exercise":
        return None
    score = data.score
    if score is None:
        return {"rows": [], "note": words["no_scenario"], "line": ""}
    rows = [_score_row(n + 1, item, words) for n, item in enumerate(score.items)]
    note = "" if rows else words["no_expectations"]
    return {"rows": rows, "note": note, "line": score_line(score, words)}


def seconds(value: float) -> str:
    return gettext(SECONDS).format(seconds=number(value))


def ltr(text: str) -> str:
    """A left-to-right isolate: "16.7 / 20" reads the same in an Arabic table (a first-strong
    isolate would turn to right-to-left on a translated unit such as Arabic "s")."""
    return f"{LEFT_TO_RIGHT_ISOLATE}{text}{POP_DIRECTIONAL_ISOLATE}"


def _score_row(n: int, item: ItemScore, words: dict[str, str]) -> dict[str, Any]:
    criteria = {c.name: c for c in item.criteria}

    def timed(name: str, taken: float | None) -> str:
        criterion = criteria.get(name)
        shown = "–" if taken is None else seconds(taken)
        if criterion is not None and criterion.limit_s is not None:
            shown += f" / {seconds(criterion.limit_s)}"
        return ltr(shown)

    sop = criteria.get("sop")
    return {
        "n": number(n),
        "inject": isolate(item.inject),
        "headline": isolate(item.headline),
        "status": status(item.status),
        "tone": "good" if item.status in _GOOD else "bad" if item.status in _BAD else "warn",
        "ack": timed("acknowledge", item.acknowledged_s),
        "escalated": timed("escalate", item.escalated_s),
        "sop": ltr(f"{number(sop.done or 0)} / {number(sop.required or 0)}") if sop else "–",
        "points": ltr(f"{number(item.points)} / {number(item.max_points)}"),
    }
