"""The strip above the map where a selected zone is named and given its kind.

Detectors and fusion read a zone's kind (restricted, crowd, VIP, venue), and operators find zones
by name, so a freshly drawn zone opens here at once, ready to be named.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QPushButton, QWidget

from app.map.objects import ZONE_KINDS, zone_kind_name
from app.model import Zone
from i18n import gettext

NAME_LIMIT = 256  # the store's column width


class QtZoneEditor(QWidget):
    sig_save = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("zoneEditor")
        self.zone: Zone | None = None
        self.allowed = True  # the signed-in person may change zones (configure)
        self._label = QLabel(self)
        self.name = QLineEdit(self, maxLength=NAME_LIMIT)
        self.kind = QComboBox(self)
        self.save = QPushButton(self)
        self.done = QPushButton(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 2)
        for widget in (self._label, self.name, self.kind, self.save, self.done):
            layout.addWidget(widget)
        layout.setStretch(1, 1)
        self.save.clicked.connect(self._on_save)
        self.name.returnPressed.connect(self._on_save)
        self.done.clicked.connect(self.hide)
        self.retranslate()
        self.hide()

    def set_allowed(self, allowed: bool) -> None:
        """Without the configure permission no zone opens here: zones are looked at only."""
        self.allowed = allowed
        if not allowed:
            self.hide()

    def show_zone(self, zone: Zone, focus: bool = False) -> None:
        if not self.allowed:
            return
        self.zone = zone
        self.name.setText(zone.name)
        index = self.kind.findData(zone.kind)
        if index < 0:  # a kind from a site file we do not know: kept, shown as written
            self.kind.addItem(zone.kind, zone.kind)
            index = self.kind.count() - 1
        self.kind.setCurrentIndex(index)
        self.show()
        if focus:
            self.name.setFocus()
            self.name.selectAll()

    def _on_save(self) -> None:
        if self.zone is None:
            return
        name = self.name.text().strip() or self.zone.name
        kind = self.kind.currentData() or self.zone.kind
        if (name, kind) != (self.zone.name, self.zone.kind):
            self.sig_save.emit(replace(self.zone, name=name, kind=kind))

    def retranslate(self) -> None:
        self._label.setText(gettext("Zone:"))
        self.name.setPlaceholderText(gettext("Zone name"))
        current = self.kind.currentData()
        self.kind.clear()
        for key in ZONE_KINDS:
            self.kind.addItem(zone_kind_name(key), key)
        if current is not None and (index := self.kind.findData(current)) >= 0:
            self.kind.setCurrentIndex(index)
        self.save.setText(gettext("Save zone"))
        self.done.setText(gettext("Close"))
