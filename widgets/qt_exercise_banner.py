"""The EXERCISE banner: unmistakable whenever training data is on screen.

It is a full-width strip above every panel, shown as soon as any record with status Exercise
(or Test) reaches the GUI, so nobody dispatches a patrol to a simulated knife.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolBar, QWidget

from app.model import Status
from i18n import gettext
from widgets.facade import PanelContext

TRAINING_STATUSES = {Status.EXERCISE, Status.TEST}


class QtExerciseBanner(QToolBar):
    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exerciseBanner")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)  # not something an operator may hide
        style = context.terminology.exercise
        self._glyph = style.glyph
        self._msgid = style.msgid
        self._label = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        self._label.setObjectName("exerciseBannerText")
        self._label.setStyleSheet(
            f"background:{style.colour}; color:white; font-weight:bold; font-size:15px;"
            "padding:4px;"  # no letter-spacing: it breaks the joining of Arabic letters
        )
        self._label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.addWidget(self._label)
        self._subscription = context.subscribe(object, self._on_records)
        self.retranslate()
        self.setVisible(False)

    def _on_records(self, batch: Sequence[Any]) -> None:
        if not self.isVisibleTo(self.parentWidget()) and any(
            getattr(record, "status", None) in TRAINING_STATUSES for record in batch
        ):
            self.setVisible(True)

    def retranslate(self) -> None:
        text = gettext("Training data is shown. This is not a real situation.")
        self._label.setText(f"{self._glyph} {gettext(self._msgid)} {self._glyph}   {text}")

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
