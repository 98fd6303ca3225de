"""After-action reports: collected from a real store, rendered to HTML and PDF, read back.

The PDF tests extract the text with pypdf: what a reader (or a search) finds in the file, not
what the template meant to print."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from pypdf import PdfReader

import main
from app.exercise.scoring import score_run
from app.model import ExerciseRun, GeoPoint
from app.report import (
    ReportError,
    ReportNotFoundError,
    ReportWriteError,
    collect_exercise,
    collect_incident,
    render_html,
    write_report,
)
from app.report.map_snapshot import map_snapshot
from app.report.render import report_language
from app.report.sections import score_line
from app.report.texts import HEADINGS, labels
from app.terminology import default_terminology
from i18n import current_language, gettext
from tests.report_fixtures import RUN, TITLE, store_exercise, store_from_spec

VOID = {"meta", "br", "hr", "img", "input", "link", "col", "area", "base", "wbr"}
ARABIC = re.compile("[\u0600-\u06ff\ufb50-\ufdff\ufe70-\ufeff]")


class BalanceChecker(HTMLParser):
    """Fails on a closing tag that does not close the innermost open element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag not in VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs) -> None:
        pass  # <rect .../> inside SVG

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]} at {self.getpos()}")
        else:
            self.stack.pop()


def plain(text: str) -> str:
    """Extracted text with isolates dropped and every run of spaces made one space."""
    text = re.sub("[\u2066-\u2069]", "", text)
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


def pdf_text(path: Path) -> str:
    return plain(" ".join(page.extract_text() for page in PdfReader(path).pages))


@pytest.fixture
def exercise(record_store):
    spec, run = store_exercise(record_store)
    return collect_exercise(record_store, run.identifier, spec=spec)


def test_html_is_well_formed_with_every_section(exercise) -> None:
    html = render_html(exercise, "en")

    checker = BalanceChecker()
    checker.feed(html)
    checker.close()
    assert checker.errors == [] and checker.stack == []
    for svg in re.findall(r"<svg.*?</svg>", html, flags=re.S):
        ET.fromstring(svg)  # every inline SVG is well-formed XML
    for key in ("summary", "timeline", "charts", "map", "scores", "log"):
        assert f'id="{key}"' in html
        assert f">{gettext(HEADINGS[key])}</h2>" in html
    assert '<html lang="en" dir="ltr">' in html
    assert "<script" not in html.lower()


def test_hostile_text_is_escaped(exercise) -> None:
    html = render_html(exercise, "en")

    assert "<script>" not in html and "<b>everyone</b>" not in html
    assert "&lt;script&gt;alert(&#39;pwned&#39;)&lt;/script&gt;" in html
    assert "&lt;b&gt;everyone&lt;/b&gt;" in html


def test_report_contents_come_from_the_run(exercise) -> None:
    assert len(exercise.alerts) == 8 and len(exercise.observations) == 180
    assert len(exercise.posts) == 1 and len(exercise.detections) == 3
    assert [i.identifier for i in exercise.incidents] == ["inc-1"]
    assert exercise.score is not None and exercise.score.max_points == 40.0
    html = render_html(exercise, "en")
    assert "Police patrol 12 on its way" in html  # the incident log
    assert "Station North, airborne bacteria" in html  # the sensor chart, from the site layer
    assert "Stage front" in html  # a zone of the site layer, in the map's key
    assert html.count('class="good"') + html.count('class="bad"') >= 2  # score rows


@pytest.mark.parametrize("language", ["en", "fr"])
def test_pdf_holds_every_section_the_title_and_the_score(
    exercise, tmp_path: Path, language: str
) -> None:
    path = write_report(exercise, tmp_path / f"report-{language}.pdf", language)

    text = pdf_text(path)
    with report_language(language):
        headings = [gettext(h) for h in HEADINGS.values()]
        line = score_line(exercise.score, labels())
    for heading in headings:
        assert heading in text, heading
    assert TITLE in text
    assert plain(line) in text
    assert len(PdfReader(path).pages) >= 6  # sections start on new pages
    assert current_language() == "en"


