"""The timeline's tool bar: live or reviewing state, zoom, presets, go to, bookmarks.

While the console is reviewing a moment the whole bar turns amber, says which moment, and the
Live button turns red: an operator glancing at the wall must never mistake the past for now.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QDateTime, QLocale, QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import (
    QDateTimeEdit,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QToolButton,
    QWidget,
)

from i18n import N_, format_datetime, format_decimal, gettext, isolate

STATE_MIN_WIDTH = 90
PRESETS = ((900, N_("15 min")), (3600, N_("1 h")), (86400, N_("24 h")))
STYLE = """
QFrame#timelineBar[reviewing="true"] { background: #5c4400; }
QFrame#timelineBar[reviewing="true"] QLabel#timelineState { color: #ffe9a8; font-weight: bold; }
QLabel#timelineState { color: #66bb6a; font-weight: bold; padding: 0 6px; }
QFrame#timelineBar[reviewing="true"] QPushButton#timelineLive {
    background: #c62828; color: #ffffff; font-weight: bold; padding: 3px 14px;
    border: 1px solid #ffcdd2; }
QPushButton#timelineLive { padding: 2px 10px; }
QLabel#timelineNotice { color: #ffb300; }
QFrame#timelineBar QLabel, QFrame#timelineBar QToolButton { background: transparent; }
"""


class QtTimelineBar(QFrame):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("timelineBar")
        self.setStyleSheet(STYLE)
        self.live = QPushButton(self, objectName="timelineLive")
        self.state = QLabel(self, objectName="timelineState")
        # The state text (a long date in review) gives way first when the dock is narrow; its
        # tooltip keeps the whole text. Without this the bar alone widened the window.
        self.state.setMinimumWidth(STATE_MIN_WIDTH)
        self.zoom_out = QToolButton(self, text="−", autoRaise=True)
        self.zoom_in = QToolButton(self, text="+", autoRaise=True)
        self.presets = {seconds: QToolButton(self, autoRaise=True) for seconds, _ in PRESETS}
        self.go_to_label = QLabel(self)
        self.go_to_edit = QDateTimeEdit(self, calendarPopup=True)
        self.go_to_edit.setObjectName("timelineGoTo")
        self.go_to_label.setBuddy(self.go_to_edit)
        self.go = QToolButton(self)
        self.notice = QLabel(self, objectName="timelineNotice")
        self.notice.hide()
        self.bookmark = QToolButton(self)
        self.bookmarks = QToolButton(self, checkable=True)
        self._count = 0
        self._moment: datetime | None = None
        self._following = True
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 2, 4, 2)
        for widget in (self.live, self.state, self.zoom_out, self.zoom_in, *self.presets.values()):
            layout.addWidget(widget)
        layout.addSpacing(8)
        for widget in (self.go_to_label, self.go_to_edit, self.go, self.notice):
            layout.addWidget(widget)
        layout.addStretch(1)
        layout.addWidget(self.bookmark)
        layout.addWidget(self.bookmarks)
        self.set_go_to(datetime.now().astimezone())
        self._always = (self.live, self.state, self.zoom_out, self.zoom_in, self.notice)
        self._always += (self.bookmark, self.bookmarks)
        # Given up in this order when the dock is narrow: "Go to", then the presets.
        self._optional = (
            tuple(self.presets.values()),
            (self.go_to_label, self.go_to_edit, self.go),
        )

    def minimumSizeHint(self) -> QSize:
        """Only what is always shown: a bar that asked for all its buttons would widen a
        1280-pixel window by itself when the timeline shares the bottom with other panels."""
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), self._width_of(self._always) + 16), hint.height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit(event.size().width())

    def _fit(self, width: int) -> None:
        spare = width - self._width_of(self._always) - 16
        for group in self._optional:
            shown = self._width_of(group) <= spare
            for widget in group:
                widget.setVisible(shown)
            if shown:
                spare -= self._width_of(group)

    def _width_of(self, widgets: tuple[QWidget, ...]) -> int:
        spacing = max(self.layout().spacing(), 0)
        return sum(
            (STATE_MIN_WIDTH if w is self.state else w.sizeHint().width()) + spacing
            for w in widgets
            if w is not self.notice or not w.isHidden()
        )

    def show_state(self, moment: datetime | None, following: bool) -> None:
        self._moment, self._following = moment, following
        reviewing = moment is not None
        if self.property("reviewing") != reviewing:
            self.setProperty("reviewing", reviewing)
            self.style().unpolish(self)
            self.style().polish(self)
            for child in (self.state, self.live):
                child.style().unpolish(child)
                child.style().polish(child)
        if reviewing:
            when = isolate(format_datetime(moment.astimezone(), "medium"))
            self.state.setText(gettext("Reviewing {time}").format(time=when))
            self.live.setToolTip(gettext("Back to live (Esc)"))
        elif following:
            self.state.setText("● " + gettext("Live"))
            self.live.setToolTip(gettext("Follow now"))
        else:
            self.state.setText(gettext("Live, view not following now"))
            self.live.setToolTip(gettext("Follow now"))
        self.state.setToolTip(self.state.text())

    def set_go_to(self, moment: datetime) -> None:
        local = moment.astimezone()
        self.go_to_edit.setDateTime(QDateTime(local.date(), local.time().replace(microsecond=0)))

    def go_to_time(self) -> datetime:
        """The field's local date and time as an aware instant."""
        return self.go_to_edit.dateTime().toPython().astimezone()

    def show_bookmark_count(self, count: int) -> None:
        self._count = count
        self.bookmarks.setText(gettext("Bookmarks ({count})").format(count=format_decimal(count)))

    def show_notice(self, text: str) -> None:
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    def retranslate(self) -> None:
        self.live.setText(gettext("Live"))
        self.zoom_in.setToolTip(gettext("Zoom in (+, mouse wheel)"))
        self.zoom_out.setToolTip(gettext("Zoom out (-, mouse wheel)"))
        for seconds, label in PRESETS:
            self.presets[seconds].setText(gettext(label))
            self.presets[seconds].setToolTip(gettext("Show the last {span}, following now").format(
                span=gettext(label)))  # fmt: skip
        self.go_to_label.setText(gettext("Go to"))
        self.go.setText(gettext("Go"))
        self.go.setToolTip(gettext("Review the console at this date and time"))
        locale = QLocale()
        self.go_to_edit.setLocale(locale)
        self.go_to_edit.setDisplayFormat(locale.dateTimeFormat(QLocale.FormatType.ShortFormat))
        self.bookmark.setText(gettext("Bookmark"))
        self.bookmark.setToolTip(gettext("Bookmark the cursor's moment, or now (B)"))
        self.bookmarks.setToolTip(gettext("Show the list of bookmarks"))
        self.show_bookmark_count(self._count)
        self.show_state(self._moment, self._following)
