"""One camera tile: the latest picture, its detector overlays, and the camera's health.

The tile never decodes or copies pixels: the panel's display timer hands it the camera's newest
``DisplayFrame`` and the tile wraps the frame's numpy buffer in a ``QImage`` (keeping the array
alive as long as the image), then repaints. Scaling happens once, while painting. The picture is
never mirrored for right-to-left languages; only the header strip and the badges swap sides.
"""

from __future__ import annotations

from datetime import datetime
from html import escape
from typing import TYPE_CHECKING

import numpy as np
from PySide6.QtCore import QPointF, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QImage,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPen,
    QPolygonF,
    QTextDocument,
)
from PySide6.QtWidgets import QSizePolicy, QStyle, QWidget

from app.messages import HealthState
from app.model import utc_now
from app.terminology import Terminology
from app.video.display import DisplayFrame, Overlay
from app.video.messages import CameraInfo, CameraStatus
from i18n import format_decimal, gettext, isolate
from widgets.unmask_texts import countdown

if TYPE_CHECKING:
    from widgets.qt_video_review import ReviewPicture

NEUTRAL = QColor("#b0bec5")
ZONE = QColor("#ffca28")
LINE = QColor("#4dd0e1")
CUED = QColor("#4fc3f7")
UNMASKED = QColor("#d50000")
SHADE = QColor(0, 0, 0, 170)
HEADER_H = 22
# Below this picture height (pixels) only alerting boxes are labelled.
LABELS_MIN_HEIGHT = 240
PAD = 4


def frame_image(image: np.ndarray) -> tuple[QImage, np.ndarray]:
    """A QImage over the frame's own pixels, and the array it points into (the caller keeps
    both together: the QImage does not own the memory). Only an array whose rows are not laid
    out as one buffer (a cropped view) is copied first."""
    if not image.flags.c_contiguous:
        image = np.ascontiguousarray(image)
    height, width = image.shape[:2]
    fmt = QImage.Format.Format_Grayscale8 if image.ndim == 2 else QImage.Format.Format_BGR888
    return QImage(image.data, width, height, image.strides[0], fmt), image


def fit(source_w: int, source_h: int, area: QRect) -> QRectF:
    """The largest rectangle of the source's aspect ratio centred in ``area`` (letterboxed)."""
    if source_w <= 0 or source_h <= 0 or area.isEmpty():
        return QRectF()
    scale = min(area.width() / source_w, area.height() / source_h)
    width, height = source_w * scale, source_h * scale
    left = area.x() + (area.width() - width) / 2
    top = area.y() + (area.height() - height) / 2
    return QRectF(left, top, width, height)


