"""Social feed panel: analysed posts as they arrive, with their scores and matched terms.

Authors are pseudonyms (ingest replaced the handles). Matched terms are highlighted in the text
itself, drawn as text; the operator filters by language, score and words, and double-clicks a
post to see it on the map when it has a place.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QMenu,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.messages import Selection
from app.security.model import Permission, UnmaskKind
from app.social.messages import AuthorNetworkView, PostAnalysis, SocialSnapshot
from i18n import N_, gettext, lazy_gettext
from widgets.facade import PanelContext
from widgets.permission_gate import PermissionGate
from widgets.qt_author_network import QtAuthorNetwork
from widgets.qt_panel import QtPanel
from widgets.qt_post_delegate import QtPostDelegate
from widgets.qt_social_model import COLUMN, ITEM_ROLE, SocialFeedModel, SocialFilter
from widgets.qt_social_reveal import RevealedAuthors
from widgets.qt_unmask_dialog import QtUnmaskDialog

LANGUAGE_NAMES = {
    "en": N_("English"),
    "nb": N_("Norwegian"),
    "it": N_("Italian"),
    "fr": N_("French"),
    "ar": N_("Arabic"),
}
SCORES = ((0.0, N_("Any score")), (0.3, N_("Score 0.3 or more")), (0.6, N_("Score 0.6 or more")))


class QtSocialPanel(QtPanel):
    ID = "social"
    TITLE = lazy_gettext("Social feed")
    DEFAULT_AREA = Qt.DockWidgetArea.BottomDockWidgetArea
    TABIFY_WITH = "sensors"

    def __init__(self, context: PanelContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        self.model = SocialFeedModel(self)
        self.proxy = SocialFilter(self)
        self.proxy.setSourceModel(self.model)
        self.language = QComboBox(self)
        self.score = QComboBox(self)
        self.search = QLineEdit(self, clearButtonEnabled=True)
        self.table = QTableView(self)
        self._setup_table()
        bar = QHBoxLayout()
        for widget in (self.language, self.score, self.search):
            bar.addWidget(widget)
        self.network = QtAuthorNetwork(self)
        split = QSplitter(self)
        split.addWidget(self.table)
        split.addWidget(self.network)
        split.setStretchFactor(0, 4)
        split.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(split, 1)
        for combo in (self.language, self.score):
            combo.currentIndexChanged.connect(self._apply_filter)
        self.search.textChanged.connect(self._apply_filter)
        self.table.doubleClicked.connect(self._on_double_click)
        self.gate = PermissionGate(context, self)
        self.revealed = RevealedAuthors(context, self)
        self.revealed.sig_changed.connect(self._on_revealed)
        self.reveal_dialogs: dict[str, QtUnmaskDialog] = {}  # open ones, by pseudonym
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_menu)
        self._subscriptions = [
            context.subscribe(PostAnalysis, self.model.add),
            context.subscribe(SocialSnapshot, self._on_snapshot),
            context.subscribe(AuthorNetworkView, self._on_network),
        ]
        self.retranslate()

    def _setup_table(self) -> None:
        table = self.table
        table.setModel(self.proxy)
        table.setItemDelegateForColumn(COLUMN["text"], QtPostDelegate(table))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.verticalHeader().setVisible(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMN["text"], QHeaderView.ResizeMode.Stretch)

    def _on_snapshot(self, batch: Sequence[SocialSnapshot]) -> None:
        for snapshot in batch:
            self.model.add(snapshot.items)

    def _on_network(self, batch: Sequence[AuthorNetworkView]) -> None:
        self.network.show_network(batch[-1].network)

    def _apply_filter(self) -> None:
        self.proxy.set_filter(
            self.language.currentData() or "", self.score.currentData() or 0.0, self.search.text()
        )

    def _on_double_click(self, index: QModelIndex) -> None:
        item = index.data(ITEM_ROLE)
        if item is not None and item.post.point is not None:
            self.context.publish(Selection("post", item.post.identifier, origin=self.ID))

    # --- revealing an author ------------------------------------------------------------------
    def menu_at(self, index: QModelIndex) -> QMenu | None:
        """The post's context menu: "Reveal author…" for people who may unmask, unless the
        author is revealed already. ``None`` when there is nothing to offer."""
        item = index.data(ITEM_ROLE) if index.isValid() else None
        if item is None or not self.gate.allows(Permission.UNMASK):
            return None
        if self.revealed.get(item.post.author) is not None:
            return None
        menu = QMenu(self.table)
        menu.setObjectName("socialPostMenu")
        reveal = menu.addAction(gettext("Reveal author…"))
        reveal.triggered.connect(lambda: self.reveal(item.post.author))
        return menu

    def _on_menu(self, where: QPoint) -> None:
        menu = self.menu_at(self.table.indexAt(where))
        if menu is not None:
            menu.exec(self.table.viewport().mapToGlobal(where))
            menu.deleteLater()

    def reveal(self, pseudonym: str) -> QtUnmaskDialog:
        """Opens (or brings forward) the unmask request for one pseudonym."""
        known = self.reveal_dialogs.get(pseudonym)
        if known is not None and known.isVisible():
            known.raise_()
            return known
        dialog = QtUnmaskDialog(
            self.context, UnmaskKind.AUTHOR, pseudonym, self.gate.user(), parent=self
        )
        dialog.destroyed.connect(lambda _=None, p=pseudonym: self.reveal_dialogs.pop(p, None))
        self.reveal_dialogs[pseudonym] = dialog
        dialog.show()
        return dialog

    def _on_revealed(self) -> None:
        self.model.set_revealed(self.revealed.revealed)
        self.network.set_revealed({p: r.handle for p, r in self.revealed.revealed.items()})

    def retranslate(self) -> None:
        language, score = self.language.currentData(), self.score.currentData()
        for combo in (self.language, self.score):
            combo.blockSignals(True)
            combo.clear()
        self.language.addItem(gettext("All languages"), "")
        for code, name in LANGUAGE_NAMES.items():
            self.language.addItem(gettext(name), code)
        for value, label in SCORES:
            self.score.addItem(gettext(label), value)
        self.language.setCurrentIndex(max(self.language.findData(language or ""), 0))
        self.score.setCurrentIndex(max(self.score.findData(score or 0.0), 0))
        for combo in (self.language, self.score):
            combo.blockSignals(False)
        self.search.setPlaceholderText(gettext("Search posts"))
        self.network.retranslate()
        self.model.headerDataChanged.emit(
            Qt.Orientation.Horizontal, 0, self.model.columnCount() - 1
        )

    def stop(self) -> None:
        for subscription in self._subscriptions:
            subscription.cancel()
        self.revealed.stop()
        self.gate.stop()
        for dialog in list(self.reveal_dialogs.values()):
            dialog.close()
