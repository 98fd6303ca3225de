"""Authors revealed behind their pseudonyms, each until its grant runs out.

A granted AUTHOR unmask request makes the core send ``RevealedAuthor`` to the requester's
workstation only. The feed then shows the handle beside the pseudonym, marked as revealed, and
forgets it at ``until``: one single-shot timer aimed at the next expiry (no polling), and at
once when the grant is ended early or another person signs in at this desk. Handles live only
here, in memory; they are never logged or stored by the GUI.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QObject, QTimer, Signal

from app.model import utc_now
from app.security.model import (
    RevealedAuthor,
    SessionChanged,
    UnmaskChanged,
    UnmaskKind,
    UnmaskState,
)
from widgets.facade import PanelContext

# Qt timers take an int of milliseconds; a longer grant is re-aimed when this one fires.
MAX_WAIT_MS = 2**31 - 1


class RevealedAuthors(QObject):
    sig_changed = Signal()

    def __init__(self, context: PanelContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.revealed: dict[str, RevealedAuthor] = {}  # by pseudonym
        self._user = context.principal.username if context.principal is not None else None
        self._expiry = QTimer(self, singleShot=True)
        self._expiry.timeout.connect(self.forget_expired)
        self._subscriptions = [
            context.subscribe(RevealedAuthor, self._on_revealed),
            context.subscribe(UnmaskChanged, self._on_changed),
            context.subscribe(SessionChanged, self._on_session),
        ]

    def get(self, pseudonym: str) -> RevealedAuthor | None:
        return self.revealed.get(pseudonym)

    def forget_expired(self) -> None:
        now = utc_now()
        gone = [p for p, r in self.revealed.items() if r.until <= now]
        for pseudonym in gone:
            del self.revealed[pseudonym]
        self._aim()
        if gone:
            self.sig_changed.emit()

    def forget_all(self) -> None:
        if self.revealed:
            self.revealed.clear()
            self._aim()
            self.sig_changed.emit()

    def _aim(self) -> None:
        if not self.revealed:
            self._expiry.stop()
            return
        soonest = min(r.until for r in self.revealed.values())
        wait = (soonest - utc_now()).total_seconds() * 1000
        self._expiry.start(int(min(max(wait, 0) + 1, MAX_WAIT_MS)))

    def _on_revealed(self, batch: Sequence[RevealedAuthor]) -> None:
        now = utc_now()
        for revealed in batch:
            if revealed.until > now:
                self.revealed[revealed.pseudonym] = revealed
        self._aim()
        self.sig_changed.emit()

    def _on_changed(self, batch: Sequence[UnmaskChanged]) -> None:
        """A grant ended early (or denied after all) takes its handle away at once."""
        over = {
            c.request.identifier
            for c in batch
            if c.request.kind is UnmaskKind.AUTHOR and c.request.state is not UnmaskState.GRANTED
        }
        gone = [p for p, r in self.revealed.items() if r.request_id in over]
        for pseudonym in gone:
            del self.revealed[pseudonym]
        if gone:
            self._aim()
            self.sig_changed.emit()

    def _on_session(self, batch: Sequence[SessionChanged]) -> None:
        """Handles were revealed to one person: nobody else at this desk sees them."""
        principal = batch[-1].principal
        user = principal.username if principal is not None else None
        if user != self._user:
            self.forget_all()
        self._user = user

    def stop(self) -> None:
        self._expiry.stop()
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions.clear()
