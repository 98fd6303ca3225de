"""Map panel: located alerts, detections, tracks and posts (full map in the map issue)."""

from PySide6.QtCore import Qt

from app.model import Alert, Detection, Post, Track
from i18n import isolate, lazy_gettext
from widgets.qt_pending_panel import QtPendingPanel


class QtMapPanel(QtPendingPanel):
    ID = "map"
    TITLE = lazy_gettext("Map")
    DEFAULT_AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    PURPOSE = lazy_gettext("Map of alerts, detections, tracks, cameras and sensors.")
    RECORD_TYPES = (Alert, Detection, Track, Post)

    def _on_records(self, batch):  # type: ignore[no-untyped-def]
        located = [record for record in batch if getattr(record, "point", None) is not None]
        if located:
            super()._on_records(located)

    def describe(self, record):  # type: ignore[no-untyped-def]
        point = record.point
        # Coordinates read left to right in every language, Arabic included.
        where = isolate(f"({point.lat:.4f}, {point.lon:.4f})", ltr=True)
        return f"{super().describe(record)} {where}"
