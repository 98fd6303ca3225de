"""The bridge between the core's threads and the GUI thread.

Core subscribers run on whatever thread published; Qt widgets may only be touched on the GUI
thread. The bridge collects hub batches under a lock and wakes the GUI thread with one queued
signal, whatever the data rate; the GUI thread then re-publishes everything collected on a
GUI-side hub in one batch. A burst of thousands of records therefore costs one wake-up, and the
publishing worker never waits for the GUI.

An optional ``visible`` filter (the core's ``security.visible``) runs on each batch just before
it is re-published, with the person signed in at that moment: nothing they may not see reaches
a panel, and what was collected for the previous person is judged for the next one.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.hub import Hub, Subscription

log = logging.getLogger(__name__)

Filter = Callable[[Sequence[Any]], Sequence[Any]]


class QtHubBridge(QObject):
    sig_pending = Signal()

    def __init__(
        self, core_hub: Hub, parent: QObject | None = None, visible: Filter | None = None
    ) -> None:
        super().__init__(parent)
        self.gui_hub = Hub()
        self.visible = visible
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
        if batch and self.visible is not None:
            try:
                batch = list(self.visible(batch))
            except Exception:
                # Fail closed: a broken filter must not show what it was meant to hide.
                log.exception("The visibility filter failed; %d message(s) dropped", len(batch))
                batch = []
        if batch:
            self.gui_hub.publish_batch(batch)

    def renew_gui_hub(self) -> Hub:
        """A fresh GUI-side hub for the next window: the closed window's panels and their
        subscriptions are left behind with the old one, even before Python collects them."""
        self.gui_hub = Hub()
        return self.gui_hub

    def deliver(self, batch: Sequence[Any]) -> None:
        """Hands messages to the GUI side only (not to the core's subscribers), through the
        same filter: e.g. fresh starting pictures for a window opened after a sign-out."""
        self._collect(batch)

    def close(self) -> None:
        if self._subscription is not None:
            self._subscription.cancel()
            self._subscription = None
