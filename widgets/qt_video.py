"""Video panel: live camera tiles with detector overlays, alert cueing and snapshots.

Pictures are not pushed to the GUI. A display-rate timer reads the latest frame of each camera
that is on screen from the core's ``DisplaySlot`` (a pointer swap under a lock), so four cameras
at 25 fps cost the GUI thread four reads and at most four repaints per tick, and hidden tiles
cost nothing. Health, cameras, models and alerts do arrive as hub messages.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app.alerts.service import AlertSnapshot
from app.messages import Selection
from app.model import Alert
from app.security.model import Permission
from app.timeline.messages import ReviewState
from app.video.messages import (
    CameraStatus,
    MarkDetection,
    SelectModel,
    SetFaceBlur,
    VideoCameras,
)
from i18n import format_decimal, gettext, lazy_gettext, ngettext
from widgets.facade import PanelContext
from widgets.permission_gate import PermissionGate
from widgets.qt_panel import QtPanel
from widgets.qt_video_grid import TILE_CHOICES, QtVideoGrid
from widgets.qt_video_menu import TileCommands
from widgets.qt_video_review import QtVideoReview
from widgets.qt_video_snapshot import CueBook, QtVideoSnapshot, VideoCue
from widgets.qt_video_unmask import FacesGrants

DISPLAY_MS = 40  # 25 Hz: enough for any camera we show, whatever rate the pipeline runs at


class CurrentPageStack(QStackedWidget):
    """A stack as small as the page it shows: the snapshot view's buttons must not make the
    live grid (and with it the whole window) taller than the operator's screen."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.currentChanged.connect(self._on_page_changed)

    def _on_page_changed(self, _index: int) -> None:
        self.updateGeometry()

    def sizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.sizeHint() if page is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:
        page = self.currentWidget()
        return page.minimumSizeHint() if page is not None else super().minimumSizeHint()


