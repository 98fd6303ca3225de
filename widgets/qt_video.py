"""Video panel: camera tiles with detector overlays (full view in the video issue)."""

from PySide6.QtCore import Qt

from app.model import Detection
from i18n import lazy_gettext
from widgets.qt_pending_panel import QtPendingPanel


class QtVideoPanel(QtPendingPanel):
    ID = "video"
    TITLE = lazy_gettext("Video")
    DEFAULT_AREA = Qt.DockWidgetArea.RightDockWidgetArea
    PURPOSE = lazy_gettext("Live camera video with local detectors.")
    RECORD_TYPES = (Detection,)

    def describe(self, record):  # type: ignore[no-untyped-def]
        return f"{super().describe(record)} · {record.source_id}"
