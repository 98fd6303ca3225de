"""A panel whose full view arrives with a later issue.

It says so plainly, and shows what has reached it so far (count and the newest record, named by
the terminology registry, timed in the operator's language), so an operator can still see that
data is flowing and the panel machinery (docking, layouts, translation) is the real one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from app.model import Post, Status, Track
from i18n import format_datetime, gettext, isolate, ngettext
from i18n.catalogs import LazyString
from widgets.facade import PanelContext
from widgets.qt_panel import QtPanel


class QtPendingPanel(QtPanel):
    RECORD_TYPES: ClassVar[tuple[type, ...]] = ()
    PURPOSE: ClassVar[LazyString]

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self._count = 0
        self._newest: Any = None
        self._purpose = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self._state = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self._state.setObjectName("panelState")
        self._received = QLabel(alignment=Qt.AlignmentFlag.AlignCenter, wordWrap=True)
        self._received.setObjectName("panelReceived")
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        for label in (self._purpose, self._state, self._received):
            layout.addWidget(label)
        layout.addStretch(2)
        self._subscriptions = [
            context.subscribe(kind, self._on_records) for kind in self.RECORD_TYPES
        ]
        self.retranslate()

    def _on_records(self, batch: Sequence[Any]) -> None:
        self._count += len(batch)
        newest = max(batch, key=lambda record: record.time)
        if self._newest is None or newest.time >= self._newest.time:
            self._newest = newest
        self._show_received()

    def describe(self, record: Any) -> str:
        """One line naming a record; panels add what matters for their kind."""
        if isinstance(record, Post):
            return gettext("Social-media post")
        if isinstance(record, Track):
            return gettext("Track {callsign}").format(callsign=record.callsign or record.identifier)
        return self.context.terminology.event_type(record.event_type).name

    def retranslate(self) -> None:
        self._purpose.setText(str(self.PURPOSE))
        self._state.setText(gettext("This view is not available in this version yet."))
        self._show_received()

    def _show_received(self) -> None:
        if not self.RECORD_TYPES:
            self._received.setText("")
            return
        if self._newest is None:
            self._received.setText(gettext("No data received yet."))
            return
        text = ngettext("{count} record received.", "{count} records received.", self._count)
        newest = gettext("Newest: {what}, {when}").format(
            what=isolate(self.describe(self._newest)), when=isolate(_when(self._newest.time))
        )
        exercise = gettext("(exercise)") if self._newest.status is Status.EXERCISE else ""
        self._received.setText(f"{text.format(count=self._count)}\n{newest} {exercise}".strip())

    @property
    def received_count(self) -> int:
        return self._count


def _when(value: datetime) -> str:
    return format_datetime(value.astimezone(), "medium")
