"""Sensors panel: live sensor series (full charts in the sensors issue)."""

from PySide6.QtCore import Qt

from app.model import Observation
from i18n import format_decimal, lazy_gettext
from widgets.qt_pending_panel import QtPendingPanel


class QtSensorsPanel(QtPendingPanel):
    ID = "sensors"
    TITLE = lazy_gettext("Sensors")
    DEFAULT_AREA = Qt.DockWidgetArea.BottomDockWidgetArea
    PURPOSE = lazy_gettext("Live charts of sensor readings and thresholds.")
    RECORD_TYPES = (Observation,)

    def describe(self, record):  # type: ignore[no-untyped-def]
        return f"{record.sensor_id} = {format_decimal(record.value)} {record.unit}"
