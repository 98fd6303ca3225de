"""Reads the Diagrams dialog's period on a worker thread, so the GUI never waits on the database.

One read at a time, the latest request wins: a request made during a read starts when that read
ends, and an answer for an older request is dropped. The answer comes back with a queued signal
and is re-emitted on the GUI thread, where the dialog draws it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.stats.aggregates import StatsReport

log = logging.getLogger(__name__)

Read = Callable[[datetime, datetime], StatsReport]
Period = Callable[[], tuple[datetime, datetime]]
JOIN_TIMEOUT_S = 10.0


class ReportLoader(QObject):
    """Runs ``read(since, until)`` on a worker thread for the period ``period()`` names when
    the read starts (a queued request reads the period chosen by then)."""

    sig_loaded = Signal(object)  # the latest request's StatsReport, on the GUI thread
    sig_failed = Signal(str)  # why the latest request failed, on the GUI thread
    _sig_done = Signal(int, object)  # emitted on the worker thread
    _sig_error = Signal(int, str)  # emitted on the worker thread

    def __init__(self, read: Read, period: Period, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._read = read
        self._period = period
        self._generation = 0
        self._thread: threading.Thread | None = None
        self._queued = False
        self._sig_done.connect(self._on_done, Qt.ConnectionType.QueuedConnection)
        self._sig_error.connect(self._on_error, Qt.ConnectionType.QueuedConnection)

    def is_loading(self) -> bool:
        return self._thread is not None

    def request(self) -> None:
        self._generation += 1
        if self._thread is not None:
            self._queued = True
        else:
            self._start()

    def stop(self) -> None:
        """Waits for a running read to end (the suite, and a long shift, allow no stray
        thread); anything it delivers later is ignored."""
        self._generation += 1
        self._queued = False
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(JOIN_TIMEOUT_S)
            if thread.is_alive():
                log.warning("The diagrams' loader did not finish within %s s", JOIN_TIMEOUT_S)

    def _start(self) -> None:
        self._queued = False
        since, until = self._period()
        self._thread = threading.Thread(
            target=self._work,
            args=(self._generation, since, until),
            name="diagrams-loader",
            daemon=True,
        )
        self._thread.start()

    def _work(self, generation: int, since: datetime, until: datetime) -> None:
        """Worker thread: read and aggregate; never touches a widget."""
        try:
            report = self._read(since, until)
        except Exception as exc:  # any failure is shown in the dialog, never fatal
            log.warning("Loading the diagrams failed", exc_info=True)
            self._deliver(False, generation, str(exc) or type(exc).__name__)
        else:
            self._deliver(True, generation, report)

    def _deliver(self, ok: bool, generation: int, payload: object) -> None:
        try:
            (self._sig_done if ok else self._sig_error).emit(generation, payload)
        except RuntimeError:  # the dialog was destroyed meanwhile: nobody is waiting
            log.debug("Diagrams dialog gone before its data arrived")

    def _reap(self) -> None:
        if self._thread is not None:
            self._thread.join(JOIN_TIMEOUT_S)  # it has delivered: returns at once
            self._thread = None
        if self._queued:
            self._start()

    @Slot(int, object)
    def _on_done(self, generation: int, report: StatsReport) -> None:
        self._reap()
        if generation == self._generation:  # else an older period's: the newer one is coming
            self.sig_loaded.emit(report)

    @Slot(int, str)
    def _on_error(self, generation: int, message: str) -> None:
        self._reap()
        if generation == self._generation:
            self.sig_failed.emit(message)
