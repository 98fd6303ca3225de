"""Social feed panel: analysed posts (full feed in the social-media issue)."""

from PySide6.QtCore import Qt

from app.model import Post
from i18n import lazy_gettext
from widgets.qt_pending_panel import QtPendingPanel


class QtSocialPanel(QtPendingPanel):
    ID = "social"
    TITLE = lazy_gettext("Social feed")
    DEFAULT_AREA = Qt.DockWidgetArea.BottomDockWidgetArea
    TABIFY_WITH = "sensors"
    PURPOSE = lazy_gettext("Public posts analysed for threats, with pseudonymised authors.")
    RECORD_TYPES = (Post,)

    def describe(self, record):  # type: ignore[no-untyped-def]
        return f"{record.platform} · {record.author}"
