"""Shows a panel's controls only to people who may use them, and says the core's refusals.

The core refuses a forbidden command anyway (``Core.submit`` → ``PermissionRefused``); the gate
is about not offering it in the first place. A control the signed-in person cannot use is
hidden, not greyed out: a greyed "Dismiss" invites the question "why not me?", a missing one
does not. A hidden ``QAction`` also takes its shortcut away, so keys follow the menus.

Each panel keeps one gate. It re-checks every guarded control when ``SessionChanged`` arrives
(sign-in, sign-out, switch of person, shift window reached by the next session change), and
hands the core's ``PermissionRefused`` for commands of the panel's kinds to the panel's own
notice, as ``CommandRefused`` is shown.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from PySide6.QtCore import QObject

from app.security.model import Permission, PermissionRefused, Principal, SessionChanged
from widgets.facade import PanelContext


class Showable(Protocol):
    def setVisible(self, visible: bool) -> None: ...


class PermissionGate(QObject):
    def __init__(
        self,
        context: PanelContext,
        parent: QObject | None = None,
        *,
        refused: Callable[[str], None] | None = None,
        commands: tuple[type, ...] = (),
    ) -> None:
        """``refused(message)`` is called for the core's refusals of commands of the types
        ``commands`` (every refused command when empty)."""
        super().__init__(parent)
        self.context = context
        # The person signed in now: the window's person until the first SessionChanged.
        self.principal: Principal | None = context.principal
        self._session_seen = False
        self._guarded: list[tuple[Showable, tuple[Permission, ...]]] = []
        self._listeners: list[Callable[[], None]] = []
        self._refused = refused
        self._commands = commands
        self._subscriptions = [context.subscribe(SessionChanged, self._on_session)]
        if refused is not None:
            self._subscriptions.append(context.subscribe(PermissionRefused, self._on_refused))

    # --- questions ---------------------------------------------------------------------------
    def allows(self, permission: Permission) -> bool:
        return bool(self.context.permits(permission))

    def user(self) -> str:
        """Who acts at this desk: the signed-in person; before any session message, the
        console's operator name (tools and tests without security); nobody once signed out."""
        if self.principal is not None:
            return self.principal.username
        return "" if self._session_seen else self.context.operator

    # --- guarding ----------------------------------------------------------------------------
    def guard(self, item: Showable, *permissions: Permission) -> Showable:
        """Shows ``item`` only while the person holds every one of ``permissions``."""
        self._guarded.append((item, permissions))
        item.setVisible(all(self.allows(p) for p in permissions))
        return item

    def on_change(self, callback: Callable[[], None]) -> None:
        """For what a visibility switch cannot express (menus built on demand, lists)."""
        self._listeners.append(callback)

    def refresh(self) -> None:
        for item, permissions in self._guarded:
            item.setVisible(all(self.allows(p) for p in permissions))
        for callback in self._listeners:
            callback()

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()
        self._subscriptions.clear()

    # --- hub ---------------------------------------------------------------------------------
    def _on_session(self, batch: Sequence[SessionChanged]) -> None:
        self.principal = batch[-1].principal
        self._session_seen = True
        self.refresh()

    def _on_refused(self, batch: Sequence[PermissionRefused]) -> None:
        mine = [r for r in batch if not self._commands or isinstance(r.command, self._commands)]
        if mine and self._refused is not None:
            self._refused(mine[-1].message)
