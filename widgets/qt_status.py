"""The status bar: one health light per data source, and the UTC and local clocks.

Operators glance at it to know whether silence on screen means "nothing happens" or "a tool is
down": each light names its source, and hovering shows the last error.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC

from PySide6.QtCore import QEvent, QSize, QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.messages import HealthState, SourceHealth
from app.model import utc_now
from app.terminology import Terminology
from i18n import format_datetime, format_time, gettext, isolate, ngettext
from widgets.facade import PanelContext

CLOCK_INTERVAL_MS = 1000


class QtHealthLight(QLabel):
    def __init__(self, terminology: Terminology, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._terms = terminology
        self.health: SourceHealth | None = None

    def minimumSizeHint(self) -> QSize:
        """As small as the light itself: a long name spelled out for a source in trouble is
        clipped when the bar is full, never a reason for the window to grow past the screen."""
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), hint.height() + 4), hint.height())

    def show_health(self, health: SourceHealth) -> None:
        self.health = health
        self.setObjectName(f"health-{health.source_id}")
        self.retranslate()

    def retranslate(self) -> None:
        if self.health is None:
            return
        style = self._terms.health(self.health.state.value)
        glyph = f'<span style="color:{style.colour}">{style.glyph}</span>'
        # Healthy sources stay compact (name on hover); a problem is spelled out, so that many
        # tools fit the bar and the one that is down stands out.
        if self.health.state is HealthState.OK:
            self.setText(glyph)
        else:
            self.setText(f"{glyph} {isolate(_escape(self.health.title))}")
        self.setAccessibleName(f"{self.health.title}: {style.name}")
        lines = [
            gettext("{source}: {state}").format(source=self.health.title, state=style.name),
            ngettext(
                "{count} record received", "{count} records received", self.health.records_in
            ).format(count=self.health.records_in),
            gettext("Last update: {when}").format(
                when=format_datetime(self.health.time.astimezone())
            ),
        ]
        if self.health.last_error:
            lines.append(gettext("Last error: {error}").format(error=self.health.last_error))
        self.setToolTip("\n".join(lines))


class QtStatusBar(QStatusBar):
    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("statusBar")
        self._terms = context.terminology
        self.terminology = context.terminology
        self.lights: dict[str, QtHealthLight] = {}
        self._utc = QLabel(objectName="utcClock")
        self._local = QLabel(objectName="localClock")
        self.addPermanentWidget(self._utc)
        self.addPermanentWidget(self._local)
        self._subscription = context.subscribe(SourceHealth, self._on_health)
        self._clock = QTimer(self)
        self._clock.setInterval(CLOCK_INTERVAL_MS)
        self._clock.timeout.connect(self._tick)
        self._clock.start()
        self._tick()

    def _on_health(self, batch: Sequence[SourceHealth]) -> None:
        for health in batch:
            light = self.lights.get(health.source_id)
            if light is None:
                light = self.lights[health.source_id] = QtHealthLight(self._terms, self)
                self.addWidget(light)
            light.show_health(health)

    def _tick(self) -> None:
        now = utc_now()
        self._utc.setText(gettext("UTC {time}").format(time=format_time(now, tz=UTC)))
        local = now.astimezone()
        self._local.setText(
            gettext("Local {time}").format(time=format_time(local, tz=local.tzinfo))
        )

    def stop(self) -> None:
        self._clock.stop()

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self._tick()
            for light in self.lights.values():
                light.retranslate()
        super().changeEvent(event)


def _escape(text: str) -> str:
    """Source titles come from configuration and tools: never let them inject markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
