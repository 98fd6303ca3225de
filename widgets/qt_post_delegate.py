"""Draws a post's text with its matched terms highlighted, never through HTML.

Post text comes from strangers: it is laid out with ``QTextLayout`` as plain text, and the
highlights are format ranges over the analyzer's character offsets, so markup in a post stays
visible characters. Each post takes its own direction from its first strong character, so an
Arabic post reads right to left inside a left-to-right console and the other way round.
"""

from __future__ import annotations

import unicodedata

from PySide6.QtCore import QModelIndex, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QTextCharFormat, QTextLayout, QTextOption
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from widgets.qt_social_model import ITEM_ROLE

HIGHLIGHT = {"threat": "#b71c1c", "hate": "#6a1b9a"}
OTHER_HIGHLIGHT = "#37474f"
MAX_DRAWN_CHARS = 600  # one line of a table row; the full text is in the tooltip and details


def text_direction(text: str) -> Qt.LayoutDirection:
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return Qt.LayoutDirection.RightToLeft
        if kind == "L":
            return Qt.LayoutDirection.LeftToRight
    return Qt.LayoutDirection.LeftToRight


def highlight_ranges(analysis: dict, length: int) -> list[QTextLayout.FormatRange]:
    ranges = []
    for match in analysis.get("explanation", []):
        start, end = int(match.get("start", -1)), int(match.get("end", -1))
        if not 0 <= start < end <= length:
            continue
        fmt = QTextCharFormat()
        group = str(match.get("score") or "") if match.get("counted", True) else ""
        # Terms that raised a score are coloured by score; context terms that did not count
        # (a place, "everyone come" with no threat beside it) are only underlaid in grey.
        fmt.setBackground(QColor(HIGHLIGHT.get(group, OTHER_HIGHLIGHT)))
        fmt.setForeground(QColor("#ffffff"))
        item = QTextLayout.FormatRange()
        item.start, item.length, item.format = start, end - start, fmt
        ranges.append(item)
    return ranges


class QtPostDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        item = index.data(ITEM_ROLE)
        if item is None:
            super().paint(painter, option, index)
            return
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawPrimitive(QStyle.PrimitiveElement.PE_PanelItemViewItem, option, painter)
        text = item.post.text[:MAX_DRAWN_CHARS].replace("\n", " ")
        layout = QTextLayout(text, option.font)
        text_option = QTextOption()
        text_option.setTextDirection(text_direction(text))
        text_option.setWrapMode(QTextOption.WrapMode.NoWrap)
        layout.setTextOption(text_option)
        layout.setFormats(highlight_ranges(item.analysis, len(text)))
        layout.beginLayout()
        line = layout.createLine()
        line.setLineWidth(option.rect.width() - 8)
        layout.endLayout()
        painter.save()
        painter.setClipRect(option.rect)
        painter.setPen(option.palette.text().color())
        top = option.rect.top() + (option.rect.height() - line.height()) / 2
        layout.draw(painter, QPointF(option.rect.left() + 4, top), [], QRectF(option.rect))
        painter.restore()
