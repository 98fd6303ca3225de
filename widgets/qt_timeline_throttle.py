"""A throttle for what the timeline publishes while the operator drags: latest wins.

The first request goes out at once (a click answers immediately); during the following
interval further requests only mark that something changed, and when the interval ends the
newest state goes out once. A drag of a hundred pointer moves therefore sends about ten
queries or cursors a second, and always ends with the last one.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer


class QtThrottle(QObject):
    def __init__(self, interval_ms: int, send: Callable[[], None], parent: QObject) -> None:
        super().__init__(parent)
        self._send = send
        self._wanted = False
        self._timer = QTimer(self, singleShot=True, interval=interval_ms)
        self._timer.timeout.connect(self._on_timeout)

    def request(self) -> None:
        if self._timer.isActive():
            self._wanted = True
            return
        self._wanted = False
        self._send()
        self._timer.start()

    def cancel(self) -> None:
        """Forgets a pending request (its state is no longer wanted)."""
        self._wanted = False

    def stop(self) -> None:
        self._wanted = False
        self._timer.stop()

    def _on_timeout(self) -> None:
        if self._wanted:
            self._wanted = False
            self._send()
            self._timer.start()
