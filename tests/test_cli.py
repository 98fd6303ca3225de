"""``main.py`` as an operator or a node's service manager runs it: real processes, real files."""

import json
import os
import sqlite3
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def run(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return struct.unpack(">II", header[16:24])


def test_help_lists_every_mode() -> None:
    result = run("--help")
    assert result.returncode == 0
    for word in (
        "--headless",
        "--duration",
        "--db",
        "screenshot",
        "detect",
        "train-detector",
        "export-dataset",
    ):
        assert word in result.stdout
    assert "--size" in run("screenshot", "--help").stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--duration", "5"], "only applies with --headless"),
        (["--headless", "--duration", "-1"], "greater than zero"),
        (["--headless", "--duration", "soon"], "not a number"),
        (["--lang", "tlh"], "invalid choice"),
        (["screenshot"], "--out"),
        (["screenshot", "--out", "x.png", "--size", "big"], "WIDTHxHEIGHT"),
        (["--headless", "screenshot", "--out", "x.png"], "cannot be combined"),
    ],
)
def test_wrong_usage_exits_2_with_the_reason(args: list[str], message: str) -> None:
    result = run(*args)
    assert result.returncode == 2
    assert message in result.stderr


def test_headless_runs_the_demo_into_the_given_database(tmp_path: Path) -> None:
    database = tmp_path / "node.db"
    result = run("--headless", "--duration", "3", "--db", f"sqlite:///{database}")
    assert result.returncode == 0, result.stderr
    assert "Stopped. Received" in result.stderr
    with sqlite3.connect(database) as connection:
        stored = connection.execute("SELECT count(*) FROM observations").fetchone()[0]
        statuses = {row[0] for row in connection.execute("SELECT status FROM posts")}
    assert stored >= 1
    assert statuses <= {"Exercise"}


def test_headless_with_no_source_still_runs_and_stops() -> None:
    result = run("--headless", "--no-demo", "--duration", "1")
    assert result.returncode == 0, result.stderr
    assert "no records yet" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--db", "not a url"], "not valid"),
        (["--db", "nosuchdialect://x/y"], "cannot open database"),
    ],
)
def test_unusable_configuration_exits_3(args: list[str], message: str) -> None:
    result = run("--headless", "--duration", "1", *args)
    assert result.returncode == 3
    assert message in result.stderr


def test_broken_settings_file_exits_3_naming_the_file(tmp_path: Path) -> None:
    settings = tmp_path / "settings.json"
    settings.write_text("{oops")
    result = run("--headless", "--duration", "1", "--settings", str(settings))
    assert result.returncode == 3
    assert str(settings) in result.stderr


def test_gui_without_a_display_says_what_to_do(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")
    }
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3
    assert "no display" in result.stderr


@pytest.mark.parametrize(
    ("lang", "layout", "user"), [("en", "operator", "operator"), ("ar", "commander", "commander")]
)
def test_screenshot_saves_the_window_at_the_asked_size(
    tmp_path: Path, lang: str, layout: str, user: str
) -> None:
    out = tmp_path / "shots" / f"{lang}.png"
    result = run(
        "screenshot",
        "--out",
        str(out),
        "--lang",
        lang,
        "--layout",
        layout,
        "--user",
        user,
        "--size",
        "1280x800",
        "--wait",
        "1.5",
    )
    assert result.returncode == 0, result.stderr
    assert png_size(out) == (1280, 800)


def test_screenshot_with_a_wrong_password_exits_3_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WATCHFLOOR_PASSWORD", "not the password")
    out = tmp_path / "x.png"
    result = run("screenshot", "--out", str(out), "--user", "operator", "--wait", "0.5")
    assert result.returncode == 3, result.stderr
    assert "Cannot sign in operator" in result.stderr
    assert "not the password" not in result.stderr
    assert not out.exists()


