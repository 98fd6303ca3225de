"""Paints the timeline view: axis, lanes, marks, the now line and the review cursor.

Separate from the view's pointer handling so each stays small; everything here reads the view's
geometry and cached marks and draws, nothing more. Colours follow the console's dark theme
(``resources/style/console.qss``).
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import TYPE_CHECKING

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPen

from app.timeline.messages import LANES
from i18n import format_decimal, format_time, gettext
from widgets.qt_timeline_glyphs import (
    GLYPH_SLOT,
    LABEL_PAD,
    draw_glyph,
    glyph_radius,
    lane_colour,
    lane_name,
)
from widgets.qt_timeline_scale import (
    DAY_S,
    STEPS,
    day_label,
    midnights,
    tick_label,
    ticks,
    to_datetime,
)

if TYPE_CHECKING:
    from widgets.qt_timeline_view import QtTimelineView

BACKGROUND = QColor("#1e2227")
BAND = QColor("#23282e")
LABELS = QColor("#2a3038")
GRID = QColor("#2f353d")
TEXT = QColor("#c8ced4")
DIM = QColor("#8a939c")
NOW = QColor("#66bb6a")
CURSOR = QColor("#4dd0e1")
SELECTED = QColor("#ffffff")
BADGE = QColor("#ffb300")
LATER = QColor(0, 0, 0, 90)
LABEL_GAP_PX = 28  # space between two tick labels


class TimelinePainter:
    def __init__(self, view: QtTimelineView) -> None:
        self.view = view

    def glyph_size(self) -> float:
        return min(10.0, self.view.lane_height() * 0.45)

    def paint(self, painter: QPainter) -> None:
        view = self.view
        painter.fillRect(view.rect(), BACKGROUND)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self._lanes(painter)
        step = self._step(painter)
        self._grid(painter, step)
        self._axis(painter, step)
        painter.save()
        painter.setClipRect(view.time_area())
        self._marks(painter)
        self._selection(painter)
        painter.restore()
        self._now(painter)
        self._cursor(painter)
        if view.hasFocus():
            painter.setPen(QPen(QColor("#2f5d8a"), 1))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRect(QRectF(view.rect()).adjusted(0.5, 0.5, -0.5, -0.5))

    # --- lanes -----------------------------------------------------------------------------
    def _lanes(self, painter: QPainter) -> None:
        """Bands, and in the label column (leading side): the name, then towards the time
        area the "more" badge and the lane's sample glyph."""
        view = self.view
        labels, area = view.label_area(), view.time_area()
        painter.fillRect(labels.adjusted(0, -view.axis_height(), 0, 0), LABELS)
        rtl = view.isRightToLeft()
        inward = 1 if rtl else -1  # from the time-side edge of the labels towards the name
        edge = labels.left() if rtl else labels.right()
        glyph_x = edge + inward * (LABEL_PAD + GLYPH_SLOT / 2)
        badge_w = view.badge_width()
        badge_x = edge + inward * (LABEL_PAD + GLYPH_SLOT + 4) - (0 if rtl else badge_w)
        reserved = LABEL_PAD + GLYPH_SLOT + 4 + badge_w + 6  # the name gets the rest
        name_rect = labels.adjusted(
            reserved if rtl else LABEL_PAD, 0, -LABEL_PAD if rtl else -reserved, 0
        )
        align = Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignAbsolute
        align |= Qt.AlignmentFlag.AlignRight if rtl else Qt.AlignmentFlag.AlignLeft
        for index, lane in enumerate(LANES):
            rect = view.lane_rect(lane)
            if index % 2:
                painter.fillRect(QRectF(area.left(), rect.top(), area.width(), rect.height()), BAND)
            y = rect.center().y()
            colour = lane_colour(lane, view.terms)
            painter.setPen(QPen(colour.darker(160), 1))
            painter.setBrush(colour)
            draw_glyph(painter, lane, QPointF(glyph_x, y), 4.0)
            if lane in view.data.truncated:
                self._badge(painter, QRectF(badge_x, y - 7, badge_w, 14))
            painter.setPen(TEXT)
            text = QRectF(name_rect.left(), rect.top(), name_rect.width(), rect.height())
            name = view.fontMetrics().elidedText(
                lane_name(lane), Qt.TextElideMode.ElideRight, int(text.width())
            )
            painter.drawText(text, int(align), name)

    def _badge(self, painter: QPainter, badge: QRectF) -> None:
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(BADGE)
        painter.drawRoundedRect(badge, 4, 4)
        painter.setPen(BACKGROUND)
        painter.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), "+")

    def lane_tooltip(self, lane: str) -> str:
        name = lane_name(lane)
        if lane not in self.view.data.truncated:
            return name
        shown, total = self.view.data.truncated[lane]
        more = gettext("{shown} of {total} events shown: zoom in to see them all.").format(
            shown=format_decimal(shown), total=format_decimal(total)
        )
        return "\n".join([name, more])

    # --- axis ------------------------------------------------------------------------------
    def _step(self, painter: QPainter) -> int:
        view = self.view
        metrics = painter.fontMetrics()
        span, width = view.end - view.start, view.time_area().width()
        for step in STEPS:
            label = metrics.horizontalAdvance(tick_label(view.start, step)) + LABEL_GAP_PX
            if step / span * width >= label:
                return step
        return STEPS[-1]

    def _grid(self, painter: QPainter, step: int) -> None:
        view = self.view
        area = view.time_area()
        painter.setPen(QPen(GRID, 1))
        for t in ticks(view.start, view.end, step):
            x = round(view.x_of(t)) + 0.5
            painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()))

    def _axis(self, painter: QPainter, step: int) -> None:
        view = self.view
        axis = view.axis_rect()
        row = view.fontMetrics().height() + 4
        painter.fillRect(axis, BAND)
        painter.save()
        painter.setClipRect(axis)
        painter.setPen(QPen(TEXT, 1))
        metrics = painter.fontMetrics()
        for t in ticks(view.start, view.end, step):
            x = view.x_of(t)
            painter.drawLine(QPointF(x, axis.bottom() - 5), QPointF(x, axis.bottom()))
            text = tick_label(t, step)
            half = metrics.horizontalAdvance(text) / 2 + 2
            if axis.left() <= x - half and x + half <= axis.right():  # never a cut label
                label = QRectF(x - half, row, 2 * half, axis.height() - row - 5)
                painter.drawText(label, int(Qt.AlignmentFlag.AlignCenter), text)
        self._days(painter, axis, row)
        painter.restore()
        painter.setPen(QPen(GRID, 1))
        painter.drawLine(QPointF(0, axis.bottom()), QPointF(view.width(), axis.bottom()))

    def _days(self, painter: QPainter, axis: QRectF, row: float) -> None:
        """The top row names the days: one label per local midnight, and the first day at the
        earliest edge unless a midnight label would overlap it."""
        view = self.view
        metrics = painter.fontMetrics()
        painter.setPen(QPen(DIM, 1))
        nights = midnights(view.start, view.end)
        if view.end - view.start < 2 * DAY_S:
            for t in nights:
                x = view.x_of(t)
                painter.drawLine(QPointF(x, 2), QPointF(x, axis.bottom()))
                painter.drawText(QRectF(x + 4, 2, 400, row), int(_left()), day_label(t))
        first = day_label(view.start)
        room = (view.x_of(nights[0]) - axis.left()) if nights else axis.width()
        if metrics.horizontalAdvance(first) + 12 <= room or view.end - view.start >= 2 * DAY_S:
            painter.drawText(QRectF(axis.left() + 4, 2, 400, row), int(_left()), first)

    # --- marks -----------------------------------------------------------------------------
    def _marks(self, painter: QPainter) -> None:
        view = self.view
        scale = view.scale()
        size = self.glyph_size()
        digit = painter.fontMetrics().horizontalAdvance("0")
        for lane in LANES:
            y = view.lane_rect(lane).center().y()
            colour = lane_colour(lane, view.terms)
            marks = view.marks(lane)
            xs = [scale.x_of(mark.time) for mark in marks]
            painter.setPen(QPen(colour.darker(170), 1))
            painter.setBrush(colour)
            for mark, x in zip(marks, xs, strict=True):
                if mark.count == 1:
                    self._duration(painter, lane, mark.first, x, y, colour)
                draw_glyph(painter, lane, QPointF(x, y), glyph_radius(size, mark.count))
            free = float("-inf")
            painter.setPen(TEXT)
            for index, mark in enumerate(marks):
                if mark.count == 1:
                    continue
                x = xs[index] + glyph_radius(size, mark.count) + 2
                limit = xs[index + 1] - size if index + 1 < len(marks) else float("inf")
                width = digit * len(str(mark.count))  # digits are equally wide
                if x >= free and x + width <= limit:
                    text = format_decimal(mark.count)
                    painter.drawText(QRectF(x, y - 8, width + 8, 16), int(_left()), text)
                    free = x + width + 4

    def _duration(self, painter: QPainter, lane: str, index: int, x: float, y: float,
                  colour: QColor) -> None:  # fmt: skip
        event = self.view.data.event(lane, index)
        if event.end is None:
            return
        end = self.view.x_of(event.end.timestamp())
        band = QColor(colour)
        band.setAlpha(90)
        painter.fillRect(QRectF(x, y - 3, max(end - x, 1.0), 6), band)

    def _selection(self, painter: QPainter) -> None:
        view = self.view
        if view.selected is None:
            return
        event = view.data.find(*view.selected)
        if event is None:
            return
        x = view.x_of(event.time.timestamp())
        y = view.lane_rect(event.lane).center().y()
        radius = self.glyph_size() / 2 + 5
        painter.setPen(QPen(SELECTED, 2))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawEllipse(QPointF(x, y), radius, radius)

    # --- lines -----------------------------------------------------------------------------
    def _now(self, painter: QPainter) -> None:
        view = self.view
        now = time.time()
        if not view.start <= now <= view.end:
            return
        x = view.x_of(now)
        area = view.time_area()
        painter.setPen(QPen(NOW, 1.5))
        painter.drawLine(QPointF(x, area.top() - 6), QPointF(x, area.bottom()))

    def _cursor(self, painter: QPainter) -> None:
        view = self.view
        if view.cursor is None or not view.start <= view.cursor <= view.end:
            return
        x = view.x_of(view.cursor)
        area, axis = view.time_area(), view.axis_rect()
        # What had not happened yet at the reviewed moment is veiled, not hidden.
        painter.fillRect(QRectF(x, area.top(), area.right() - x, area.height()), LATER)
        painter.setPen(QPen(CURSOR, 2))
        painter.drawLine(QPointF(x, axis.top()), QPointF(x, area.bottom()))
        text = format_time(to_datetime(view.cursor).astimezone(), "medium")
        width = painter.fontMetrics().horizontalAdvance(text) + 12
        left = min(max(x - width / 2, axis.left()), axis.right() - width)
        box = QRectF(left, 1, width, view.fontMetrics().height() + 2)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(CURSOR)
        painter.drawRoundedRect(box, 3, 3)
        painter.setPen(BACKGROUND)
        painter.drawText(box, int(Qt.AlignmentFlag.AlignCenter), text)

    def axis_tooltip(self, moment: datetime) -> str:
        return gettext("Click or drag to review the console at {time}").format(
            time=format_time(moment.astimezone(), "medium")
        )


def _left() -> Qt.AlignmentFlag:
    """Left in screen terms: time runs left to right in every language (see the view)."""
    return (
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignAbsolute
    )
