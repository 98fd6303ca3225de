"""Every word the after-action report prints, as msgids in one place.

The template holds no text of its own: it prints what ``labels()`` gives it in the language
chosen for the report, so the catalogs see every string and a translator never opens HTML.
"""

from __future__ import annotations

from app.exercise.score import status_name
from i18n import N_, gettext

HEADINGS = {
    "summary": N_("Summary"),
    "timeline": N_("Timeline"),
    "charts": N_("Charts"),
    "map": N_("Map"),
    "scores": N_("Scores"),
    "log": N_("Operator log"),
}

WORDS = {
    "exercise_report": N_("After-action report: exercise"),
    "incident_report": N_("After-action report: incident"),
    "what": N_("What"),
    "where": N_("Where"),
    "when": N_("When"),
    "duration": N_("Duration"),
    "outcome": N_("Outcome"),
    "trainee": N_("Trainee"),
    "commander": N_("Commander"),
    "times_in": N_("Times are shown in {zone}."),
    "alerts_by_priority": N_("Alerts by priority"),
    "priority": N_("Priority"),
    "total": N_("Total"),
    "time": N_("Time"),
    "scenario_time": N_("Scenario time"),
    "kind": N_("Kind"),
    "who": N_("Who"),
    "action": N_("Action"),
    "reason": N_("Reason"),
    "number": N_("No."),
    "inject": N_("Inject"),
    "alert": N_("Alert"),
    "status": N_("Status"),
    "acknowledged": N_("Acknowledged"),
    "escalated": N_("Escalated"),
    "sop_steps": N_("SOP steps"),
    "points": N_("Points"),
    "no_events": N_("Nothing was recorded in this period."),
    "no_expectations": N_("The scenario states no expected response, so nothing was scored."),
    "no_scenario": N_("The scenario file could not be read; the stored score is shown."),
    "no_actions": N_("No operator action was recorded."),
    "no_position": N_("Nothing in this report has a position on the map."),
    "more_rows": N_("{count} more rows are not shown."),
    "alerts_per_bucket": N_("Alerts per {minutes} min, by priority"),
    "ack_chart": N_("Time to acknowledge (seconds)"),
    "ack_limit": N_("time allowed"),
    "not_acknowledged": N_("not acknowledged"),
    "sensor_chart": N_("{sensor}: {quantity} ({unit})"),
    "warning_level": N_("warning"),
    "alarm_level": N_("alarm"),
    "no_sensor_data": N_("No sensor readings in this period."),
    "map_legend": N_("Numbered alerts"),
    "map_zones": N_("Zones and venues"),
    "name": N_("Name"),
    "camera": N_("Camera"),
    "sensor": N_("Sensor"),
    "zone": N_("Zone"),
    "venue": N_("Venue"),
    "still_running": N_("The exercise is still running."),
    "exercise_ended": N_("The exercise ended."),
    "incident_open": N_("The incident is still open."),
    "incident_closed": N_("The incident was closed at {time}."),
    "score_line": N_("Score: {points} of {max_points} points ({percent})"),
    "generated": N_("Generated {time}"),
    "first_shown": N_("The first {shown} of {total} are shown."),
}

LANES = {
    "alert": N_("Alert"),
    "detection": N_("Detection"),
    "post": N_("Post"),
    "action": N_("Operator action"),
    "log": N_("Incident log"),
    "task": N_("Task"),
    "bookmark": N_("Bookmark"),
}

ACTIONS = {
    "acknowledge": N_("Acknowledged"),
    "start": N_("Started work"),
    "resolve": N_("Resolved"),
    "dismiss": N_("Dismissed"),
    "assign": N_("Assigned"),
    "escalate": N_("Escalated"),
    "shelve": N_("Shelved"),
    "unshelve": N_("Unshelved"),
    "reopen": N_("Reopened"),
    "sop-step": N_("SOP step"),
}


def labels() -> dict[str, str]:
    """Headings and words in the current language (call it with the report's language set)."""
    out = {key: gettext(text) for key, text in WORDS.items()}
    out.update({f"h_{key}": gettext(text) for key, text in HEADINGS.items()})
    return out


def word(key: str) -> str:
    """One of ``WORDS`` in the current language."""
    text = WORDS[key]
    return gettext(text)


def lane(kind: str) -> str:
    return gettext(LANES.get(kind, kind))


SOP_STEP_DONE = N_("SOP step {step} done")
SOP_STEP_UNDONE = N_("SOP step {step} not done")


def action(name: str, details: tuple[tuple[str, str], ...] = ()) -> str:
    """An alert action's name; an SOP tick says which step (counted from 1) and which way."""
    if name == "sop-step":
        values = dict(details)
        step = values.get("step", "")
        shown = str(int(step) + 1) if step.isdigit() else step
        done = values.get("done", "true").lower() == "true"
        return gettext(SOP_STEP_DONE if done else SOP_STEP_UNDONE).format(step=shown)
    return gettext(ACTIONS[name]) if name in ACTIONS else name


def status(code: str) -> str:
    return status_name(code)
