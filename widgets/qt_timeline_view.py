"""The timeline's drawing surface: a time axis, one row per lane, marks, the now line, a cursor.

One ``QWidget`` paints everything in ``paintEvent`` from the cached event lists (see
``TimelineData``); there is no widget or scene item per event. A ``QGraphicsView`` was the
alternative, but its per-item bookkeeping buys nothing here: marks are re-bucketed on every zoom
(merging changes with the scale), so items would be rebuilt anyway, and a day of alerts would
mean tens of thousands of items. A paint only visits the visible slice of each lane (binary
search), merges it with one NumPy pass, and the merged marks are cached until the range, the
width or the data change.

Right-to-left: the lane names move to the leading (right) side, like every other label in an
Arabic layout, but time keeps running left to right. Qt mirrors layouts, not painting, and the
console's other time displays (the sensor charts, the video scrubbers, the report's charts) all
keep time left to right in Arabic, as media and chart timelines conventionally do; mirroring
only this axis would make "later" point in two directions on one screen. The tick labels are
written in Arabic (Babel) and sit centred on their ticks, so they read correctly either way,
and the arrow keys follow the screen: Right is later.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QEvent, QPoint, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QContextMenuEvent, QMouseEvent, QPainter, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import QToolTip, QWidget

from app.terminology import Terminology
from app.timeline.messages import LANES, TimelineEvent
from widgets.qt_timeline_data import Mark, TimelineData
from widgets.qt_timeline_glyphs import GLYPH_SLOT, LABEL_PAD, glyph_radius, lane_name
from widgets.qt_timeline_paint import TimelinePainter
from widgets.qt_timeline_scale import TimeScale, clamp_span, to_datetime
from widgets.qt_timeline_tips import mark_tooltip

MERGE_PX = 3.0  # marks closer than this merge into one counted mark
HIT_PX = 6.0  # how near a click must be to a mark or to the cursor line
# Small enough that the timeline can share the bottom of a 800-pixel-high window.
LANE_MIN_H, LANE_MAX_H = 13, 28
WHEEL_STEP = 0.8  # one wheel notch shows 80 % of the span
DRAG_THRESHOLD_PX = 3
_REMEASURE = (
    QEvent.Type.LanguageChange,
    QEvent.Type.FontChange,
    QEvent.Type.LayoutDirectionChange,
    QEvent.Type.StyleChange,
)


@dataclass
class _Drag:
    mode: str  # "cursor", "pan" or "press" (on a mark, not yet moved)
    x: float
    start: float
    end: float


class QtTimelineView(QWidget):
    sig_panned = Signal()
    sig_zoom_requested = Signal(float, float)  # factor, anchor instant
    sig_open_mark = Signal(float)  # a merged mark's instant: zoom in there until it parts
    sig_cursor_dragged = Signal(float)  # instant (epoch seconds)
    sig_event_clicked = Signal(object)  # TimelineEvent
    sig_event_activated = Signal(object)  # TimelineEvent (double click)
    sig_context_menu = Signal(object, float, QPoint)  # event or None, instant, global position

    def __init__(self, data: TimelineData, terms: Terminology, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("timelineView")
        self.data = data
        self.terms = terms
        self.start, self.end = time.time() - 3600.0, time.time()
        self.cursor: float | None = None
        self.selected: tuple[str, str] | None = None
        self._drag: _Drag | None = None
        self._marks: dict[str, list[Mark]] = {}
        self._marks_key: tuple[float, ...] | None = None
        self._label_width: int | None = None
        self.painter = TimelinePainter(self)
        self.setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)

    # --- geometry --------------------------------------------------------------------------
    def axis_height(self) -> int:
        return self.fontMetrics().height() * 2 + 10

    def badge_width(self) -> int:
        return self.fontMetrics().horizontalAdvance("+") + 8

    def label_width(self) -> int:
        """Wide enough for the longest lane name in the current language, its sample glyph
        and the "more" badge: no name is clipped (up to two fifths of the view). Measured
        once per language, font and width: every mapping of time to pixels needs it."""
        if self._label_width is None:
            metrics = self.fontMetrics()
            widest = max(metrics.horizontalAdvance(lane_name(lane)) for lane in LANES)
            needed = LABEL_PAD + widest + 4 + 6 + self.badge_width() + 4 + GLYPH_SLOT + LABEL_PAD
            self._label_width = min(needed, max(80, self.width() * 2 // 5))
        return self._label_width

    def changeEvent(self, event: QEvent) -> None:
        if event.type() in _REMEASURE:
            self._label_width = None
            self.update()
        super().changeEvent(event)

    def resizeEvent(self, event: QResizeEvent) -> None:
        self._label_width = None
        super().resizeEvent(event)

    def lane_height(self) -> float:
        room = (self.height() - self.axis_height()) / len(LANES)
        return max(LANE_MIN_H, min(LANE_MAX_H, room))

    def time_area(self) -> QRectF:
        """Where time is drawn: right of the lane names (left of them in right-to-left)."""
        labels = self.label_width()
        left = 0 if self.isRightToLeft() else labels
        top = self.axis_height()
        return QRectF(left, top, self.width() - labels, self.lane_height() * len(LANES))

    def label_area(self) -> QRectF:
        area = self.time_area()
        left = area.right() if self.isRightToLeft() else 0
        return QRectF(left, area.top(), self.label_width(), area.height())

    def axis_rect(self) -> QRectF:
        area = self.time_area()
        return QRectF(area.left(), 0, area.width(), self.axis_height())

    def lane_rect(self, lane: str) -> QRectF:
        area, height = self.time_area(), self.lane_height()
        top = area.top() + LANES.index(lane) * height
        return QRectF(0, top, self.width(), height)

    def lane_at(self, y: float) -> str | None:
        area = self.time_area()
        if not area.top() <= y < area.bottom():
            return None
        return LANES[min(int((y - area.top()) // self.lane_height()), len(LANES) - 1)]

    def scale(self) -> TimeScale:
        area = self.time_area()
        return TimeScale(self.start, self.end, area.left(), area.width())

    def time_at(self, x: float) -> float:
        return self.scale().time_at(x)

    def x_of(self, t: float) -> float:
        return self.scale().x_of(t)

    def sizeHint(self) -> QSize:
        return QSize(900, self.axis_height() + 20 * len(LANES))

    def minimumSizeHint(self) -> QSize:
        return QSize(320, self.axis_height() + LANE_MIN_H * len(LANES))

    # --- state -----------------------------------------------------------------------------
    def set_range(self, start: float, end: float) -> None:
        span = clamp_span(end - start)
        if (start, start + span) != (self.start, self.end):
            self.start, self.end = end - span, end
            self.update()

    def set_cursor(self, t: float | None) -> None:
        if t != self.cursor:
            self.cursor = t
            self.update()

    def select(self, key: tuple[str, str] | None) -> None:
        self.selected = key
        self.update()

    def marks(self, lane: str) -> list[Mark]:
        """The lane's marks at the current range and width (cached until either changes)."""
        key = (self.start, self.end, float(self.time_area().width()), float(self.data.version))
        if key != self._marks_key:
            self._marks, self._marks_key = {}, key
        if lane not in self._marks:
            bucket = MERGE_PX * self.scale().seconds_per_pixel
            self._marks[lane] = self.data.marks(lane, self.start, self.end, bucket)
        return self._marks[lane]

    def mark_at(self, pos: QPointF) -> Mark | None:
        lane = self.lane_at(pos.y())
        if lane is None or not self.time_area().contains(pos):
            return None
        size, scale = self.painter.glyph_size(), self.scale()
        best, best_distance = None, float("inf")
        for mark in self.marks(lane):
            distance = abs(scale.x_of(mark.time) - pos.x())
            reach = max(HIT_PX, glyph_radius(size, mark.count))
            if distance <= reach and distance < best_distance:
                best, best_distance = mark, distance
        return best

    def event_at(self, pos: QPointF) -> TimelineEvent | None:
        """The event under the pointer: in a merged mark, the member nearest the pointer."""
        mark = self.mark_at(pos)
        if mark is None:
            return None
        wanted = self.time_at(pos.x())
        return min(self.data.members(mark), key=lambda e: abs(e.time.timestamp() - wanted))

    # --- painting --------------------------------------------------------------------------
    def paintEvent(self, _event: QEvent) -> None:
        painter = QPainter(self)
        try:
            self.painter.paint(painter)
        finally:
            painter.end()

    # --- pointer ---------------------------------------------------------------------------
    def _near_cursor(self, pos: QPointF) -> bool:
        return self.cursor is not None and abs(self.x_of(self.cursor) - pos.x()) <= HIT_PX

    def mousePressEvent(self, event: QMouseEvent) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return super().mousePressEvent(event)
        pos = event.position()
        area = self.time_area()
        if not area.left() <= pos.x() <= area.right():
            return super().mousePressEvent(event)
        if self.axis_rect().contains(pos) or (area.contains(pos) and self._near_cursor(pos)):
            self._drag = _Drag("cursor", pos.x(), self.start, self.end)
            self.sig_cursor_dragged.emit(self.time_at(pos.x()))
            return None
        mode = "press" if self.mark_at(pos) is not None else "pan"
        self._drag = _Drag(mode, pos.x(), self.start, self.end)
        return None

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos, drag = event.position(), self._drag
        if drag is None:
            self._hover_shape(pos)
            return
        if drag.mode == "cursor":
            area = self.time_area()
            x = min(max(pos.x(), area.left()), area.right())
            self.sig_cursor_dragged.emit(self.time_at(x))
        elif drag.mode == "press" and abs(pos.x() - drag.x) >= DRAG_THRESHOLD_PX:
            drag.mode = "pan"
        if drag.mode == "pan":
            shift = (pos.x() - drag.x) * (drag.end - drag.start) / max(self.scale().width, 1.0)
            self.set_range(drag.start - shift, drag.end - shift)
            self.setCursor(Qt.CursorShape.ClosedHandCursor)
            self.sig_panned.emit()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        drag, self._drag = self._drag, None
        if drag is not None and drag.mode == "press":
            clicked = self.event_at(event.position())
            if clicked is not None:
                self.select((clicked.kind, clicked.identifier))
                self.sig_event_clicked.emit(clicked)
        self._hover_shape(event.position())

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        mark = self.mark_at(event.position())
        if mark is None:
            return super().mouseDoubleClickEvent(event)
        if mark.count > 1:
            self.sig_open_mark.emit(mark.time)
        else:
            self.sig_event_activated.emit(self.data.event(mark.lane, mark.first))
        return None

    def wheelEvent(self, event: QWheelEvent) -> None:
        notches = event.angleDelta().y() / 120
        if not notches:
            return
        pos = event.position()
        area = self.time_area()
        x = pos.x() if area.left() <= pos.x() <= area.right() else area.center().x()
        self.sig_zoom_requested.emit(WHEEL_STEP**notches, self.time_at(x))
        event.accept()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        pos = QPointF(event.pos())
        if not self.time_area().contains(pos):
            return
        self.sig_context_menu.emit(self.event_at(pos), self.time_at(pos.x()), event.globalPos())

    def _hover_shape(self, pos: QPointF) -> None:
        if self.axis_rect().contains(pos) or self._near_cursor(pos):
            self.setCursor(Qt.CursorShape.SplitHCursor)
        elif self.mark_at(pos) is not None:
            self.setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.setCursor(Qt.CursorShape.OpenHandCursor)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = QPointF(event.pos())  # type: ignore[attr-defined]
            text = self._tooltip(pos)
            if text:
                QToolTip.showText(event.globalPos(), text, self)  # type: ignore[attr-defined]
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def _tooltip(self, pos: QPointF) -> str:
        mark = self.mark_at(pos)
        if mark is not None:
            return mark_tooltip(self.data, mark)
        lane = self.lane_at(pos.y())
        if lane is not None and self.label_area().contains(pos):
            return self.painter.lane_tooltip(lane)
        if self.axis_rect().contains(pos):
            return self.painter.axis_tooltip(to_datetime(self.time_at(pos.x())))
        return ""
