"""The tile grid: 1, 4 or 9 cameras per page, paging, and one camera maximised.

Tiles exist once per camera and are only moved in and out of the layout, so a camera's last
picture and health survive paging. Tiles off the page are hidden, and hidden tiles are not fed:
the display timer asks ``visible_tiles()`` which cameras to read.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from app.terminology import Terminology
from app.video.messages import CameraInfo
from widgets.qt_video_tile import QtVideoTile

TILE_CHOICES = (1, 4, 9)
DEFAULT_TILES = 4


class QtVideoGrid(QWidget):
    sig_layout_changed = Signal()  # page, tiles per page or maximised camera changed
    sig_menu = Signal(str, object)  # a tile's context menu: camera id, global QPoint

    def __init__(self, terminology: Terminology, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("videoGrid")
        self.terms = terminology
        self.tiles: dict[str, QtVideoTile] = {}
        self.order: list[str] = []
        self.per_page = DEFAULT_TILES
        self.page = 0
        self.maximised: str | None = None
        self.empty = QLabel(self, alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self.empty.setObjectName("videoEmpty")
        # Empty cells of a last, partly filled page keep the tiles the size of a full page's.
        self._blanks = [QWidget(self) for _ in range(max(TILE_CHOICES) - 1)]
        self._layout = QGridLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(2)
        self.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self._relayout()

    # --- cameras ---------------------------------------------------------------------------
    def set_cameras(self, cameras: Sequence[CameraInfo]) -> None:
        """Follows the configured cameras: new ones get a tile, gone ones lose theirs."""
        wanted = {camera.camera_id: camera for camera in cameras}
        for camera_id in [c for c in self.tiles if c not in wanted]:
            tile = self.tiles.pop(camera_id)
            self._layout.removeWidget(tile)
            tile.deleteLater()
        for camera in cameras:
            tile = self.tiles.get(camera.camera_id)
            if tile is None:
                self.tiles[camera.camera_id] = self._new_tile(camera)
            else:
                tile.set_camera(camera)
        self.order = list(wanted)
        if self.maximised not in self.tiles:
            self.maximised = None
        self.page = min(self.page, self.page_count() - 1)
        self._relayout()

    def _new_tile(self, camera: CameraInfo) -> QtVideoTile:
        tile = QtVideoTile(camera, self.terms, self)
        tile.hide()
        tile.sig_activated.connect(self._on_activated)
        tile.sig_menu.connect(self.sig_menu)
        return tile

    # --- pages and maximising --------------------------------------------------------------
    def page_count(self) -> int:
        return max(1, math.ceil(len(self.order) / self.per_page))

    def set_per_page(self, count: int) -> None:
        if count not in TILE_CHOICES or count == self.per_page:
            return
        first = self.page * self.per_page  # keep the first camera shown on the page
        self.per_page = count
        self.page = first // count
        self._relayout()

    def set_page(self, page: int) -> None:
        page = max(0, min(page, self.page_count() - 1))
        if page != self.page or self.maximised is not None:
            self.page, self.maximised = page, None
            self._relayout()

    def maximise(self, camera_id: str) -> bool:
        if camera_id not in self.tiles:
            return False
        self.maximised = camera_id
        self.page = self.order.index(camera_id) // self.per_page  # restore lands on its page
        self._relayout()
        return True

    def restore(self) -> None:
        if self.maximised is not None:
            self.maximised = None
            self._relayout()

    def _on_activated(self, camera_id: str) -> None:
        if self.maximised == camera_id:
            self.restore()
        else:
            self.maximise(camera_id)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.maximised is not None:
            self.restore()
            event.accept()
            return
        super().keyPressEvent(event)

    # --- layout ----------------------------------------------------------------------------
    def shown_ids(self) -> list[str]:
        if self.maximised is not None:
            return [self.maximised]
        start = self.page * self.per_page
        return self.order[start : start + self.per_page]

    def visible_tiles(self) -> list[QtVideoTile]:
        """The tiles on screen now: the only ones worth feeding pictures."""
        return [self.tiles[c] for c in self.shown_ids() if self.tiles[c].isVisible()]

    def _relayout(self) -> None:
        layout = self._layout
        while layout.count():
            layout.takeAt(0)
        for widget in (*self.tiles.values(), *self._blanks):
            widget.hide()
        shown = self.shown_ids()
        columns = 1 if self.maximised is not None else math.isqrt(self.per_page)
        for row in range(3):
            layout.setRowStretch(row, 1 if row < columns else 0)
            layout.setColumnStretch(row, 1 if row < columns else 0)
        self.empty.setVisible(not shown)
        if not shown:
            layout.addWidget(self.empty, 0, 0)
        for number, camera_id in enumerate(shown):
            tile = self.tiles[camera_id]
            layout.addWidget(tile, number // columns, number % columns)
            tile.show()
        cells = columns * columns if shown else 0
        for blank, number in zip(self._blanks, range(len(shown), cells), strict=False):
            layout.addWidget(blank, number // columns, number % columns)
            blank.show()
        self.sig_layout_changed.emit()
