"""Timeline panel: what happened when (full timeline in the timeline issue)."""

from PySide6.QtCore import Qt

from app.model import Alert, Detection, Post
from i18n import lazy_gettext
from widgets.qt_pending_panel import QtPendingPanel


class QtTimelinePanel(QtPendingPanel):
    ID = "timeline"
    TITLE = lazy_gettext("Timeline")
    DEFAULT_AREA = Qt.DockWidgetArea.BottomDockWidgetArea
    PURPOSE = lazy_gettext("Everything that happened, in lanes on one time axis.")
    RECORD_TYPES = (Alert, Detection, Post)
