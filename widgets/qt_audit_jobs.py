"""Runs the audit panel's reads (pages, head polls, the chain check) on worker threads.

The audit log may hold millions of entries and a full verification takes seconds: the GUI
thread never waits. Each job has a kind ("page", "head", "verify"); a kind runs one job at a
time, and an answer to a job superseded meanwhile (a new filter typed during a read) is
dropped by its generation number. Answers come back by queued signal, on the GUI thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)

JOIN_TIMEOUT_S = 30.0


class AuditJobs(QObject):
    sig_done = Signal(str, object)  # kind, result; on the GUI thread
    sig_failed = Signal(str, str)  # kind, reason; on the GUI thread
    sig_idle = Signal(str)  # kind: no job of it runs any more (after done/failed, or dropped)
    _sig_finished = Signal(str, int, bool, object)  # from the worker thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._threads: dict[tuple[str, int], threading.Thread] = {}
        self._generations: dict[str, int] = {}
        self._stopped = False
        self._sig_finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    def stopping(self) -> bool:
        """For long jobs to check now and then: the panel is closing, stop early."""
        return self._stopped

    def busy(self, kind: str) -> bool:
        return any(k == kind and t.is_alive() for (k, _g), t in self._threads.items())

    def run(self, kind: str, job: Callable[[], object]) -> bool:
        """Starts ``job``; returns False (and starts nothing) while one of ``kind`` runs, or
        after ``stop``."""
        if self._stopped or self.busy(kind):
            return False
        generation = self._generations.get(kind, 0) + 1
        self._generations[kind] = generation
        thread = threading.Thread(
            target=self._work, args=(kind, generation, job), name=f"audit-{kind}", daemon=True
        )
        self._threads[(kind, generation)] = thread
        thread.start()
        return True

    def forget(self, kind: str) -> None:
        """The running job's answer, if any, is no longer wanted."""
        self._generations[kind] = self._generations.get(kind, 0) + 1

    def stop(self) -> None:
        self._stopped = True
        for kind, _generation in list(self._threads):
            self.forget(kind)
        for thread in self._threads.values():
            thread.join(JOIN_TIMEOUT_S)
            if thread.is_alive():
                log.warning("An audit panel job (%s) did not finish in time", thread.name)
        self._threads.clear()

    def _work(self, kind: str, generation: int, job: Callable[[], object]) -> None:
        try:
            result, ok = job(), True
        except Exception as exc:  # shown in the panel; never fatal
            if self._stopped:  # stopped on purpose (the panel closes): nothing to report
                return
            log.warning("Audit panel job %s failed", kind, exc_info=True)
            result, ok = str(exc) or type(exc).__name__, False
        try:
            self._sig_finished.emit(kind, generation, ok, result)
        except RuntimeError:  # the panel is gone
            log.debug("Audit panel gone before its %s job ended", kind)

    @Slot(str, int, bool, object)
    def _on_finished(self, kind: str, generation: int, ok: bool, result: object) -> None:
        thread = self._threads.pop((kind, generation), None)
        if thread is not None:
            thread.join(JOIN_TIMEOUT_S)  # it has emitted: ends at once
        if self._stopped:
            return
        if generation == self._generations.get(kind):
            if ok:
                self.sig_done.emit(kind, result)
            else:
                self.sig_failed.emit(kind, str(result))
        self.sig_idle.emit(kind)
