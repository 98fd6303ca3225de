"""The secret store: the OS keyring when one is usable, else an owner-only file; tool
credentials resolved from it and moved out of the settings file.

No OS keyring daemon (Secret Service, Keychain) runs on the test machines: the keyring path is
tested with an in-memory keyring backend class registered with ``keyring`` for the test (the
same API the real backends implement), and the file fallback is what the rest of the suite
uses.
"""

from __future__ import annotations

import io
import json
import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.compat import properties

import main
from app.paths import config_dir
from app.security import secrets_cli
from app.security.secrets import FILE_NAME, SERVICE, SecretStore, SecretStoreError
from app.sync.config import ConnectorConfig
from app.sync.connector import RestConnector
from app.sync.credentials import CredentialError, move_plain_credentials, resolve

TOKEN = "tok-5d1c0ffee-not-for-logs"


class MemoryKeyring(KeyringBackend):
    """A keyring backend keeping entries in a dict, as a real one keeps them in the OS.
    Never chosen by keyring's own discovery (its priority raises): only where a test sets it,
    so no other test's secret store lands in it."""

    @properties.classproperty
    def priority(cls) -> float:  # noqa: N805 (a class property)
        raise RuntimeError("a test backend, set explicitly")

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.entries[(service, username)]


class BrokenKeyring(MemoryKeyring):
    """A backend that loads but fails at first use (a locked collection, no D-Bus)."""

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("the collection is locked")


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


