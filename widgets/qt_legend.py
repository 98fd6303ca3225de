"""Legend panel: every symbol the console draws, named in the operator's language.

Generated from the terminology registry (event types by CAP category, then cameras, sensors,
posts and track identities), with the very symbols the map and the queue draw, so the legend
cannot drift from what is on screen.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from app.map.objects import ZONE_KINDS, zone_kind_name
from app.model import Category, Status
from i18n import gettext, lazy_gettext
from widgets.facade import PanelContext
from widgets.qt_panel import QtPanel

ICON_PIXELS = 24
ZONE_COLOURS = {"restricted": "#c62828", "crowd": "#ef6c00", "vip": "#6a1b9a", "venue": "#37474f"}


class QtLegendPanel(QtPanel):
    ID = "legend"
    TITLE = lazy_gettext("Legend")
    DEFAULT_AREA = Qt.DockWidgetArea.LeftDockWidgetArea
    TABIFY_WITH = "map"

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(2)
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setIconSize(QSize(ICON_PIXELS, ICON_PIXELS))
        # Rows as tall as the symbols, so each symbol is whole and readable.
        self.tree.setStyleSheet(f"QTreeView::item {{ min-height: {ICON_PIXELS + 6}px; }}")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        self._built = False

    def showEvent(self, event):  # type: ignore[no-untyped-def]
        # Drawn when first shown: the symbols cost nothing until someone looks.
        if not self._built:
            self.retranslate()
        super().showEvent(event)

    def retranslate(self) -> None:
        self._built = True
        self.tree.clear()
        self.tree.setHeaderLabels([gettext("Symbol"), gettext("Default priority")])
        self._event_types()
        self._map_objects()
        self.tree.expandAll()
        self.tree.resizeColumnToContents(0)

    def _event_types(self) -> None:
        terms = self.context.terminology
        for category in Category:
            events = [e for e in terms.event_types() if e.category is category]
            if not events:
                continue
            group = QTreeWidgetItem(self.tree, [terms.category_name(category)])
            for event in sorted(events, key=lambda e: (e.priority, e.name)):
                item = QTreeWidgetItem(group, [event.name, terms.priority(event.priority).name])
                item.setIcon(0, self._symbol(event.sidc))
                item.setToolTip(0, event.sidc)

    def _map_objects(self) -> None:
        terms = self.context.terminology
        group = QTreeWidgetItem(self.tree, [gettext("Map objects")])
        for kind in ("camera", "sensor", "post"):
            asset = terms.asset(kind)
            QTreeWidgetItem(group, [asset.name]).setIcon(0, self._symbol(asset.sidc))
        for letter, name in terms.track_identities():
            item = QTreeWidgetItem(group, [name])
            item.setIcon(0, self._symbol(terms.track_sidc(f"a-{letter}-G", Status.ACTUAL)))
        for kind in ZONE_KINDS:
            item = QTreeWidgetItem(group, [zone_kind_name(kind)])
            item.setIcon(0, _swatch(ZONE_COLOURS[kind]))
        exercise = QTreeWidgetItem(group, [gettext("Exercise objects (symbol context: exercise)")])
        exercise.setIcon(0, self._symbol(terms.asset("camera").sidc_for(Status.EXERCISE)))

    def _symbol(self, sidc: str) -> QIcon:
        return self.context.symbols.icon(sidc, ICON_PIXELS)


def _swatch(colour: str) -> QIcon:
    pixmap = QPixmap(ICON_PIXELS, ICON_PIXELS)
    fill = QColor(colour)
    fill.setAlpha(90)
    pixmap.fill(fill)
    return QIcon(pixmap)
