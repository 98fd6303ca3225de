"""Renders report data as one HTML document (Jinja2) and prints it to PDF (WeasyPrint).

One template for both: the PDF is the HTML printed on A4 (page numbers in the footer, sections
on new pages), so what a reader sees in a browser and on paper never disagree. Autoescape is on
everywhere: alert headlines, posts and operator notes are hostile input and print as text.

The language is switched for the time of rendering and switched back after (the process has
one language; see ``i18n.catalogs``), so every ``gettext`` and Babel format in the view speaks
the report's language, and right-to-left languages get ``dir="rtl"``.
"""

from __future__ import annotations

import logging
import os
import unicodedata
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from pathlib import Path

from jinja2 import Environment, FunctionLoader, StrictUndefined, TemplateNotFound
from markupsafe import Markup

from app.bundled import read_text
from app.model import utc_now
from app.report.data import ReportData, ReportError, ReportWriteError
from app.report.view import build_context
from app.terminology import Terminology, default_terminology
from i18n import LANGUAGES, current_language, set_language

log = logging.getLogger(__name__)

FORMATS = (".pdf", ".html")


def _load(name: str) -> str:
    try:
        return read_text(f"report/{name}")
    except FileNotFoundError:
        raise TemplateNotFound(name) from None


_ENVIRONMENT = Environment(
    loader=FunctionLoader(_load),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def dir_attribute(text: object) -> Markup:
    """`` dir="ltr"`` or `` dir="rtl"`` after the text's first strong character (what
    ``dir="auto"`` does in a browser; WeasyPrint needs it spelled out), so that an English
    headline wrapped over lines in an Arabic table keeps its punctuation where it belongs."""
    for char in str(text):
        kind = unicodedata.bidirectional(char)
        if kind == "L":
            return Markup(' dir="ltr"')
        if kind in ("R", "AL"):
            return Markup(' dir="rtl"')
    return Markup("")


_ENVIRONMENT.filters["dir"] = dir_attribute


@contextmanager
def report_language(code: str) -> Iterator[None]:
    """The process speaks ``code`` inside the block, and its own language again after."""
    if code not in LANGUAGES:
        raise ReportError(f"unsupported language {code!r}; choose one of {', '.join(LANGUAGES)}")
    previous = current_language()
    if previous != code:
        set_language(code)
    try:
        yield
    finally:
        if current_language() != previous:
            set_language(previous)


def local_zone() -> tzinfo:
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None  # astimezone() always attaches one
    return zone


def render_html(
    data: ReportData,
    language: str = "en",
    tz: tzinfo | None = None,
    terms: Terminology | None = None,
    now: datetime | None = None,
) -> str:
    """The whole report as one HTML document in ``language`` (times in ``tz``, default the
    workstation's zone)."""
    with report_language(language):
        context = build_context(
            data, terms or default_terminology(), tz or local_zone(), language, now or utc_now()
        )
        # Our own stylesheet, inlined so the HTML file stands alone.
        context["css"] = Markup(read_text("report/report.css"))
        return _ENVIRONMENT.get_template("report.html").render(**context)


class _QuietFontAdvice(logging.Filter):
    """WeasyPrint advises installing HarfBuzz-Subset on every PDF when the system lacks it; the
    PDF is right either way (fonts are subset with fontTools), so the advice is not repeated
    to the person asking for a report."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "HarfBuzz-Subset" not in record.getMessage()


_QUIET = _QuietFontAdvice()


def html_to_pdf(html: str) -> bytes:
    """Prints the HTML on A4 with WeasyPrint (text stays text: searchable, extractable)."""
    logger = logging.getLogger("weasyprint")
    logger.addFilter(_QUIET)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*HarfBuzz-Subset.*")
            from weasyprint import HTML  # warns on first import when the library is missing

            return HTML(string=html, base_url=None).write_pdf()
    finally:
        logger.removeFilter(_QUIET)


def check_output(path: Path) -> Path:
    """Fails early, before minutes of rendering, when ``path`` cannot be written."""
    path = Path(path)
    if path.suffix.lower() not in FORMATS:
        raise ReportError(f"{path}: the report is written as .pdf or .html")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ReportWriteError(f"cannot write the report to {path}: folder {folder} does not exist")
    if path.is_dir():
        raise ReportWriteError(f"cannot write the report to {path}: it is a folder")
    target = path if path.exists() else folder
    if not os.access(target, os.W_OK):
        raise ReportWriteError(f"cannot write the report to {path}: permission denied")
    return path


def write_report(
    data: ReportData, path: Path, language: str = "en", tz: tzinfo | None = None
) -> Path:
    """Writes the report as PDF or HTML (by the file's suffix); returns the path written."""
    path = check_output(Path(path))
    html = render_html(data, language, tz)
    content = html_to_pdf(html) if path.suffix.lower() == ".pdf" else html.encode("utf-8")
    try:
        path.write_bytes(content)
    except OSError as exc:
        raise ReportWriteError(f"cannot write the report to {path}: {exc.strerror or exc}") from exc
    log.info("Report written to %s (%d bytes)", path, len(content))
    return path
