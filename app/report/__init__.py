"""After-action reports of an exercise run or an incident: one HTML document (Jinja2, inline
SVG charts and map, no script) in the chosen language, printed to PDF with WeasyPrint.

``collect_exercise``/``collect_incident`` read the store, ``write_report`` renders and writes.
"""

from app.report.collect import collect_exercise, collect_incident
from app.report.data import ReportData, ReportError, ReportNotFoundError, ReportWriteError
from app.report.render import render_html, write_report

__all__ = [
    "ReportData",
    "ReportError",
    "ReportNotFoundError",
    "ReportWriteError",
    "collect_exercise",
    "collect_incident",
    "render_html",
    "write_report",
]
