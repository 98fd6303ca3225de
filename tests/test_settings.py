import json
from pathlib import Path

import pytest

from app import settings as settings_module
from app.settings import Settings, SettingsError


def test_missing_file_gives_defaults_in_the_user_config_folder(watchfloor_home: Path) -> None:
    assert settings_module.load() == Settings()
    assert settings_module.default_path().is_relative_to(watchfloor_home)


def test_round_trip_writes_the_schema_version(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings_module.save(Settings(language="ar", role="trainer", demo_speed=4.0), path)
    assert json.loads(path.read_text())["version"] == settings_module.VERSION
    assert settings_module.load(path) == Settings(language="ar", role="trainer", demo_speed=4.0)


def test_old_versions_are_migrated_step_by_step(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def rename_lang(document: dict) -> dict:
        document["language"] = document.pop("lang")
        return document

    monkeypatch.setattr(settings_module, "VERSION", 2)
    monkeypatch.setattr(settings_module, "MIGRATIONS", {1: rename_lang})
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"version": 1, "lang": "fr"}))
    assert settings_module.load(path).language == "fr"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        ("{not json", "cannot read"),
        ("[1, 2]", "JSON object"),
        ('{"version": 99}', "newer Watchfloor"),
        ('{"version": "one"}', "positive whole number"),
        ('{"version": 1, "role": "janitor"}', "janitor"),
    ],
)
def test_unusable_files_fail_with_a_reason(tmp_path: Path, content: str, reason: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    with pytest.raises(SettingsError, match=reason):
        settings_module.load(path)


def test_unknown_keys_are_reported_not_fatal(tmp_path: Path, caplog) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"version": 1, "colour": "blue"}')
    assert settings_module.load(path) == Settings()
    assert "colour" in caplog.text


def test_default_database_is_sqlite_in_the_data_folder(watchfloor_home: Path) -> None:
    url = Settings().effective_database_url()
    assert url.startswith("sqlite:///") and str(watchfloor_home) in url


def test_only_window_choices_are_remembered_not_command_line_overrides(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    settings_module.save(Settings(database_url="sqlite:////srv/shared.db"), path)
    session = settings_module.load(path)
    session.database_url, session.demo = "sqlite:////tmp/one-off.db", False  # --db, --no-demo
    settings_module.remember_choices("ar", "trainer", path)
    stored = settings_module.load(path)
    assert (stored.language, stored.role) == ("ar", "trainer")
    assert stored.database_url == "sqlite:////srv/shared.db" and stored.demo


def test_an_unreadable_settings_file_is_never_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{hand-edited, broken")
    settings_module.remember_choices("fr", "operator", path)
    assert path.read_text() == "{hand-edited, broken"
