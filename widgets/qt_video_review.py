"""Review mode in the video panel: each tile on screen shows its camera's recorded snapshot at
the reviewed moment, or says plainly that there is no recording then.

``ReviewState.snapshots`` names each camera's latest snapshot at or before the moment. The files
are found and read off the GUI thread with the alert snapshot view's loader (a one-thread pool
of this object's own), only for the tiles on screen, and a picture that arrives after the
commander moved on is dropped. While reviewing, the panel reads no live frames; "Back to live"
drops the pictures and the tiles show live video again at the next display tick.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from PySide6.QtCore import QObject, QRect, Qt, QThreadPool
from PySide6.QtGui import QColor, QImage, QPainter, QPen

from app.timeline.messages import ReviewState
from app.video.messages import VideoAccess
from i18n import format_datetime, format_time, gettext, isolate
from widgets.qt_review_banner import REVIEW_COLOUR, REVIEW_TEXT
from widgets.qt_video_grid import QtVideoGrid
from widgets.qt_video_snapshot import _Load, _Loaded
from widgets.qt_video_tile import HEADER_H, NEUTRAL, PAD, QtVideoTile, fit


@dataclass(frozen=True)
class ReviewPicture:
    """What a tile shows in review: ``problem`` is "" (shown), "loading", "none" (no
    recording then), "missing" or "unreadable"."""

    moment: datetime
    uri: str | None
    problem: str
    image: QImage | None = None
    taken: datetime | None = None
    where: str = ""

    def message(self) -> str:
        texts = {
            "loading": gettext("Loading the recording…"),
            "none": gettext("No recording at this time"),
            "missing": gettext("The snapshot file is missing: {path}").format(
                path=isolate(self.where)
            ),
            "unreadable": gettext("The snapshot file cannot be read: {path}").format(
                path=isolate(self.where)
            ),
        }
        return texts.get(self.problem, "")

    def when(self) -> str:
        """The header's words: when the picture was taken, or that it is the moment's."""
        if self.uri is None:  # nothing recorded: the header names the moment only
            return gettext("At {time}").format(time=isolate(_short(self.moment)))
        if self.taken is None:
            return gettext("Recorded before {time}").format(time=isolate(_short(self.moment)))
        return gettext("Recorded {time}").format(time=isolate(_short(self.taken, self.moment)))

    def paint(self, tile: QtVideoTile, painter: QPainter) -> None:
        """The whole tile in review: picture or message, a header in the review colour and a
        frame, so a recorded picture is never taken for live video."""
        area = tile.rect().adjusted(0, HEADER_H, 0, 0)
        if self.image is not None and not self.image.isNull():
            painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
            painter.drawImage(fit(self.image.width(), self.image.height(), area), self.image)
        else:
            painter.setPen(NEUTRAL)
            flags = Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap
            painter.drawText(area.adjusted(PAD, PAD, -PAD, -PAD), int(flags), self.message())
        colour = QColor(REVIEW_COLOUR)
        strip = QRect(0, 0, tile.width(), HEADER_H)
        painter.fillRect(strip, colour)
        inner = strip.adjusted(PAD, 0, -PAD, 0)
        when = self.when()
        metrics = painter.fontMetrics()
        name_w = max(0, inner.width() - metrics.horizontalAdvance(when) - 2 * PAD)
        name = metrics.elidedText(tile.camera.name, Qt.TextElideMode.ElideRight, name_w)
        painter.setPen(QColor(REVIEW_TEXT))
        painter.drawText(inner, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, name)
        painter.drawText(inner, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        painter.setPen(QPen(colour, 3))
        painter.drawRect(tile.rect().adjusted(1, 1, -2, -2))


def _short(value: datetime, moment: datetime | None = None) -> str:
    """A time on the moment's day by the clock alone, any other with its date."""
    local = value.astimezone()
    if moment is None or local.date() == moment.astimezone().date():
        return format_time(local, "medium")
    return format_datetime(local, "short")


class QtVideoReview(QObject):
    def __init__(self, grid: QtVideoGrid, video: VideoAccess | None) -> None:
        super().__init__(grid)
        self.grid = grid
        self.video = video
        self.moment: datetime | None = None
        self.snapshots: dict[str, str] = {}
        self.taken: dict[str, datetime] = {}  # snapshot uri -> when it was taken
        self._requests: dict[int, str] = {}  # request number -> camera
        self._number = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self._loaded = _Loaded(self)
        self._loaded.sig_done.connect(self._on_loaded)
        grid.sig_layout_changed.connect(self.show_shown)

    @property
    def active(self) -> bool:
        return self.moment is not None

    def on_review(self, batch: Sequence[ReviewState]) -> None:
        state = batch[-1]
        self._pool.clear()  # reads queued for an earlier moment are not wanted any more
        self._requests.clear()
        self.moment = state.time
        self.snapshots = dict(state.snapshots)
        self.taken = {
            d.snapshot_uri: d.time for d in state.detections if d.snapshot_uri is not None
        }
        times = dict(state.snapshot_times)  # the service says when each camera's was taken
        self.taken |= {uri: times[camera] for camera, uri in state.snapshots if camera in times}
        if state.time is None:
            for tile in self.grid.tiles.values():
                tile.set_review(None)
            return
        self.show_shown()

    def show_shown(self) -> None:
        """Gives every tile on the page its picture of the moment (tiles off the page get
        theirs when paged to)."""
        if self.moment is None:
            return
        for camera_id in self.grid.shown_ids():
            self._show(self.grid.tiles[camera_id], self.moment)

    def _show(self, tile: QtVideoTile, moment: datetime) -> None:
        uri = self.snapshots.get(tile.camera_id)
        taken = self.taken.get(uri) if uri is not None else None
        current = tile.review
        if current is not None and current.uri == uri and current.problem != "loading":
            if current.moment != moment or current.taken != taken:
                tile.set_review(replace(current, moment=moment, taken=taken))
            return  # the same picture: no need to read it again
        if uri is None:
            tile.set_review(ReviewPicture(moment, None, "none"))
            return
        if self.video is None:
            tile.set_review(ReviewPicture(moment, uri, "missing", taken=taken, where=uri))
            return
        if current is not None and current.uri == uri and tile.camera_id in self._requests.values():
            tile.set_review(replace(current, moment=moment, taken=taken))
            return  # being read
        tile.set_review(ReviewPicture(moment, uri, "loading", taken=taken))
        self._number += 1
        self._requests[self._number] = tile.camera_id
        self._pool.start(_Load(self._number, uri, self.video.snapshot_path, self._loaded))

    def _on_loaded(self, number: int, image: QImage, problem: str, where: str) -> None:
        camera_id = self._requests.pop(number, None)
        tile = self.grid.tiles.get(camera_id) if camera_id is not None else None
        if tile is None or tile.review is None or self.moment is None:
            return  # moved on, or back to live
        picture = replace(tile.review, problem=problem, image=image, where=where)
        tile.set_review(picture)

    def stop(self) -> None:
        """Drops queued reads and waits for the one in progress (a single file read)."""
        self._requests.clear()
        self._pool.clear()
        self._pool.waitForDone()
