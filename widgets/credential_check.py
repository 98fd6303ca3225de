"""Checking a password without freezing the window.

An Argon2 check takes 50-100 ms on a workstation and a directory (LDAP) check may wait on the
network: neither may run on the GUI thread, where a frozen window would also stop the alert
tone and the clocks. One short-lived Python thread runs the check and hands the outcome back
through a queued signal, so the slot always runs on the GUI thread.

The password lives only in the thread's arguments: it is never stored on the object, logged,
or put into the outcome.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Qt, Signal, Slot

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class CheckOutcome:
    """What the check returned, or the exception it raised (``None`` when it returned)."""

    value: object = None
    error: BaseException | None = None


class CredentialCheck(QObject):
    """Runs one check at a time off the GUI thread; ``sig_done`` carries a ``CheckOutcome``."""

    sig_done = Signal(object)
    _sig_finished = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._thread: threading.Thread | None = None
        self._running = False  # until the outcome is handed over (the thread ends just after)
        self._sig_finished.connect(self._on_finished, Qt.ConnectionType.QueuedConnection)

    @property
    def busy(self) -> bool:
        return self._running

    def start(self, check: Callable[..., object], *args: object) -> bool:
        """Starts ``check(*args)``; False (and nothing started) while a check still runs."""
        if self.busy:
            return False
        self._running = True
        self._thread = threading.Thread(
            target=self._run, args=(check, args), name="credential-check", daemon=True
        )
        self._thread.start()
        return True

    def _run(self, check: Callable[..., object], args: tuple[object, ...]) -> None:
        try:
            outcome = CheckOutcome(value=check(*args))
        except Exception as exc:  # handed to the GUI, which says what went wrong
            # Only the type: a message could quote what was typed.
            log.info("Credential check failed: %s", type(exc).__name__)
            outcome = CheckOutcome(error=exc)
        del args  # drop the password as soon as possible
        self._sig_finished.emit(outcome)

    @Slot(object)
    def _on_finished(self, outcome: CheckOutcome) -> None:
        self._running = False
        self.sig_done.emit(outcome)

    def wait(self, timeout_s: float = 5.0) -> None:
        """Lets a running check end (at shutdown), so no thread outlives the window."""
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout_s)
