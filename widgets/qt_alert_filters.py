"""The alert queue's filter bar: state, priority, category, source and free text."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLineEdit, QWidget

from app.alerts.lifecycle import state_label
from app.alerts.queue_table import OPEN_STATES, QueueFilter
from app.model import AlertState, Category, Priority
from app.terminology import Terminology
from i18n import gettext

ANY = None
SHELVED = "shelved"  # open alerts including shelved ones, to find and unshelve them


class QtAlertFilters(QWidget):
    sig_filter_changed = Signal(object)

    def __init__(self, terminology: Terminology, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.terms = terminology
        self.state = QComboBox(objectName="stateFilter")
        self.priority = QComboBox(objectName="priorityFilter")
        self.category = QComboBox(objectName="categoryFilter")
        self.source = QComboBox(objectName="sourceFilter")
        self.text = QLineEdit(objectName="textFilter", clearButtonEnabled=True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for widget in (self.state, self.priority, self.category, self.source):
            layout.addWidget(widget)
            widget.currentIndexChanged.connect(self._changed)
        layout.addWidget(self.text, 1)
        self.text.textChanged.connect(self._changed)
        self._sources: list[str] = []
        self.retranslate()

    def set_sources(self, sources: list[str]) -> None:
        if sources != self._sources:
            self._sources = sources
            self._fill(
                self.source, [(gettext("Any source"), ANY)] + [(s, frozenset({s})) for s in sources]
            )

    def current(self) -> QueueFilter:
        states = self.state.currentData()
        shelved = states == SHELVED
        return QueueFilter(
            states=OPEN_STATES if shelved else states,
            priorities=self.priority.currentData(),
            categories=self.category.currentData(),
            sources=self.source.currentData(),
            text=self.text.text(),
            include_shelved=shelved,
        )

    def retranslate(self) -> None:
        states = [
            (gettext("Open alerts"), OPEN_STATES),
            (gettext("Shelved alerts"), SHELVED),
            (gettext("All states"), ANY),
        ] + [(state_label(s)[:1].upper() + state_label(s)[1:], frozenset({s})) for s in AlertState]
        self._fill(self.state, states)
        self._fill(
            self.priority,
            [(gettext("Any priority"), ANY)]
            + [(f"P{int(p)} {self.terms.priority(p).name}", frozenset({p})) for p in Priority]
            + [(gettext("P1 and P2"), frozenset({Priority.P1, Priority.P2}))],
        )
        self._fill(
            self.category,
            [(gettext("Any category"), ANY)]
            + [(self.terms.category_name(c), frozenset({c})) for c in Category],
        )
        self._fill(
            self.source,
            [(gettext("Any source"), ANY)] + [(s, frozenset({s})) for s in self._sources],
        )
        self.text.setPlaceholderText(gettext("Search headline, description, sender"))

    def _fill(self, box: QComboBox, entries: list[tuple[str, object]]) -> None:
        """Re-fills a box keeping the chosen entry (by its position)."""
        chosen = max(box.currentIndex(), 0)
        box.blockSignals(True)
        box.clear()
        for text, value in entries:
            box.addItem(text, value)
        box.setCurrentIndex(min(chosen, box.count() - 1))
        box.blockSignals(False)

    def _changed(self) -> None:
        self.sig_filter_changed.emit(self.current())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.LanguageChange:
            self.retranslate()
        super().changeEvent(event)