def test_arabic_report_is_right_to_left_and_renders(exercise, tmp_path: Path) -> None:
    html = render_html(exercise, "ar")
    assert '<html lang="ar" dir="rtl">' in html

    path = write_report(exercise, tmp_path / "report-ar.pdf", "ar")

    text = pdf_text(path)
    assert ARABIC.search(text), "no Arabic text in the Arabic report"
    assert TITLE in text
    assert current_language() == "en"


def test_incident_report(record_store, tmp_path: Path) -> None:
    store_exercise(record_store)
    data = collect_incident(record_store, "inc-1")

    assert data.kind == "incident" and len(data.alerts) == 2
    assert data.start == data.alerts[0].sent and data.ongoing
    path = write_report(data, tmp_path / "incident.pdf", "en")

    text = pdf_text(path)
    assert "Armed person at the stage barrier" in text
    assert "commander-1" in text and "Police patrol 12 on its way" in text
    assert gettext(HEADINGS["scores"]) not in text
    for key in ("summary", "timeline", "charts", "map", "log"):
        assert gettext(HEADINGS[key]) in text


def test_unknown_run_or_incident(record_store) -> None:
    with pytest.raises(ReportNotFoundError, match="no exercise run"):
        collect_exercise(record_store, None)
    with pytest.raises(ReportNotFoundError, match="nope"):
        collect_exercise(record_store, "nope")
    with pytest.raises(ReportNotFoundError, match="nope"):
        collect_incident(record_store, "nope")


