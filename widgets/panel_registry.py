"""Every panel the console can show. A panel is added by listing its class here (or, later,
through a plugin manifest); the main window and the layouts only ever read this list."""

from __future__ import annotations

from widgets.qt_alerts import QtAlertsPanel
from widgets.qt_audit import QtAuditPanel
from widgets.qt_exercise import QtExercisePanel
from widgets.qt_incidents import QtIncidentsPanel
from widgets.qt_legend import QtLegendPanel
from widgets.qt_map import QtMapPanel
from widgets.qt_panel import QtPanel
from widgets.qt_privacy import QtPrivacyPanel
from widgets.qt_sensors import QtSensorsPanel
from widgets.qt_social import QtSocialPanel
from widgets.qt_timeline import QtTimelinePanel
from widgets.qt_video import QtVideoPanel

PANELS: tuple[type[QtPanel], ...] = (
    QtMapPanel,
    QtLegendPanel,
    QtVideoPanel,
    QtAlertsPanel,
    QtSensorsPanel,
    QtSocialPanel,
    QtTimelinePanel,
    QtIncidentsPanel,
    QtExercisePanel,
    QtPrivacyPanel,
    QtAuditPanel,
)


def panel_ids() -> list[str]:
    return [panel.ID for panel in PANELS]
