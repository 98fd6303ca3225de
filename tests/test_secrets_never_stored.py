"""Secrets never reach the database, the data folder or the logs — checked on the bytes.

A real console core runs on a SQLite file in the data folder, with a REST connector whose
bearer token comes from the secret store (a real tool server on 127.0.0.1 refuses any other
token). The tool serves posts whose authors, reply-to authors, mentions and links name real
handles; they are pseudonymised and their handles sealed. An operator asks to see one author,
a supervisor approves at the operator's desk, and the handle is revealed on the hub. Then the
raw bytes of the database (and its WAL), of every file under the data folder, and of all log
output at DEBUG level are searched for the token, the pseudonym keys, the column key and the
handles: none may appear, in any usual encoding.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from app.model import Post
from app.paths import data_dir
from app.runtime import Core
from app.security.model import (
    DecideUnmask,
    PermissionRefused,
    RequestUnmask,
    RevealedAuthor,
    UnmaskChanged,
    UnmaskKind,
    UnmaskState,
)
from app.security.sealing import SECRET_NAME as COLUMN_KEY
from app.security.secrets import SecretStore
from app.settings import Settings
from app.simtools.server import SimulatedToolServer
from app.simtools.tool import SimulatedTool
from app.social.keys import SECRET_NAME as PSEUDONYM_KEYS
from app.social.privacy import pseudonym

TOKEN = "wf-token-7Qx9c2b1e0d4f8a6"
HANDLES = ("Harbour_Watcher", "quay_news", "nightowl_77")
T0 = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)
DEADLINE_S = 30.0


def tool_post(n: int, author: str, text: str, **changes: Any) -> dict[str, Any]:
    item = {
        "identifier": f"sm-{n}",
        "platform": "microblog",
        "author": author,
        "text": text,
        "time": (T0 + timedelta(seconds=n)).isoformat(),
        "language": "en",
        "geometry": {"type": "Point", "coordinates": [10.733, 59.912]},
    }
    item.update(changes)
    return item


class Seen:
    def __init__(self, core: Core) -> None:
        self.messages: list[Any] = []
        self.changed = threading.Condition()
        core.hub.subscribe(object, self.on_batch)

    def on_batch(self, batch: list[Any]) -> None:
        with self.changed:
            self.messages.extend(batch)
            self.changed.notify_all()

    def of(self, kind: type) -> list[Any]:
        with self.changed:
            return [m for m in self.messages if isinstance(m, kind)]

    def wait(self, predicate: Callable[[], bool], what: str) -> None:
        with self.changed:
            ok = self.changed.wait_for(predicate, DEADLINE_S)
        assert ok, f"timed out waiting for {what}; refusals: {self.of(PermissionRefused)}"


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """Everything every logger says at DEBUG, in a file, as a console's log would be."""
    path = tmp_path / "console.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    previous = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield path
    root.removeHandler(handler)
    root.setLevel(previous)
    handler.close()


def snapshot() -> dict[str, bytes]:
    """Every file under the data folder, as bytes."""
    return {str(p): p.read_bytes() for p in data_dir().rglob("*") if p.is_file()}


def encodings(secret: str | bytes) -> list[bytes]:
    raw = secret.encode("utf-8") if isinstance(secret, str) else secret
    forms = [raw, raw.hex().encode(), base64.b64encode(raw), raw.decode("latin-1").encode()]
    if isinstance(secret, str):
        forms += [secret.lower().encode(), secret.encode("utf-16-le")]
    return forms


def test_no_secret_or_handle_is_ever_written_outside_the_secret_store(
    log_file: Path, watchfloor_home: Path
) -> None:
    secrets = SecretStore()
    secrets.set("tool-social", TOKEN)
    with SimulatedToolServer() as server:
        tool = SimulatedTool("social", api_key=TOKEN)  # refuses any other token
        base_url = server.add(tool)
        tool.publish_records(
            "posts",
            tool_post(1, "@Harbour_Watcher", "Meet at the stage cc @quay_news"),
            tool_post(
                2,
                "@nightowl_77",
                "@Harbour_Watcher agreed",
                reply_to="@Harbour_Watcher",
                url="https://microblog.example/@nightowl_77/2",
            ),
        )
        connector = {
            "id": "social",
            "base_url": base_url,
            "kinds": ["posts"],
            "poll_interval_s": 0.05,
            "retry_base_s": 0.05,
            "retry_cap_s": 0.2,
            "auth": {"kind": "bearer", "secret": "tool-social"},
        }
        # The database is the default one, in the data folder; demo accounts are seeded.
        core = Core(Settings(sources=[{"plugin": "rest", "params": connector}]))
        seen = Seen(core)
        core.start()
        try:
            seen.wait(lambda: len(seen.of(Post)) >= 2, "the posts")
            key = core.pseudonym_keys.ring().current
            author = pseudonym(key, "microblog", "Harbour_Watcher")
            assert {p.author for p in seen.of(Post)} >= {author}

            core.security.sign_in("operator", "demo")
            core.submit(
                RequestUnmask(
                    UnmaskKind.AUTHOR,
                    author,
                    "Threat against the stage crew, police request 41-7",
                    5,
                    "operator",
                    "unmask-1",
                )
            )

            def state() -> UnmaskState | None:
                changes = [m.request.state for m in seen.of(UnmaskChanged)]
                return changes[-1] if changes else None

            seen.wait(lambda: state() is UnmaskState.PENDING, "the pending request")
            core.submit(DecideUnmask("unmask-1", True, "supervisor", "ok", password="demo"))
            seen.wait(lambda: bool(seen.of(RevealedAuthor)), "the revealed handle")
            assert seen.of(RevealedAuthor)[0].handle == "Harbour_Watcher"
            assert core.audit.flush()
            running = snapshot()  # with the WAL as the running console leaves it
        finally:
            core.stop()

    pseudonym_keys = json.loads(secrets.get(PSEUDONYM_KEYS) or "")
    column_keys = json.loads(secrets.get(COLUMN_KEY) or "")
    forbidden: dict[str, list[bytes]] = {"token": encodings(TOKEN)}
    for item in pseudonym_keys["keys"]:
        forbidden[f"pseudonym key {item['id']}"] = encodings(base64.b64decode(item["secret"]))
    for key_id, value in column_keys["keys"].items():
        forbidden[f"column key {key_id}"] = encodings(base64.b64decode(value))
    for handle in HANDLES:
        forbidden[f"handle {handle}"] = encodings(handle)

    database = data_dir() / "watchfloor.db"
    assert any(name.endswith("watchfloor.db-wal") for name in running), "WAL seen running"
    places = {f"{name} (running)": content for name, content in running.items()}
    places.update(snapshot())
    assert str(database) in places, "the console used the data folder's database"
    assert b"unmask.reveal" in places[str(database)], "the run wrote what it should"
    assert b"handle_sealed" in places[str(database)]
    places["log output"] = log_file.read_bytes()
    assert b"Unmask request unmask-1" in places["log output"], "the log was captured"
    leaks = [
        f"{what} in {where}"
        for where, content in places.items()
        for what, forms in forbidden.items()
        if any(form in content for form in forms)
    ]
    assert leaks == []
    # The secrets are where they belong: the owner-only secret store, outside the data folder.
    assert not secrets.path.is_relative_to(data_dir())
    assert TOKEN.encode() in secrets.path.read_bytes()
