"""A small view of who drives the conversation: influencers, spreaders and communities.

Authors are pseudonyms; the view shows a handle only beside a pseudonym revealed to the
signed-in person under a granted unmask request, and only while the grant lasts. It lists, it
does not draw a graph: in a control room the question is "who is amplifying this", and a ranked
list answers it at a glance.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QTreeWidget, QTreeWidgetItem, QWidget

from i18n import format_decimal, gettext, isolate, ngettext

SHOWN = 5


class QtAuthorNetwork(QTreeWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("authorNetwork")
        self.setColumnCount(2)
        self.network: dict[str, Any] = {}
        self.revealed: dict[str, str] = {}  # pseudonym → handle, while a grant lasts
        self.retranslate()

    def set_revealed(self, revealed: dict[str, str]) -> None:
        self.revealed = dict(revealed)
        self._fill()

    def show_network(self, network: dict[str, Any]) -> None:
        self.network = network
        self._fill()

    def retranslate(self) -> None:
        self.setHeaderLabels([gettext("Authors"), gettext("Score")])
        self._fill()

    def _fill(self) -> None:
        self.clear()
        network = self.network
        if not network:
            QTreeWidgetItem(self, [gettext("No author network yet.")])
            return
        self._ranked(gettext("Influencers"), network.get("influencers", []))
        self._ranked(gettext("Spreaders"), network.get("spreaders", []))
        communities = QTreeWidgetItem(self, [gettext("Communities")])
        for members in network.get("communities", [])[:SHOWN]:
            label = ngettext("{count} author", "{count} authors", len(members))
            item = QTreeWidgetItem(communities, [label.format(count=len(members))])
            item.setToolTip(0, "\n".join(members[:20]))
        self.expandAll()
        self.resizeColumnToContents(0)

    def _ranked(self, title: str, ranked: list[dict[str, Any]]) -> None:
        group = QTreeWidgetItem(self, [title])
        for entry in ranked[:SHOWN]:
            author = str(entry["author"])
            handle = self.revealed.get(author)
            if handle is not None:
                author = gettext("{pseudonym} · revealed: {handle}").format(
                    pseudonym=isolate(author), handle=isolate(handle)
                )
            QTreeWidgetItem(group, [author, format_decimal(round(entry["score"], 3))])