def test_screenshot_to_an_unwritable_place_exits_4(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    result = run("screenshot", "--out", str(blocker / "sub" / "x.png"), "--wait", "0.5")
    assert result.returncode == 4


def test_the_console_runs_and_quits_cleanly_on_sigterm(watchfloor_home: Path) -> None:
    """The GUI as an operator runs it (offscreen here): the core plays the demo while the
    sign-in dialog waits for someone, and on SIGTERM (logout, service manager) it quits
    cleanly and saves the chosen language."""
    import signal
    import time

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    database = watchfloor_home / "data" / "watchfloor.db"
    process = subprocess.Popen(
        [sys.executable, str(REPO / "main.py"), "--lang", "fr"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        stored = 0
        while stored == 0 and time.monotonic() < deadline and process.poll() is None:
            time.sleep(0.5)
            if database.exists():
                with sqlite3.connect(database) as connection:
                    tables = {
                        r[0]
                        for r in connection.execute(
                            "SELECT name FROM sqlite_master WHERE type='table'"
                        )
                    }
                    if "observations" in tables:
                        stored = connection.execute("SELECT count(*) FROM observations").fetchone()[
                            0
                        ]
        assert stored > 0, "the demo never reached the store"
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err
    assert '"language": "fr"' in (watchfloor_home / "config" / "settings.json").read_text()


ADAPTER_DATA = REPO / "tests" / "data" / "adapters"


def test_import_stores_standard_files_and_says_what_it_took(tmp_path: Path) -> None:
    database = tmp_path / "import.db"
    result = run(
        "--db",
        f"sqlite:///{database}",
        "import",
        str(ADAPTER_DATA / "cap_weapon_alert.xml"),
        str(ADAPTER_DATA / "stix_bundle.json"),
        "--tool",
        "archive",
    )
    assert result.returncode == 0, result.stderr
    assert "cap_weapon_alert.xml: stored 1 record(s) (cap)" in result.stdout
    assert "stix_bundle.json: stored" in result.stdout
    with sqlite3.connect(database) as connection:
        sources = {row[0] for row in connection.execute("SELECT source_tool FROM alerts")}
    assert sources == {"archive"}


def test_import_refuses_a_file_with_an_invalid_alert_and_stores_none_of_it(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        '[{"identifier": "ok-1", "sender": "s", "sent": "2026-06-20T18:00:00Z", '
        '"event_type": "knife", "headline": "fine"}, {"identifier": "bad 2"}]'
    )
    hostile = tmp_path / "xxe.xml"
    hostile.write_text(
        '<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">&x;</alert>'
    )
    database = tmp_path / "import.db"
    result = run("--db", f"sqlite:///{database}", "import", str(bad), str(hostile))
    assert result.returncode == 5
    assert "bad.json: refused, nothing stored" in result.stderr
    assert "identifier" in result.stderr
    assert "xxe.xml: refused" in result.stderr and "root:" not in result.stderr
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM alerts").fetchone()[0] == 0


def test_analyze_text_reads_jsonl_and_survives_bad_bytes_and_lines() -> None:
    posts = (
        b'{"text": "Bring knives to the Harbour stage tonight, we will attack"}\n'
        b"\xff\xfe not json\n"
        b'{"text": "Bellissima serata al concerto sul porto", "language": "it"}\n'
    )
    result = subprocess.run(
        [sys.executable, str(REPO / "main.py"), "analyze-text"],
        input=posts,
        capture_output=True,
        timeout=120,
        cwd=REPO,
    )
    lines = [json.loads(line) for line in result.stdout.decode("utf-8").splitlines()]
    assert [line["input_line"] for line in lines] == [1, 2, 3]
    assert lines[0]["threat_score"] > 0.5 and lines[0]["places"][0]["name"] == "Harbour stage"
    assert "error" in lines[1]
    assert lines[2]["language"] == "it" and lines[2]["threat_score"] < 0.3
    assert result.returncode == 1  # one line could not be analysed


def test_train_text_trains_and_prints_the_evaluation(tmp_path: Path) -> None:
    extra = tmp_path / "extra.jsonl"
    extra.write_text('{"text": "no labels here"}\n', encoding="utf-8")
    result = run("train-text", "--data", str(extra), "--out", str(tmp_path / "models"), timeout=180)
    assert result.returncode == 0, result.stderr
    assert "F1" in result.stdout and "extra.jsonl:1" in result.stderr
    assert (tmp_path / "models" / "en").is_dir()
    missing = run("train-text", "--data", str(tmp_path / "missing.jsonl"))
    assert missing.returncode == 2


def test_a_new_pseudonym_key_changes_pseudonyms_from_then_on(tmp_path: Path) -> None:
    posts = tmp_path / "posts.jsonl"
    line = (
        '{{"identifier": "{id}", "platform": "microblog", "author": "@same_person", '
        '"text": "hi", "time": "2026-11-21T08:00:00+00:00"}}\n'
    )
    posts.write_text(line.format(id="before"), encoding="utf-8")
    db = f"sqlite:///{tmp_path / 'posts.db'}"
    assert run("--db", db, "--no-demo", "import", str(posts)).returncode == 0
    rotated = run("rotate-pseudonym-key")
    assert rotated.returncode == 0 and "p2" in rotated.stdout
    posts.write_text(line.format(id="after"), encoding="utf-8")
    assert run("--db", db, "--no-demo", "import", str(posts)).returncode == 0
    with sqlite3.connect(tmp_path / "posts.db") as connection:
        rows = connection.execute("SELECT identifier, author FROM posts").fetchall()
    authors = {identifier.rsplit(":", 1)[-1]: author for identifier, author in rows}
    assert authors["before"].startswith("p1-") and authors["after"].startswith("p2-")
    assert "same_person" not in (tmp_path / "posts.db").read_bytes().decode("latin-1")


def test_detect_runs_a_detector_over_a_real_clip_and_prints_json_lines() -> None:
    from tests.video_helpers import pets_video

    result = run(
        "detect", "--source", str(pets_video()), "--detector", "motion", "--frames", "60", "--json"
    )
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    summary = lines[-1]["summary"]
    assert summary["frames_read"] == 60 and summary["frames_analysed"] == 60
    found = lines[:-1]
    assert len(found) == summary["detections"] > 0
    assert {d["event_type"] for d in found} == {"motion"}
    assert all(0 <= v <= 1 for d in found for v in d["bbox"])


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["--source", "/nowhere/clip.avi", "--detector", "motion"], 3, "does not exist"),
        (["--source", "rtsp://user:secret@127.0.0.1:9/x", "--detector", "motion"], 3, "stream"),
        (["--source", "x.avi", "--detector", "teleport"], 2, "no video detector"),
        (["--source", "x.avi", "--detector", "yolo", "--weights", "/no/model.pt"], 3, "model.pt"),
    ],
)
def test_detect_with_a_bad_source_or_detector_exits_with_the_reason(
    args: list[str], code: int, message: str
) -> None:
    result = run("detect", *args, timeout=60)
    assert result.returncode == code
    assert message in result.stderr
    assert "secret" not in result.stderr
