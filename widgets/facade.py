"""What a panel may use of the application: a narrow facade, never the main window itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from app.hub import Hub, Subscription
from app.map.config import MapConfig
from app.security.audit import AuditLog
from app.security.model import Permission, Principal, UnmaskRules
from app.stats.aggregates import StatsInput
from app.terminology import Terminology
from app.video.messages import VideoAccess
from widgets.qt_symbols import SymbolRenderer

T = TypeVar("T")


@dataclass(frozen=True)
class Preferences:
    alert_sound: bool = True
    alert_flash: bool = True


def _anything(_permission: Permission) -> bool:
    """Without security wired in (tools, tests of one panel), every action is offered; the core
    still refuses what the signed-in person may not do."""
    return True


def _unrecorded(action: str, target: str, detail: dict[str, Any]) -> None:
    """Tools and single-panel tests have no audit log."""


def _nowhere(command: object) -> None:
    raise RuntimeError(f"no service takes {command!r} in this console")


@dataclass(frozen=True)
class PanelContext:
    """``gui_hub`` delivers on the GUI thread; ``core_hub`` is for publishing (selection);
    ``commands`` hands an operator's command to the core's services (returns at once).

    ``principal`` is the person signed in at this window (a new window, with a new context, is
    built for each sign-in); ``permits(permission, camera=..., layer=..., zone=...)`` says
    whether they may act now (shift windows included): panels hide what it refuses. Panels
    that must follow a lock or a sign-out subscribe to ``SessionChanged``."""

    gui_hub: Hub
    core_hub: Hub
    terminology: Terminology
    commands: Callable[[object], None] = _nowhere
    operator: str = ""
    preferences: Preferences = field(default_factory=Preferences)
    map_config: MapConfig = field(default_factory=MapConfig)
    # Reads alerts and actions for the diagrams; runs off the GUI thread.
    load_stats: Callable[[datetime, datetime], StatsInput] | None = None
    symbols: SymbolRenderer = field(default_factory=SymbolRenderer)
    # The cameras' latest pictures and snapshot files; ``None`` when the console runs no video.
    video: VideoAccess | None = None
    # Who is signed in, and whether they may do something now (shift windows included): panels
    # hide what ``permits`` refuses and re-check when ``SessionChanged`` arrives.
    principal: Principal | None = None
    permits: Callable[[Permission], bool] = _anything
    # The policy's unmask rules (second person's approval, longest grant) for the dialogs.
    unmask_rules: UnmaskRules = field(default_factory=UnmaskRules)
    # The audit log, for the audit panel (read and verified off the GUI thread); ``None``
    # where the console has none (tools, tests of one panel).
    audit: AuditLog | None = None
    # Puts something done in the GUI that is no command (an export, a setting) on the audit
    # record in the signed-in person's name: ``(action, target, detail)``; returns at once.
    audit_event: Callable[[str, str, dict[str, Any]], None] = _unrecorded

    def subscribe(self, kind: type[T], callback: Callable[[Sequence[T]], None]) -> Subscription:
        return self.gui_hub.subscribe(kind, callback)

    def publish(self, *messages: object) -> None:
        self.core_hub.publish(*messages)