class QtVideoTile(QWidget):
    sig_activated = Signal(str)  # double-click: maximise or restore
    sig_menu = Signal(str, object)  # camera id, global QPoint

    def __init__(
        self, camera: CameraInfo, terminology: Terminology, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.camera = camera
        self.terms = terminology
        self.status: CameraStatus | None = None
        self.frame: DisplayFrame | None = None
        self.image: QImage | None = None
        self._pixels: np.ndarray | None = None  # what ``image`` points into
        self.cued = False
        self.review: ReviewPicture | None = None  # review mode: the recorded picture instead
        self.unmasked_until: datetime | None = None  # faces shown under an unmask grant
        self.setObjectName(f"videoTile-{camera.camera_id}")
        self.setMinimumSize(80, 48)  # nine of them still fit a short dock
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(
            lambda pos: self.sig_menu.emit(self.camera_id, self.mapToGlobal(pos))
        )

    @property
    def camera_id(self) -> str:
        return self.camera.camera_id

    # --- state -----------------------------------------------------------------------------
    def set_camera(self, camera: CameraInfo) -> None:
        self.camera = camera
        self.update()

    def set_status(self, status: CameraStatus) -> None:
        self.status = status
        self.update()

    def set_review(self, picture: ReviewPicture | None) -> None:
        self.review = picture
        self.update()

    def set_unmasked(self, until: datetime | None) -> None:
        """Faces are shown under a granted unmask request until ``until`` (None: they are not)."""
        if until != self.unmasked_until:
            self.unmasked_until = until
            self.update()

    def set_cued(self, cued: bool) -> None:
        self.cued = cued
        self.update()

    def show_frame(self, frame: DisplayFrame | None) -> bool:
        """Takes the camera's latest frame; repaints only when the picture or its overlays
        changed since the last call. Returns whether it did."""
        old = self.frame
        if frame is None or (
            old is not None and frame.seq == old.seq and frame.overlays == old.overlays
        ):
            return False
        if old is None or frame.image is not old.image:
            self.image, self._pixels = frame_image(frame.image)
        self.frame = frame
        self.update()
        return True

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.sig_activated.emit(self.camera_id)
        event.accept()

    # --- painting --------------------------------------------------------------------------
    def picture_rect(self) -> QRectF:
        """Where the picture is drawn in the tile (empty before the first frame)."""
        if self.image is None:
            return QRectF()
        return fit(self.image.width(), self.image.height(), self.rect().adjusted(0, HEADER_H, 0, 0))

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setLayoutDirection(self.layoutDirection())
        painter.fillRect(self.rect(), Qt.GlobalColor.black)
        if self.review is not None:  # the past, never mixed with live health or overlays
            self.review.paint(self, painter)
            painter.end()
            return
        target = self.picture_rect()
        if self.image is not None and self.frame is not None:
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(target, self.image)
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            self._paint_geometry(painter, target, self.frame)
            for overlay in self.frame.overlays:
                self._paint_overlay(painter, target, overlay)
        else:
            painter.setPen(NEUTRAL)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, gettext("No picture yet"))
        self._paint_header(painter)
        self._paint_privacy(painter)
        self._paint_health(painter)
        self._paint_unmasked(painter)
        if self.cued:
            painter.setPen(QPen(CUED, 3))
            painter.drawRect(self.rect().adjusted(1, 1, -2, -2))
        painter.end()

    def _paint_geometry(self, painter: QPainter, target: QRectF, frame: DisplayFrame) -> None:
        def at(p: tuple[float, float]) -> QPointF:
            return QPointF(target.x() + p[0] * target.width(), target.y() + p[1] * target.height())

        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(ZONE, 2, Qt.PenStyle.DashLine))
        for zone in frame.zones:
            painter.drawPolygon(QPolygonF([at(p) for p in zone]))
        painter.setPen(QPen(LINE, 2))
        for start, end in frame.lines:
            painter.drawLine(at(start), at(end))

    def overlay_colour(self, overlay: Overlay) -> QColor:
        """Alerting boxes in their event's priority colour, the others neutral."""
        if not overlay.alerting:
            return NEUTRAL
        event = self.terms.event_type(overlay.event_type)
        return QColor(self.terms.priority(event.priority).colour)

    def overlay_text(self, overlay: Overlay) -> str:
        """Event title (or the detector's class), confidence and track, each kept in its own
        direction so that ``#7`` stays ``#7`` beside an Arabic title."""
        if self.terms.knows(overlay.event_type):
            title = self.terms.event_type(overlay.event_type).name
        else:
            title = overlay.label or overlay.event_type
        parts = [title, isolate(format_decimal(round(overlay.confidence, 2), "0.00"))]
        if overlay.track_id:
            parts.append(isolate(f"#{overlay.track_id}"))
        return " ".join(parts)

    def _paint_overlay(self, painter: QPainter, target: QRectF, overlay: Overlay) -> None:
        x, y, w, h = overlay.bbox
        tw, th = target.width(), target.height()
        box = QRectF(target.x() + x * tw, target.y() + y * th, w * tw, h * th)
        colour = self.overlay_colour(overlay)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(colour, 3 if overlay.alerting else 2))
        painter.drawRect(box)
        if not overlay.alerting and target.height() < LABELS_MIN_HEIGHT:
            return  # a small tile shows every box but labels only what alerts: no label pile-up
        text = self.overlay_text(overlay)
        metrics = painter.fontMetrics()
        label = QRectF(0, 0, metrics.horizontalAdvance(text) + 2 * PAD, metrics.height() + 2)
        above = box.top() - label.height()
        label.moveTo(min(box.left(), target.right() - label.width()), max(above, target.top()))
        painter.fillRect(label, colour)
        painter.setPen(Qt.GlobalColor.black)
        painter.drawText(label, Qt.AlignmentFlag.AlignCenter, text)

    def _paint_header(self, painter: QPainter) -> None:
        strip = QRect(0, 0, self.width(), HEADER_H)
        painter.fillRect(strip, QColor(0, 0, 0, 190))
        info = self.header_info()
        metrics = painter.fontMetrics()
        info_w = metrics.horizontalAdvance(info) + 2 * PAD
        name_w = max(0, self.width() - info_w - 2 * PAD)
        name = metrics.elidedText(self.camera.name, Qt.TextElideMode.ElideRight, name_w)
        leading = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        trailing = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        inner = strip.adjusted(PAD, 0, -PAD, 0)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(inner, leading, name)  # Qt mirrors left/right in a right-to-left tile
        painter.setPen(self.state_colour())
        painter.drawText(inner, trailing, info)

    def header_info(self) -> str:
        """State glyph and name, with the measured frame rate while the camera delivers."""
        status = self.status
        if status is None:
            return gettext("Waiting for status")
        style = self.terms.health(status.state.value)
        state = f"{style.glyph} {style.name}"
        if status.state is HealthState.DOWN:
            return state
        fps = gettext("{fps} fps").format(fps=format_decimal(round(status.fps, 1), "0.0"))
        return f"{fps}  {state}"

    def state_colour(self) -> QColor:
        if self.status is None:
            return NEUTRAL
        return QColor(self.terms.health(self.status.state.value).colour)

    def faces_blurred(self) -> bool:
        """What the shown picture is, when there is one; else what the camera is set to."""
        return self.frame.blurred if self.frame is not None else self.camera.blurred

    def _paint_privacy(self, painter: QPainter) -> None:
        blurred = self.faces_blurred()
        text = gettext("Faces blurred") if blurred else gettext("Faces visible")
        metrics = painter.fontMetrics()
        size = QSize(metrics.horizontalAdvance(text) + 2 * PAD, metrics.height() + 2)
        corner = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignBottom  # leading, bottom
        badge = QStyle.alignedRect(
            self.layoutDirection(), corner, size, self.rect().adjusted(PAD, 0, -PAD, -PAD)
        )
        painter.fillRect(badge, SHADE if blurred else QColor("#b71c1c"))
        painter.setPen(QColor("#ffffff"))
        painter.drawText(badge, Qt.AlignmentFlag.AlignCenter, text)

    def unmasked_text(self) -> str:
        """``FACES VISIBLE · 04:59`` while an unmask grant runs, else empty."""
        if self.unmasked_until is None:
            return ""
        left = max(0, int((self.unmasked_until - utc_now()).total_seconds() + 0.999))
        return gettext("FACES VISIBLE · {time}").format(time=countdown(left))

    def _paint_unmasked(self, painter: QPainter) -> None:
        """A red band across the top of the picture, hard to miss on any tile size: the
        picture shows people's faces, and for how much longer."""
        text = self.unmasked_text()
        if not text:
            return
        painter.save()
        font = painter.font()
        font.setBold(True)
        painter.setFont(font)
        metrics = painter.fontMetrics()
        band = QRect(0, HEADER_H, self.width(), metrics.height() + 2 * PAD)
        painter.fillRect(band, UNMASKED)
        painter.setPen(QPen(QColor("#ffffff"), 2))
        painter.drawRect(band.adjusted(1, 1, -2, -2))
        painter.drawText(band, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def _paint_health(self, painter: QPainter) -> None:
        """A down camera's picture is dimmed under the message; a degraded one gets a band."""
        lines = self.health_lines()
        if not lines:
            return
        area = self.rect().adjusted(0, HEADER_H, 0, 0)
        message = QTextDocument()
        message.setDefaultFont(self.font())
        message.setTextWidth(area.width() - 4 * PAD)
        details = "<br>".join(escape(line) for line in lines[1:])
        message.setHtml(
            f'<div align="center"><b style="font-size:large; color:{self.state_colour().name()}">'
            f'{escape(lines[0])}</b><br><span style="color:#ffffff">{details}</span></div>'
        )
        height = message.size().height()
        if self.status is not None and self.status.state is HealthState.DOWN:
            painter.fillRect(area, SHADE)
            top = area.center().y() - height / 2
        else:
            top = area.bottom() - height - 6 * PAD  # above the privacy badge
            painter.fillRect(QRectF(area.x(), top, area.width(), height), SHADE)
        painter.save()
        painter.translate(area.x() + 2 * PAD, top)
        message.drawContents(painter)
        painter.restore()

    def health_lines(self) -> list[str]:
        """What an operator must know about a camera that is down or degraded."""
        status = self.status
        if status is None or status.state is HealthState.OK:
            return []
        if status.state is HealthState.DOWN:
            lines = [gettext("Camera offline — reconnecting…")]
        else:
            lines = [gettext("Camera picture degraded")]
        if status.problem:
            lines.append(status.problem)
        lines.append(gettext("Reconnects: {count}").format(count=format_decimal(status.reconnects)))
        age = status.last_frame_age_s
        if age is None:
            lines.append(gettext("No picture received yet"))
        else:
            lines.append(
                gettext("Last picture {seconds} s ago").format(seconds=format_decimal(round(age)))
            )
        return lines
