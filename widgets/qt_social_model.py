"""The social feed's rows: analysed posts, newest first, bounded, filtered by the operator."""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QColor, QFont

from app.security.model import RevealedAuthor
from app.social.messages import PostAnalysis
from i18n import format_decimal, format_time, gettext, isolate, lazy_gettext

ModelIndex = QModelIndex | QPersistentModelIndex
MAX_ROWS = 2_000  # the feed shows the recent flow; the store keeps everything
ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMNS = (
    ("time", lazy_gettext("Time")),
    ("language", lazy_gettext("Language")),
    ("author", lazy_gettext("Author")),
    ("threat", lazy_gettext("Threat")),
    ("hate", lazy_gettext("Hate")),
    ("text", lazy_gettext("Post")),
)
COLUMN = {key: number for number, (key, _title) in enumerate(COLUMNS)}


class SocialFeedModel(QAbstractTableModel):
    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: deque[PostAnalysis] = deque(maxlen=MAX_ROWS)
        self._index: dict[str, PostAnalysis] = {}
        # Handles revealed under a granted unmask request, by pseudonym (see RevealedAuthors).
        self.revealed: dict[str, RevealedAuthor] = {}

    def add(self, items: Sequence[PostAnalysis]) -> None:
        """New posts go on top; a post analysed again replaces its row."""
        self.beginResetModel()
        for item in items:
            known = self._index.get(item.post.identifier)
            if known is not None:
                self._rows.remove(known)
            if len(self._rows) == MAX_ROWS:
                self._index.pop(self._rows[-1].post.identifier, None)
            self._rows.appendleft(item)
            self._index[item.post.identifier] = item
        self.endResetModel()

    def set_revealed(self, revealed: dict[str, RevealedAuthor]) -> None:
        self.revealed = dict(revealed)
        if self._rows:
            column = COLUMN["author"]
            self.dataChanged.emit(self.index(0, column), self.index(len(self._rows) - 1, column))

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return str(COLUMNS[section][1])
        return None

    def item_at(self, row: int) -> PostAnalysis:
        return self._rows[row]

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item = self._rows[index.row()]
        column = COLUMNS[index.column()][0]
        if role == ITEM_ROLE:
            return item
        revealed = self.revealed.get(item.post.author) if column == "author" else None
        if role == Qt.ItemDataRole.DisplayRole:
            return _text(item, column) if revealed is None else _revealed_text(item, revealed)
        if role == Qt.ItemDataRole.ToolTipRole:
            if revealed is not None:
                return gettext("Revealed to you until {time}; hidden again then.").format(
                    time=format_time(revealed.until.astimezone(), "short")
                )
            return _explanation(item)
        if revealed is not None and role == Qt.ItemDataRole.ForegroundRole:
            return QColor("#c62828")
        if revealed is not None and role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in ("threat", "hate"):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


def _text(item: PostAnalysis, column: str) -> str:
    analysis = item.analysis
    if column == "time":
        return format_time(item.post.time.astimezone(), "short")
    if column == "language":
        return str(analysis.get("language") or item.post.language or "")
    if column == "author":
        return f"{item.post.platform} · {item.post.author}"
    if column in ("threat", "hate"):
        return format_decimal(round(float(analysis.get(f"{column}_score", 0.0)), 2))
    return item.post.text


def _revealed_text(item: PostAnalysis, revealed: RevealedAuthor) -> str:
    """The pseudonym stays; the handle is added beside it and marked as revealed."""
    return gettext("{platform} · {pseudonym} · revealed: {handle}").format(
        platform=item.post.platform,
        pseudonym=isolate(item.post.author),
        handle=isolate(revealed.handle),
    )


def _explanation(item: PostAnalysis) -> str:
    lines = [
        f"{match.get('category', '')}: {match.get('text', '')}"
        for match in item.analysis.get("explanation", [])
    ]
    return "\n".join(dict.fromkeys(lines))


class SocialFilter(QSortFilterProxyModel):
    """Language, minimum score and words to look for, applied as the operator types."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.language = ""
        self.min_score = 0.0
        self.words = ""

    def set_filter(self, language: str, min_score: float, words: str) -> None:
        self.beginFilterChange()
        self.language, self.min_score, self.words = language, min_score, words.casefold()
        self.endFilterChange()

    def filterAcceptsRow(self, row: int, parent: ModelIndex) -> bool:
        model = self.sourceModel()
        assert isinstance(model, SocialFeedModel)
        item = model.item_at(row)
        analysis = item.analysis
        if self.language and (analysis.get("language") or item.post.language) != self.language:
            return False
        score = max(float(analysis.get("threat_score", 0)), float(analysis.get("hate_score", 0)))
        if score < self.min_score:
            return False
        return not self.words or self.words in item.post.text.casefold()
