"""A one-line notice above a panel: what went wrong, in words, until the operator dismisses it.

Problems with a layer or a refused zone must be said where the operator is looking, and must
not stay in the way once read.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QToolButton, QWidget

from i18n import gettext


class QtNotice(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("panelNotice")
        self._label = QLabel(self, wordWrap=True)
        self._dismiss = QToolButton(self, text="✕", autoRaise=True)
        self._dismiss.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 2, 2)
        layout.addWidget(self._label, 1)
        layout.addWidget(self._dismiss)
        self.retranslate()
        self.hide()

    def show_message(self, message: str) -> None:
        self._label.setText(message)
        self.show()

    def text(self) -> str:
        return self._label.text()

    def retranslate(self) -> None:
        self._dismiss.setToolTip(gettext("Dismiss"))
