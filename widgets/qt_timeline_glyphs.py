"""How each timeline lane is named and drawn.

Every lane has its own shape as well as its own colour, so that lanes stay distinguishable for
colour-blind operators and on a washed-out wall screen. Alert lanes take their colour from the
terminology's priority colours, the same ones the queue's priority chips use.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QPointF, QRectF
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPolygonF

from app.model import Priority
from app.terminology import Terminology
from i18n import N_, gettext

LABEL_PAD = 8  # around the lane names
GLYPH_SLOT = 10  # the lane's sample glyph beside its name
ALERT_LANES = {"alerts-p1": 1, "alerts-p2": 2, "alerts-p3": 3, "alerts-p4": 4}
_NAMES = {
    "detections": N_("Detections"),
    "posts": N_("Posts"),
    "sensor-anomalies": N_("Sensor anomalies"),
    "threat-intel": N_("Threat intel"),
    "operator-actions": N_("Operator actions"),
    "bookmarks": N_("Bookmarks"),
}
# Lanes that are not alerts: colours chosen apart from the priority colours and the cursor.
_COLOURS = {
    "detections": "#26a69a",
    "posts": "#9fa8da",
    "sensor-anomalies": "#c0ca33",
    "threat-intel": "#ec407a",
    "operator-actions": "#b0bec5",
    "bookmarks": "#fff176",
}
_SHAPES = {
    "detections": "triangle",
    "posts": "circle",
    "sensor-anomalies": "square",
    "threat-intel": "hexagon",
    "operator-actions": "bar",
    "bookmarks": "flag",
}


def lane_name(lane: str) -> str:
    if lane in ALERT_LANES:
        return gettext("Alerts P{number}").format(number=ALERT_LANES[lane])
    return gettext(_NAMES.get(lane, lane))


def lane_colour(lane: str, terms: Terminology) -> QColor:
    if lane in ALERT_LANES:
        return QColor(terms.priority(Priority(ALERT_LANES[lane])).colour)
    return QColor(_COLOURS.get(lane, "#e3e6ea"))


def glyph_radius(size: float, count: int) -> float:
    """A merged mark grows with the log of its count, so a burst stands out without hiding
    its neighbours."""
    return size / 2 + min(3.0, math.log2(count)) if count > 1 else size / 2


def draw_glyph(painter: QPainter, lane: str, centre: QPointF, radius: float) -> None:
    """Draws the lane's shape with the painter's current pen and brush."""
    shape = "diamond" if lane in ALERT_LANES else _SHAPES.get(lane, "circle")
    x, y, r = centre.x(), centre.y(), radius
    if shape == "circle":
        painter.drawEllipse(centre, r, r)
    elif shape == "square":
        painter.drawRect(QRectF(x - r * 0.85, y - r * 0.85, r * 1.7, r * 1.7))
    elif shape == "bar":
        painter.drawRect(QRectF(x - max(1.0, r * 0.35), y - r, max(2.0, r * 0.7), r * 2))
    elif shape == "flag":
        painter.drawPath(_flag(x, y, r))
    else:
        painter.drawPolygon(_polygon(shape, x, y, r))


def _polygon(shape: str, x: float, y: float, r: float) -> QPolygonF:
    if shape == "triangle":
        corners = [(0, -r), (r, r * 0.8), (-r, r * 0.8)]
    elif shape == "hexagon":
        corners = [(r * math.cos(a), r * math.sin(a)) for a in (math.pi / 3 * k for k in range(6))]
    else:  # diamond
        corners = [(0, -r), (r, 0), (0, r), (-r, 0)]
    return QPolygonF([QPointF(x + dx, y + dy) for dx, dy in corners])


def _flag(x: float, y: float, r: float) -> QPainterPath:
    """A pole at the bookmark's instant, the cloth towards later times."""
    path = QPainterPath()
    path.addRect(QRectF(x - 0.75, y - r * 1.3, 1.5, r * 2.6))
    path.addPolygon(QPolygonF([QPointF(x, y - r * 1.3), QPointF(x + r * 1.6, y - r * 0.7),
                               QPointF(x, y - r * 0.1)]))  # fmt: skip
    return path
