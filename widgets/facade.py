"""What a panel may use of the application: a narrow facade, never the main window itself."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from app.hub import Hub, Subscription
from app.map.config import MapConfig
from app.stats.aggregates import StatsInput
from app.terminology import Terminology
from app.video.messages import VideoAccess
from widgets.qt_symbols import SymbolRenderer

T = TypeVar("T")


@dataclass(frozen=True)
class Preferences:
    alert_sound: bool = True
    alert_flash: bool = True


def _nowhere(command: object) -> None:
    raise RuntimeError(f"no service takes {command!r} in this console")


@dataclass(frozen=True)
class PanelContext:
    """``gui_hub`` delivers on the GUI thread; ``core_hub`` is for publishing (selection);
    ``commands`` hands an operator's command to the core's services (returns at once)."""

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

    def subscribe(self, kind: type[T], callback: Callable[[Sequence[T]], None]) -> Subscription:
        return self.gui_hub.subscribe(kind, callback)

    def publish(self, *messages: object) -> None:
        self.core_hub.publish(*messages)
