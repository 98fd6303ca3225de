"""The panel declaration every dockable panel follows (see DESIGN.md, "Panels declare
themselves"): the window builds docks from these class attributes, never from special cases."""

from __future__ import annotations

from typing import ClassVar

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QWidget

from i18n.catalogs import LazyString
from widgets.facade import PanelContext


class QtPanel(QWidget):
    ID: ClassVar[str]
    TITLE: ClassVar[LazyString]
    DEFAULT_AREA: ClassVar[Qt.DockWidgetArea] = Qt.DockWidgetArea.RightDockWidgetArea
    TABIFY_WITH: ClassVar[str | None] = None

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.setObjectName(f"{self.ID}-panel")

    def retranslate(self) -> None:
        """Sets every visible text again in the current language; called on LanguageChange."""

    def stop(self) -> None:
        """Stops the panel's timers and work; called when the window closes."""

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
