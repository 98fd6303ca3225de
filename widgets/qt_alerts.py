"""Alert queue panel (full queue in the alert-centre issue)."""

from PySide6.QtCore import Qt

from app.model import Alert
from i18n import lazy_gettext
from widgets.qt_pending_panel import QtPendingPanel


class QtAlertsPanel(QtPendingPanel):
    ID = "alerts"
    TITLE = lazy_gettext("Alerts")
    DEFAULT_AREA = Qt.DockWidgetArea.RightDockWidgetArea
    PURPOSE = lazy_gettext("Every tool's alerts in one queue, by priority.")
    RECORD_TYPES = (Alert,)

    def describe(self, record):  # type: ignore[no-untyped-def]
        style = self.context.terminology.priority(record.priority)
        return f"{style.name} · {super().describe(record)} · {record.headline}"