def test_without_a_keyring_the_secrets_are_an_owner_only_file(
    watchfloor_home: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    store = SecretStore()
    assert not store.uses_keyring, "no keyring daemon here"
    store.set("tool-wd", TOKEN)
    path = config_dir() / FILE_NAME
    fallback = f"No usable OS keyring; secrets are kept in {path} (owner-only)"
    assert [r.message for r in caplog.records].count(fallback) == 1, "one line for it"
    assert store.path == path and path.is_relative_to(watchfloor_home)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SecretStore().get("tool-wd") == TOKEN
    assert store.names() == ["tool-wd"]
    assert "file" in store.backend and TOKEN not in repr(store)
    assert store.delete("tool-wd") and not store.delete("tool-wd")
    assert store.get("tool-wd") is None and store.names() == []
    assert TOKEN not in caplog.text


def test_a_file_readable_by_others_is_tightened_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    SecretStore().set("tool-wd", TOKEN)
    path = config_dir() / FILE_NAME
    path.chmod(0o644)
    with caplog.at_level(logging.WARNING):
        assert SecretStore().get("tool-wd") == TOKEN
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "readable by others" in caplog.text


@pytest.mark.parametrize("content", ["{", "[]", '{"version": 2, "secrets": {}}'])
def test_an_unreadable_file_is_an_error_never_replaced(content: str) -> None:
    path = config_dir() / FILE_NAME
    path.write_text(content)
    store = SecretStore()
    with pytest.raises(SecretStoreError, match=FILE_NAME):
        store.get("tool-wd")
    with pytest.raises(SecretStoreError, match=FILE_NAME):
        store.set("tool-wd", TOKEN)
    assert path.read_text() == content


def test_a_file_that_cannot_be_opened_is_an_error() -> None:
    (config_dir() / FILE_NAME).mkdir()  # root reads any file: a folder is unreadable as one
    with pytest.raises(SecretStoreError, match="unusable"):
        SecretStore().names()


def test_the_keyring_is_used_when_usable_and_namespaced_per_console(
    memory_keyring: MemoryKeyring, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = SecretStore()
    first.set("tool-wd", TOKEN)
    assert first.uses_keyring and "MemoryKeyring" in first.backend
    assert not (config_dir() / FILE_NAME).exists(), "nothing written to the file"
    assert {service for service, _ in memory_keyring.entries} == {SERVICE}
    assert TOKEN in memory_keyring.entries.values()

    monkeypatch.setenv("WATCHFLOOR_HOME", str(tmp_path / "second-console"))
    second = SecretStore()
    assert second.get("tool-wd") is None, "another console's secrets are not this one's"
    second.set("tool-wd", "other")
    assert first.get("tool-wd") == TOKEN and first.names() == ["tool-wd"]
    assert first.delete("tool-wd") and first.names() == [] and second.names() == ["tool-wd"]


@pytest.mark.parametrize("backend", [fail.Keyring(), BrokenKeyring()])
def test_an_unusable_keyring_falls_back_to_the_file(backend: Any) -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        store = SecretStore()
        store.set("tool-wd", TOKEN)
        assert not store.uses_keyring and store.path.exists()
    finally:
        keyring.set_keyring(previous)


def test_the_file_can_be_forced(memory_keyring: MemoryKeyring, monkeypatch) -> None:
    monkeypatch.setenv("WATCHFLOOR_SECRET_BACKEND", "file")
    store = SecretStore()
    store.set("tool-wd", TOKEN)
    assert not store.uses_keyring and memory_keyring.entries == {}


def connector_params(**auth: Any) -> dict[str, Any]:
    return {"id": "wd", "base_url": "http://127.0.0.1:9/", "auth": auth}


def test_a_connector_reads_its_credential_from_the_secret_store() -> None:
    with pytest.raises(CredentialError, match="secrets set tool-wd"):
        RestConnector(**connector_params(kind="bearer", secret="tool-wd"))
    SecretStore().set("tool-wd", TOKEN)
    connector = RestConnector(**connector_params(kind="bearer", secret="tool-wd"))
    assert connector.config.auth.token == TOKEN
    assert TOKEN not in repr(connector.config), "credentials stay out of reprs"
    basic = resolve(
        ConnectorConfig.model_validate(
            connector_params(kind="basic", username="ops", secret="tool-wd")
        )
    )
    assert basic.auth.password == TOKEN


def test_a_token_in_the_settings_file_moves_to_the_secret_store(
    caplog: pytest.LogCaptureFixture,
) -> None:
    path = config_dir() / "settings.json"
    document = {
        "version": 1,
        "language": "en",
        "sources": [
            {"plugin": "rest", "params": connector_params(kind="bearer", token=TOKEN)},
            {"plugin": "rest", "params": {**connector_params(kind="none"), "id": "open"}},
        ],
    }
    path.write_text(json.dumps(document))
    path.chmod(0o640)
    with caplog.at_level(logging.WARNING):
        assert move_plain_credentials(path) == ["tool-wd"]
        assert move_plain_credentials(path) == [], "moved once"
    assert caplog.text.count("Moved 1 tool credential") == 1
    assert TOKEN not in caplog.text
    assert TOKEN.encode() not in path.read_bytes()
    assert stat.S_IMODE(path.stat().st_mode) == 0o640, "the file keeps its permissions"
    rewritten = json.loads(path.read_text())
    assert rewritten["sources"][0]["params"]["auth"] == {"kind": "bearer", "secret": "tool-wd"}
    assert rewritten["sources"][1] == document["sources"][1]
    assert rewritten["language"] == "en"
    assert SecretStore().get("tool-wd") == TOKEN
    params = rewritten["sources"][0]["params"]
    assert RestConnector(**params).config.auth.token == TOKEN


def test_main_moves_the_credentials_before_reading_the_settings(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    params = connector_params(kind="api_key", key=TOKEN)
    path.write_text(json.dumps({"version": 1, "sources": [{"plugin": "rest", "params": params}]}))
    args = main.build_parser().parse_args(["--settings", str(path), "secrets", "list"])
    settings = main._settings(args)
    assert settings.sources[0]["params"]["auth"] == {"kind": "api_key", "secret": "tool-wd"}
    assert TOKEN.encode() not in path.read_bytes()


def test_the_secrets_command_never_prints_a_value(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(TOKEN + "\n"))
    assert main.main(["secrets", "set", "tool-wd"]) == 0
    assert SecretStore().get("tool-wd") == TOKEN
    assert main.main(["secrets", "list"]) == 0
    out = capsys.readouterr().out
    assert "tool-wd" in out and "backend: file" in out and TOKEN not in out
    assert main.main(["secrets", "delete", "tool-wd"]) == 0
    assert main.main(["secrets", "delete", "tool-wd"]) == 3
    monkeypatch.setattr("sys.stdin", io.StringIO("\n"))
    assert main.main(["secrets", "set", "tool-wd"]) == 2, "no empty secret"
    assert SecretStore().names() == []
    assert os.environ.get("WATCHFLOOR_HOME")


def test_keys_carried_to_another_workstation_by_export_and_import(tmp_path: Path) -> None:
    """A second workstation of a shared control room takes over the first one's keys; a key
    that differs there is kept unless --replace says otherwise (replacing orphans what it
    made)."""
    first = SecretStore(tmp_path / "a.json", use_keyring=False)
    second = SecretStore(tmp_path / "b.json", use_keyring=False)
    first.set("pseudonym-keys", '{"k": "one"}')
    first.set("column-key", "c1")
    carried = tmp_path / "carry.json"
    out, err = io.StringIO(), io.StringIO()

    def secrets(store: SecretStore, *argv: str) -> int:
        args = main.build_parser().parse_args(["secrets", *argv])
        return secrets_cli.run(args, io.StringIO(), out, err, store)

    assert secrets(first, "export", str(carried), "pseudonym-keys", "column-key") == 0
    assert stat.S_IMODE(carried.stat().st_mode) == 0o600
    assert "c1" not in out.getvalue()
    assert secrets(first, "export", str(carried), "column-key") == 2, "never overwrites"
    assert secrets(first, "export", str(tmp_path / "x.json"), "no-such") == 3
    second.set("column-key", "c2")
    assert secrets(second, "import", str(carried)) == 3
    assert second.get("column-key") == "c2" and second.get("pseudonym-keys") is None
    assert secrets(second, "import", str(carried), "--replace") == 0
    assert second.get("column-key") == "c1"
    assert second.get("pseudonym-keys") == '{"k": "one"}'
    carried.write_text("{broken", encoding="utf-8")
    assert secrets(second, "import", str(carried)) == 3
