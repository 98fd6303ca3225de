"""The REVIEW banner: nobody may mistake the console as it was for the console as it is.

While the timeline reviews a past moment (``ReviewState`` with a time), every panel shows that
moment, and this full-width strip says so above all of them, with the moment and a way back.
It has its own colour, apart from the EXERCISE banner's and from the priority colours, so the
two banners can show together and still be told apart. It is hidden as soon as the review
service answers ``ReviewState(None)``: the banner shows what the panels show, never a guess.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QEvent, Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QToolBar, QWidget

from app.messages import ReviewCursor
from app.timeline.messages import ReviewState
from i18n import format_datetime, gettext, isolate
from widgets.facade import PanelContext

# Teal: not a priority colour (red, orange, yellow, blue), not the exercise purple.
REVIEW_COLOUR = "#00695c"
REVIEW_TEXT = "#ffffff"


def review_moment(moment: datetime) -> str:
    """The reviewed moment as every panel writes it: local date and time, kept in its own
    direction inside a right-to-left sentence."""
    return isolate(format_datetime(moment.astimezone(), "medium"))


class QtReviewBanner(QToolBar):
    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("reviewBanner")
        self.setMovable(False)
        self.setFloatable(False)
        self.toggleViewAction().setVisible(False)  # not something an operator may hide
        self.setStyleSheet("QToolBar#reviewBanner { border: none; padding: 0; spacing: 0; }")
        self.context = context
        self.moment: datetime | None = None
        strip = QWidget(self, objectName="reviewBannerStrip")
        strip.setStyleSheet(f"QWidget#reviewBannerStrip {{ background:{REVIEW_COLOUR}; }}")
        strip.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.label = QLabel(strip, objectName="reviewBannerText")
        self.label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setStyleSheet(
            f"background:{REVIEW_COLOUR}; color:{REVIEW_TEXT}; font-weight:bold; font-size:15px;"
            "padding:6px;"  # no letter-spacing: it breaks the joining of Arabic letters
        )
        self.live_button = QPushButton(strip, objectName="reviewBackToLive")
        self.live_button.setStyleSheet(
            f"QPushButton {{ background:{REVIEW_TEXT}; color:{REVIEW_COLOUR}; font-weight:bold;"
            " padding:4px 14px; border-radius:3px; }"
        )
        self.live_button.clicked.connect(self.back_to_live)
        layout = QHBoxLayout(strip)
        layout.setContentsMargins(6, 2, 6, 2)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.live_button)
        self.addWidget(strip)
        self._subscription = context.subscribe(ReviewState, self._on_review)
        self.retranslate()
        self.setVisible(False)

    def _on_review(self, batch: Sequence[ReviewState]) -> None:
        self.moment = batch[-1].time
        self.retranslate()
        self.setVisible(self.moment is not None)

    def setVisible(self, visible: bool) -> None:
        """Shown exactly while reviewing: a restored window layout (which remembers toolbars)
        must not bring the banner back over a live console."""
        super().setVisible(visible and getattr(self, "moment", None) is not None)

    def back_to_live(self) -> None:
        """Asks the review service for live; the banner goes when it answers."""
        self.context.publish(ReviewCursor(None))

    def retranslate(self) -> None:
        self.live_button.setText(gettext("Back to live"))
        self.live_button.setToolTip(gettext("Leave the review and show the console as it is now"))
        if self.moment is None:
            self.label.setText("")
            return
        self.label.setText(
            gettext("REVIEW — showing the console as it was at {time}").format(
                time=review_moment(self.moment)
            )
        )

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)

    def stop(self) -> None:
        self._subscription.cancel()