def test_unwritable_output_is_a_clear_error(exercise, tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("not a folder")
    with pytest.raises(ReportWriteError, match="does not exist"):
        write_report(exercise, tmp_path / "missing" / "r.pdf")
    with pytest.raises(ReportWriteError, match="does not exist"):
        write_report(exercise, blocker / "r.pdf")
    (tmp_path / "folder.pdf").mkdir()
    with pytest.raises(ReportWriteError, match="is a folder"):
        write_report(exercise, tmp_path / "folder.pdf")
    with pytest.raises(ReportError, match=r"\.pdf or \.html"):
        write_report(exercise, tmp_path / "r.docx")


def test_a_stored_score_is_used_when_the_scenario_cannot_be_read(record_store) -> None:
    spec, run = store_exercise(record_store)
    document = score_run(spec, run, record_store).to_document()
    record_store.save([replace(run, score=document)])

    data = collect_exercise(record_store, RUN)  # "harbour-drill" is no bundled scenario

    assert data.spec is None and data.score is not None
    assert data.score.to_document() == document
    assert "Harbour festival drill" in render_html(data, "en")


def test_a_bundled_scenario_is_reported_with_its_own_site(record_store) -> None:
    from app.scenario.loader import load_scenario

    spec = load_scenario("stadium-weapon")
    store_from_spec(record_store, spec)

    data = collect_exercise(record_store, RUN)

    assert data.spec is not None and data.spec.id == "stadium-weapon"
    assert data.layers.shapes and data.layers.cameras
    assert data.score is not None and data.score.count("not_played") == 0
    html = render_html(data, "en")
    assert spec.title.replace('"', "&#34;") in html or spec.title in html
    assert 'id="map"' in html and "<polygon" in html


def test_an_empty_run_still_makes_a_report(record_store) -> None:
    from tests.report_fixtures import T0

    record_store.save(
        [ExerciseRun(identifier="empty", scenario="x", title="Nothing happened", started=T0)]
    )
    data = collect_exercise(record_store, "empty", now=T0 + timedelta(minutes=5))

    html = render_html(data, "en")

    assert data.ongoing and not data.alerts
    assert gettext("Nothing was recorded in this period.") in html
    assert gettext("Nothing in this report has a position on the map.") in html


def test_the_map_projects_north_up_with_a_scale_bar(exercise) -> None:
    terms = default_terminology()
    snapshot = map_snapshot(exercise.layers, exercise.alerts, terms)

    assert snapshot.svg is not None
    assert len(snapshot.numbered) == 8 and [n for n, _ in snapshot.numbered] == list(range(1, 9))
    assert [n for n, a in snapshot.numbered if a.priority == 1]  # P1 first
    assert snapshot.numbered[0][1].priority <= snapshot.numbered[-1][1].priority
    assert len(snapshot.lettered) == len(exercise.layers.shapes) == 5
    assert "100 m" in snapshot.svg or "50 m" in snapshot.svg or "200 m" in snapshot.svg
    south, north = GeoPoint(59.910, 10.733), GeoPoint(59.913, 10.733)
    from app.report.map_snapshot import _Projection

    project = _Projection(GeoPoint(59.9115, 10.733), [south, north])
    assert project(north)[1] < project(south)[1]  # north is up


def test_cli_writes_the_report_of_a_run_and_of_an_incident(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.storage import RecordStore, create_engine_for, upgrade_schema

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine_for(url)
    upgrade_schema(engine)
    spec, run = store_exercise(RecordStore(engine))
    store = RecordStore(engine)
    store.save([replace(run, score=score_run(spec, run, store).to_document())])
    engine.dispose()
    out = tmp_path / "x.pdf"

    code = main.main(["--db", url, "report", "--exercise", RUN, "--out", str(out)])

    assert code == 0 and out.exists()
    assert f"report written to {out}" in capsys.readouterr().out
    text = pdf_text(out)
    assert TITLE in text and "Score: 25.8 of 40 points (65%)" in text
    latest = tmp_path / "latest.html"
    assert main.main(["--db", url, "report", "--out", str(latest), "--lang", "fr"]) == 0
    assert '<html lang="fr" dir="ltr">' in latest.read_text(encoding="utf-8")
    incident = tmp_path / "incident.html"
    assert main.main(["--db", url, "report", "--incident", "inc-1", "--out", str(incident)]) == 0
    assert "Armed person at the stage barrier" in incident.read_text(encoding="utf-8")


def test_cli_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from app.storage import RecordStore, create_engine_for, upgrade_schema

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    engine = create_engine_for(url)
    upgrade_schema(engine)
    store_exercise(RecordStore(engine))
    engine.dispose()

    assert (
        main.main(["--db", url, "report", "--exercise", "nope", "--out", str(tmp_path / "a.pdf")])
        == 3
    )
    assert "no exercise run 'nope'" in capsys.readouterr().err
    assert (
        main.main(["--db", url, "report", "--incident", "nope", "--out", str(tmp_path / "a.pdf")])
        == 3
    )
    unwritable = tmp_path / "no" / "such" / "folder" / "a.pdf"
    assert main.main(["--db", url, "report", "--out", str(unwritable)]) == 4
    assert "cannot write the report" in capsys.readouterr().err
    assert main.main(["--db", url, "report", "--out", str(tmp_path / "a.txt")]) == 2
    with pytest.raises(SystemExit):  # argparse: --incident and --exercise together
        main.main(["report", "--incident", "a", "--exercise", "b", "--out", "x.pdf"])
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert main.main(["--db", empty, "report", "--out", str(tmp_path / "b.pdf")]) == 3
    assert "no exercise run in this database" in capsys.readouterr().err


def test_times_follow_the_zone_asked_for(exercise) -> None:
    from datetime import timezone

    html = render_html(exercise, "en", tz=timezone(timedelta(hours=2)))
    assert "UTC+02:00" in html and "20:01:00" in html  # 18:01 UTC
    html = render_html(exercise, "en", tz=UTC)
    assert "18:01:00" in html


def test_text_keeps_its_own_direction(exercise) -> None:
    arabic = replace(exercise.alerts[1], headline="حريق في المستودع")
    data = replace(exercise, alerts=(exercise.alerts[0], arabic, *exercise.alerts[2:]))

    english = render_html(data, "en")
    right_to_left = render_html(data, "ar")

    assert re.search(r'<td dir="rtl">[^<]*حريق في المستودع', english)
    assert re.search(r'<td dir="ltr">[^<]*Exercise alert 3 near the stage', right_to_left)