class QtVideoPanel(QtPanel):
    ID = "video"
    TITLE = lazy_gettext("Video")
    DEFAULT_AREA = Qt.DockWidgetArea.RightDockWidgetArea

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.statuses: dict[str, CameraStatus] = {}
        self.cues = CueBook()
        self._stopped = False
        self.tiles_choice = QComboBox(self, objectName="videoTiles")
        self.previous = QPushButton(self, objectName="videoPrevious")
        self.page_label = QLabel(self, objectName="videoPage")
        self.next = QPushButton(self, objectName="videoNext")
        self.back_to_grid = QPushButton(self, objectName="videoBackToGrid")
        self.notice = QLabel(self, objectName="videoNotice", wordWrap=True)
        self.grid = QtVideoGrid(context.terminology, self)
        self.snapshot = QtVideoSnapshot(context.terminology, self)
        self.stack = CurrentPageStack(self)
        self.gate = PermissionGate(
            context, self, refused=self._notify, commands=(SetFaceBlur, SelectModel, MarkDetection)
        )
        self.menus = TileCommands(self, context, self._notify, self.gate)
        self.faces = FacesGrants(context, self.grid)
        for button in (self.snapshot.true_button, self.snapshot.false_button):
            self.gate.guard(button, Permission.TRIAGE)
        self.review = QtVideoReview(self.grid, context.video)
        self._layout()
        self._timer = QTimer(self, interval=DISPLAY_MS)
        self._timer.timeout.connect(self.refresh)
        self._wire()
        self.retranslate()

    def _layout(self) -> None:
        bar = QHBoxLayout()
        for widget in (self.tiles_choice, self.previous, self.page_label, self.next):
            bar.addWidget(widget)
        bar.addStretch(1)
        bar.addWidget(self.back_to_grid)
        self.stack.addWidget(self.grid)
        self.stack.addWidget(self.snapshot)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.notice)
        layout.addWidget(self.stack, 1)
        self.notice.hide()

    def _wire(self) -> None:
        self.tiles_choice.currentIndexChanged.connect(self._on_tiles_choice)
        self.previous.clicked.connect(lambda: self.grid.set_page(self.grid.page - 1))
        self.next.clicked.connect(lambda: self.grid.set_page(self.grid.page + 1))
        self.back_to_grid.clicked.connect(self.grid.restore)
        self.grid.sig_layout_changed.connect(self._on_layout_changed)
        self.grid.sig_menu.connect(self.menus.open)
        self.snapshot.sig_mark.connect(self._on_mark)
        self.snapshot.sig_back.connect(self.show_live)
        subscribe = self.context.subscribe
        self._subscriptions = [
            subscribe(VideoCameras, self._on_cameras),
            subscribe(CameraStatus, self._on_status),
            subscribe(Alert, self._on_alerts),
            subscribe(AlertSnapshot, self._on_alert_snapshot),
            subscribe(Selection, self._on_selection),
            subscribe(ReviewState, self._on_review),
        ]

    # --- display ---------------------------------------------------------------------------
    def refresh(self) -> int:
        """Reads the newest picture of every camera on screen; returns how many changed."""
        video = self.context.video
        if video is None or self.review.active:  # in review, tiles show recorded pictures
            return 0
        changed = 0
        for tile in self.grid.visible_tiles():
            slot = video.display(tile.camera_id)
            if slot is not None and tile.show_frame(slot.latest()):
                changed += 1
        return changed

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._stopped and self.context.video is not None:
            self._timer.start()

    def hideEvent(self, event: QHideEvent) -> None:
        self._timer.stop()  # a panel nobody sees reads no pictures
        super().hideEvent(event)

    # --- hub -------------------------------------------------------------------------------
    def _on_cameras(self, batch: Sequence[VideoCameras]) -> None:
        latest = batch[-1]
        self.menus.cameras = {camera.camera_id: camera for camera in latest.cameras}
        self.menus.models = latest.models
        self.grid.set_cameras(latest.cameras)
        self.faces.apply()
        for camera_id, tile in self.grid.tiles.items():
            status = self.statuses.get(camera_id)
            if status is not None and tile.status is not status:
                tile.set_status(status)

    def _on_status(self, batch: Sequence[CameraStatus]) -> None:
        for status in batch:
            self.statuses[status.camera_id] = status
            tile = self.grid.tiles.get(status.camera_id)
            if tile is not None:
                tile.set_status(status)

    def _on_alerts(self, batch: Sequence[Alert]) -> None:
        self.cues.add(batch)

    def _on_alert_snapshot(self, batch: Sequence[AlertSnapshot]) -> None:
        for snapshot in batch:
            self.cues.add(snapshot.alerts)

    def _on_selection(self, batch: Sequence[Selection]) -> None:
        """An alert selected elsewhere cues its camera; a camera clicked on the map opens it."""
        wanted = batch[-1]
        if wanted.origin == self.ID:
            return
        if wanted.kind == "alert":
            cue = self.cues.get(wanted.identifier)
            if cue is not None:
                self.cue(cue)
        elif wanted.kind == "camera" and self.grid.maximise(wanted.identifier):
            self.show_live()
            self._bring_forward()

    def _on_review(self, batch: Sequence[ReviewState]) -> None:
        entering = batch[-1].time is not None and not self.review.active
        self.review.on_review(batch)
        if entering:
            self.show_live()  # the grid, where each camera's recorded picture shows

    # --- cueing ----------------------------------------------------------------------------
    def cue(self, cue: VideoCue) -> None:
        """Maximises the alert's camera and, when the alert has one, shows its snapshot."""
        for tile in self.grid.tiles.values():
            tile.set_cued(tile.camera_id == cue.camera_id)
        self.grid.maximise(cue.camera_id)
        if cue.snapshot_uri is None:
            self.show_live()
        else:
            video = self.context.video
            locate = video.snapshot_path if video is not None else None
            camera = self.menus.cameras.get(cue.camera_id)
            self.snapshot.show_cue(cue, locate, camera.name if camera is not None else "")
            self.stack.setCurrentWidget(self.snapshot)
            self._on_layout_changed()
        self._bring_forward()

    def show_live(self) -> None:
        self.stack.setCurrentWidget(self.grid)
        self._on_layout_changed()

    def _bring_forward(self) -> None:
        dock = self.parentWidget()
        if dock is not None:
            dock.show()
            dock.raise_()

    def _on_mark(self, alert_id: str, true_positive: bool) -> None:
        self.context.commands(MarkDetection(alert_id, true_positive, by=self.gate.user()))

    def _notify(self, text: str) -> None:
        """Shows a problem above the tiles; an empty text clears it."""
        if not text and self.context.video is None:
            text = gettext("Live video is not available in this console.")
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # --- view ------------------------------------------------------------------------------
    def _on_tiles_choice(self, _index: int) -> None:
        count = self.tiles_choice.currentData()
        if count is not None:
            self.grid.set_per_page(count)

    def _on_layout_changed(self) -> None:
        """Paging controls only where paging means something: the live grid, several pages."""
        grid = self.grid
        live = self.stack.currentWidget() is grid
        in_grid = live and grid.maximised is None
        paging = in_grid and grid.page_count() > 1
        self.tiles_choice.setVisible(in_grid)
        for widget in (self.previous, self.page_label, self.next):
            widget.setVisible(paging)
        self.previous.setEnabled(grid.page > 0)
        self.next.setEnabled(grid.page < grid.page_count() - 1)
        self.page_label.setText(
            gettext("Page {page} of {count}").format(
                page=format_decimal(grid.page + 1), count=format_decimal(grid.page_count())
            )
        )
        self.back_to_grid.setVisible(live and grid.maximised is not None)
        if grid.maximised is None:
            for tile in grid.tiles.values():
                tile.set_cued(False)

    def retranslate(self) -> None:
        current = self.tiles_choice.currentData() or self.grid.per_page
        self.tiles_choice.blockSignals(True)
        self.tiles_choice.clear()
        for count in TILE_CHOICES:
            text = ngettext("{count} tile", "{count} tiles", count)
            self.tiles_choice.addItem(text.format(count=format_decimal(count)), count)
        self.tiles_choice.setCurrentIndex(self.tiles_choice.findData(current))
        self.tiles_choice.blockSignals(False)
        self.tiles_choice.setToolTip(gettext("Cameras shown at once"))
        self.previous.setText(gettext("Previous page"))
        self.next.setText(gettext("Next page"))
        self.back_to_grid.setText(gettext("Back to grid"))
        self.back_to_grid.setToolTip(gettext("Double-click the picture or press Esc"))
        self.grid.empty.setText(gettext("No camera is configured."))
        self._notify("")
        self.snapshot.retranslate()
        self._on_layout_changed()
        for tile in self.grid.tiles.values():
            tile.update()

    def stop(self) -> None:
        self._stopped = True
        self._timer.stop()
        for subscription in self._subscriptions:
            subscription.cancel()
        self.snapshot.stop()
        self.review.stop()
        self.faces.stop()
        self.menus.stop()
        self.gate.stop()
