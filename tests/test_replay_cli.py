"""``main.py --headless --scenario``: a real process plays a tiny scenario file at 60x, stops by
itself when it ends, and a broken file is refused with its line and field."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.test_cli import run

ALERT = {
    "sender": "weapons@exercise.invalid",
    "event_type": "knife",
    "headline": "Knife seen at the stage",
    "description": "A person with a knife near the stage.",
    "urgency": "Immediate",
    "severity": "Severe",
    "certainty": "Observed",
    "confidence": 0.9,
    "point": [59.9117, 10.7336],
}


def tiny_scenario(folder: Path, **alert_changes: object) -> Path:
    document = {
        "version": 2,
        "id": "tiny",
        "title": "Tiny drill",
        "duration_s": 60,
        "tools": {"weapons": "Weapon detection"},
        "injects": [
            {"id": "knife", "at": 5, "kind": "alert", "tool": "weapons", "data": ALERT},
            {
                "id": "second",
                "at": 50,
                "kind": "alert",
                "tool": "weapons",
                "data": {**ALERT, "headline": "A second knife", **alert_changes},
            },
        ],
        "expect": [{"inject": "knife", "acknowledge_within_s": 30}],
    }
    path = folder / "tiny.json"
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return path


def test_headless_scenario_plays_to_its_end_and_stops_by_itself(tmp_path: Path) -> None:
    database = tmp_path / "drill.db"
    result = run(
        "--headless",
        "--scenario",
        str(tiny_scenario(tmp_path)),
        "--speed",
        "60",
        "--db",
        f"sqlite:///{database}",
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "reached its end" in result.stderr
    assert "Exercise tiny:" in result.stderr
    with sqlite3.connect(database) as db:
        alerts = db.execute("SELECT identifier, status FROM alerts ORDER BY sent").fetchall()
        runs = db.execute("SELECT scenario, ended FROM exercise_runs").fetchall()
    assert [status for _ident, status in alerts] == ["Exercise", "Exercise"]
    assert alerts[0][0].startswith("weapons:x") and alerts[0][0].endswith(".knife")
    assert len(runs) == 1 and runs[0][0] == "tiny" and runs[0][1] is not None


def test_a_broken_scenario_exits_3_naming_file_line_and_field(tmp_path: Path) -> None:
    path = tiny_scenario(tmp_path, confidence=1.4)
    result = run("--headless", "--scenario", str(path), "--db", f"sqlite:///{tmp_path / 'x.db'}")
    assert result.returncode == 3
    assert "tiny.json:" in result.stderr
    assert "injects[1].data.confidence" in result.stderr


def test_speed_outside_half_to_sixty_is_a_usage_error(tmp_path: Path) -> None:
    result = run("--headless", "--scenario", "tiny", "--speed", "61")
    assert result.returncode == 2
    assert "0.5 to 60" in result.stderr
