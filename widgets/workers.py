"""The bridge between the core's threads and the GUI thread.

Core subscribers run on whatever thread published; Qt widgets may only be touched on the GUI
thread. The bridge collects hub batches under a lock and wakes the GUI thread with one queued
signal, whatever the data rate; the GUI thread then re-publishes everything collected on a
GUI-side hub in one batch. A burst of thousands of records therefore costs one wake-up, and the
publishing worker never waits for the GUI.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.hub import Hub, Subscription


class QtHubBridge(QObject):
    sig_pending = Signal()

    def __init__(self, core_hub: Hub, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.gui_hub = Hub()
        self._lock = threading.Lock()
        self._pending: list[Any] = []
        self._subscription: Subscription | None = core_hub.subscribe(object, self._collect)
        self.sig_pending.connect(self._on_pending, Qt.ConnectionType.QueuedConnection)

    def _collect(self, batch: Sequence[Any]) -> None:
        with self._lock:
            wake = not self._pending
            self._pending.extend(batch)
        if wake:
            self.sig_pending.emit()

    @Slot()
    def _on_pending(self) -> None:
        with self._lock:
            batch, self._pending = self._pending, []
        if batch:
            self.gui_hub.publish_batch(batch)

    def close(self) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None
