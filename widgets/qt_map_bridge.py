"""The object the map page talks to over QWebChannel (page → Python).

Every slot only re-emits a Qt signal: the panel decides what a click or a drawn zone means. The
page's arguments are untrusted strings and are treated as such by the receivers.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal, Slot


class QtMapBridge(QObject):
    sig_page_ready = Signal()
    sig_object_selected = Signal(str, str)
    sig_zone_drawn = Signal(str)
    sig_zone_edited = Signal(str, str)
    sig_zone_deleted = Signal(str)
    sig_page_problem = Signal(str)

    @Slot()
    def pageReady(self) -> None:
        self.sig_page_ready.emit()

    @Slot(str, str)
    def objectSelected(self, kind: str, identifier: str) -> None:
        self.sig_object_selected.emit(kind, identifier)

    @Slot(str)
    def zoneDrawn(self, geojson: str) -> None:
        self.sig_zone_drawn.emit(geojson)

    @Slot(str, str)
    def zoneEdited(self, identifier: str, geojson: str) -> None:
        self.sig_zone_edited.emit(identifier, geojson)

    @Slot(str)
    def zoneDeleted(self, identifier: str) -> None:
        self.sig_zone_deleted.emit(identifier)

    @Slot(str)
    def pageProblem(self, message: str) -> None:
        self.sig_page_problem.emit(message)
