"""The incidents as a table model: the ones still open first, the most urgent at the top.

Incidents are few (tens a day), so rows are kept as a plain sorted list and the model is
reset on each change; nothing here touches the store.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont, QPixmap

from app.incidents.messages import IncidentChanged
from app.incidents.states import CLOSED, state_title
from app.model import Priority, Status
from app.terminology import Terminology
from i18n import format_datetime, format_decimal, format_time, lazy_gettext

ModelIndex = QModelIndex | QPersistentModelIndex
VIEW_ROLE = Qt.ItemDataRole.UserRole + 1

COLUMNS = (
    ("priority", lazy_gettext("Priority")),
    ("title", lazy_gettext("Title")),
    ("state", lazy_gettext("State")),
    ("opened", lazy_gettext("Opened")),
    ("alerts", lazy_gettext("Alerts")),
    ("exercise", lazy_gettext("Exercise")),
)
COLUMN = {key: number for number, (key, _title) in enumerate(COLUMNS)}


class IncidentListModel(QAbstractTableModel):
    def __init__(self, terminology: Terminology, parent: Any = None) -> None:
        super().__init__(parent)
        self.terms = terminology
        self.views: dict[str, IncidentChanged] = {}
        self._rows: list[IncidentChanged] = []
        self._chips: dict[Priority, QPixmap] = {}

    def apply(self, views: Iterable[IncidentChanged]) -> None:
        """Takes incidents as published; an older version never replaces a newer one."""
        for view in views:
            known = self.views.get(view.incident.identifier)
            if known is None or known.incident.version <= view.incident.version:
                self.views[view.incident.identifier] = view
        self.beginResetModel()
        self._rows = sorted(self.views.values(), key=_order)
        self.endResetModel()

    def view_at(self, row: int) -> IncidentChanged:
        return self._rows[row]

    def row_of(self, identifier: str) -> int | None:
        return next(
            (n for n, v in enumerate(self._rows) if v.incident.identifier == identifier), None
        )

    # --- Qt model ------------------------------------------------------------------------
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

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        view = self._rows[index.row()]
        incident, column = view.incident, COLUMNS[index.column()][0]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(view, column)
        if role == VIEW_ROLE:
            return view
        if role == Qt.ItemDataRole.DecorationRole and column == "priority":
            return self._chip(incident.priority)
        if role == Qt.ItemDataRole.ToolTipRole:
            return incident.description or incident.title
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == "exercise":
                return QColor(self.terms.exercise.colour)
            if incident.state == CLOSED:
                return QColor("#8a939c")
        if role == Qt.ItemDataRole.FontRole and (
            column == "exercise" or (column == "title" and incident.state != CLOSED)
        ):
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "alerts":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, view: IncidentChanged, column: str) -> str:
        incident = view.incident
        if column == "priority":
            return f"P{int(incident.priority)}"
        if column == "title":
            return incident.title
        if column == "state":
            return state_title(incident.state)
        if column == "opened":
            return _when(incident.opened)
        if column == "alerts":
            return format_decimal(len(incident.alert_ids))
        if incident.status is Status.EXERCISE:
            return f"{self.terms.exercise.glyph} {self.terms.exercise.name}"
        return ""

    def _chip(self, priority: Priority) -> QPixmap:
        if priority not in self._chips:
            chip = QPixmap(12, 12)
            chip.fill(QColor(self.terms.priority(priority).colour))
            self._chips[priority] = chip
        return self._chips[priority]

    def retranslate(self) -> None:
        self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, len(COLUMNS) - 1)
        if self._rows:
            self.dataChanged.emit(
                self.index(0, 0), self.index(len(self._rows) - 1, len(COLUMNS) - 1)
            )


def _order(view: IncidentChanged) -> tuple[bool, int, float]:
    incident = view.incident
    return (incident.state == CLOSED, int(incident.priority), -incident.opened.timestamp())


def _when(value: datetime) -> str:
    """Today's incidents by time alone; older ones with their date."""
    local = value.astimezone()
    if local.date() == datetime.now(local.tzinfo).date():
        return format_time(local, "short")
    return format_datetime(local, "short")
