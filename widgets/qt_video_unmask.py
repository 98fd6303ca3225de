"""Which cameras show faces right now, under a granted unmask request, and for how long.

While faces are visible the camera's tile carries a red "FACES VISIBLE · mm:ss" badge, so that
nobody in the room forgets the picture is unmasked, nor how long it stays so. The badge follows
``UnmaskChanged`` (granted → shown; expired, ended → gone); a one-second tick runs only while
some camera is unmasked, to count down.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QObject, QTimer

from app.security.model import UnmaskChanged, UnmaskKind, UnmaskState
from widgets.facade import PanelContext
from widgets.qt_video_grid import QtVideoGrid

TICK_MS = 1000


class FacesGrants(QObject):
    def __init__(self, context: PanelContext, grid: QtVideoGrid) -> None:
        super().__init__(grid)
        self.grid = grid
        self.until: dict[str, datetime] = {}  # camera id → when its faces are masked again
        self._requests: dict[str, str] = {}  # request id → camera id
        self._tick = QTimer(self, interval=TICK_MS)
        self._tick.timeout.connect(self._repaint)
        self._subscription = context.subscribe(UnmaskChanged, self._on_changed)

    def _on_changed(self, batch: Sequence[UnmaskChanged]) -> None:
        for changed in batch:
            request = changed.request
            if request.kind is not UnmaskKind.FACES:
                continue
            if request.state is UnmaskState.GRANTED and request.expires is not None:
                self.until[request.target] = request.expires
                self._requests[request.identifier] = request.target
            elif request.identifier in self._requests:
                camera = self._requests.pop(request.identifier)
                if camera not in self._requests.values():
                    self.until.pop(camera, None)
        self.apply()

    def apply(self) -> None:
        """Puts each tile's badge right (also for tiles made after the grant)."""
        for camera_id, tile in self.grid.tiles.items():
            tile.set_unmasked(self.until.get(camera_id))
        if self.until:
            self._tick.start()
        else:
            self._tick.stop()

    def _repaint(self) -> None:
        for camera_id in self.until:
            tile = self.grid.tiles.get(camera_id)
            if tile is not None:
                tile.update()

    def stop(self) -> None:
        self._tick.stop()
        self._subscription.cancel()
