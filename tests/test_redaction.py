"""Exports are redacted by default: authors numbered, e-mail addresses and phone numbers
masked; an unredacted report needs a permitted person, their password and a purpose, and
every report export is on the audit record (real SQLite file, real report files)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

import main
from app.model import Post, Status
from app.report import collect_exercise, render_html
from app.scenario.model import exercise_identifier
from app.security.accounts import AccountStore
from app.security.audit import AuditLog
from app.security.passwords import hash_password
from app.security.redaction import Redactor, redact_report
from app.storage import RecordStore, create_engine_for, upgrade_schema
from tests.report_fixtures import RUN, at, store_exercise

AUTHOR = "p1-0123456789ab"
OTHER = "p1-fedcba987654"
PRIVATE = ("+47 22 33 44 55", "ola.nordmann@example.no", AUTHOR, OTHER)


@pytest.mark.parametrize(
    ("text", "redacted"),
    [
        ("Call +47 22 33 44 55 now", "Call [phone] now"),
        ("ring 0047-22334455 or (020) 7946 0018", "ring [phone] or [phone]"),
        ("write to ola.nordmann+x@example.no", "write to [e-mail]"),
        ("at 2026-06-20 18:00, 59.9117, 10.7336", "at 2026-06-20 18:00, 59.9117, 10.7336"),
        ("Knife detected, camera 3; 1200 people", "Knife detected, camera 3; 1200 people"),
        (f"@{AUTHOR} to @quay_news and {AUTHOR}", "@author 1 to @author 2 and author 1"),
        ("@name@social.example hi", "@author 1 hi"),
    ],
)
def test_free_text_is_redacted_and_ordinary_numbers_are_not(text: str, redacted: str) -> None:
    assert Redactor().text(text) == redacted


def test_authors_keep_one_number_within_an_export_only() -> None:
    first = Redactor()
    assert first.author(OTHER) == "author 1"
    assert first.author(AUTHOR) == "author 2"
    assert first.author(OTHER) == "author 1"
    assert first.text(f"@{AUTHOR}") == "@author 2"
    assert Redactor().author(AUTHOR) == "author 1", "numbers mean nothing across exports"


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, RecordStore]]:
    url = f"sqlite:///{tmp_path / 'report.db'}"
    engine = create_engine_for(url)
    upgrade_schema(engine)
    store = RecordStore(engine)
    store_exercise(store)
    store.save(
        [
            Post(
                identifier=f"social:{exercise_identifier(RUN, 'private')}",
                platform="microblog",
                author=AUTHOR,
                reply_to=OTHER,
                text=f"@{OTHER} call me on +47 22 33 44 55 or ola.nordmann@example.no",
                time=at(25),
                url=f"https://microblog.example/{AUTHOR}/1",
                status=Status.EXERCISE,
            )
        ]
    )
    accounts = AccountStore(store)
    accounts.add("sam", "Sam", "city-control", ("supervisor",), hash_password("sam-pass-22"))
    accounts.add("ann", "Ann", "city-control", ("analyst",), hash_password("ann-pass-333"))
    yield url, store
    engine.dispose()


def test_a_redacted_report_holds_no_author_address_or_number(database) -> None:
    _url, store = database
    data = collect_exercise(store, RUN)
    assert AUTHOR in render_html(data), "the unredacted report would show the pseudonym"
    redacted = redact_report(data)
    html = render_html(redacted)
    for private in PRIVATE:
        assert private not in html
    post = next(p for p in redacted.posts if p.identifier.endswith("private"))
    # Numbered in time order: the run's earlier post's author is "author 1".
    assert (post.author, post.reply_to, post.url) == ("author 2", "author 3", None)
    assert post.text == "@author 3 call me on [phone] or [e-mail]"
    assert redact_report(replace(data, posts=())).alerts == redacted.alerts


def report(url: str, out: Path, *extra: str) -> int:
    return main.main(["--db", url, "report", "--exercise", RUN, "--out", str(out), *extra])


def exports(store: RecordStore) -> list:
    return [e for e in AuditLog(store).entries() if e.action == "export.report"]


def test_the_report_command_redacts_by_default_and_records_the_export(
    database, tmp_path: Path
) -> None:
    url, store = database
    out = tmp_path / "redacted.html"
    assert report(url, out) == 0
    html = out.read_text(encoding="utf-8")
    for private in PRIVATE:
        assert private not in html
    assert "author 1" in html
    [entry] = exports(store)
    assert entry.actor.startswith("cli:") and entry.target == RUN
    assert entry.detail["redacted"] is True and entry.outcome.value == "ok"


def test_an_unredacted_report_needs_a_permitted_person_and_a_purpose(
    database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    url, store = database
    out = tmp_path / "full.html"
    purpose = "Court request 2026/118 on the harbour threat"
    assert report(url, out, "--unredacted", "--purpose", purpose) == 5
    assert "--as" in capsys.readouterr().err
    monkeypatch.setenv("WATCHFLOOR_PASSWORD", "ann-pass-333")
    assert report(url, out, "--unredacted", "--as", "ann", "--purpose", "why") == 5
    assert "purpose" in capsys.readouterr().err
    assert report(url, out, "--unredacted", "--as", "ann", "--purpose", purpose) == 5
    assert "unmask" in capsys.readouterr().err, "an analyst may export, not unmask"
    monkeypatch.setenv("WATCHFLOOR_PASSWORD", "not-sams-password")
    assert report(url, out, "--unredacted", "--as", "sam", "--purpose", purpose) == 5
    assert not out.exists(), "nothing written on a refusal"

    monkeypatch.setenv("WATCHFLOOR_PASSWORD", "sam-pass-22")
    assert report(url, out, "--unredacted", "--as", "sam", "--purpose", purpose) == 0
    html = out.read_text(encoding="utf-8")
    assert AUTHOR in html and "ola.nordmann@example.no" in html
    entries = exports(store)
    assert entries[0].actor.startswith("cli:"), "no --as: the OS user is on the record"
    assert [(e.actor, e.outcome.value) for e in entries[1:]] == [
        ("ann", "refused"),
        ("ann", "refused"),
        ("sam", "refused"),
        ("sam", "ok"),
    ]
    assert entries[-1].detail["redacted"] is False
    assert entries[-1].detail["purpose"] == purpose
    assert all("sam-pass-22" not in str(e.detail) for e in AuditLog(store).entries())
