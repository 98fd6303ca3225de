"""An incident's tasks: the SOP checklist steps of each kind of event among its alerts, then
the tasks people added. Ticking one asks the core; the tick shown is the one stored, so two
people ticking the same step see who was first.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.alerts.sop import FALLBACK
from app.incidents.sop_tasks import checklist_of
from app.model import IncidentTask
from app.terminology import Terminology
from i18n import format_time, gettext

TASK_ROLE = Qt.ItemDataRole.UserRole + 1


class QtIncidentTasks(QWidget):
    sig_done = Signal(str, bool)  # task id, done
    sig_add = Signal(str)  # title

    def __init__(self, terminology: Terminology, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.terms = terminology
        self.tasks: tuple[IncidentTask, ...] = ()
        self.tree = QTreeWidget(objectName="incidentTasks")
        self.tree.setColumnCount(2)
        self.tree.header().setStretchLastSection(False)
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setWordWrap(True)
        self.title = QLineEdit(objectName="incidentTaskTitle", clearButtonEnabled=True)
        self.add = QPushButton(objectName="incidentAddTask")
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(self.title, 1)
        bar.addWidget(self.add)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree, 1)
        layout.addLayout(bar)
        self.tree.itemChanged.connect(self._on_item)
        self.title.returnPressed.connect(self._on_add)
        self.add.clicked.connect(self._on_add)
        self.retranslate()

    def show_tasks(self, tasks: Sequence[IncidentTask]) -> None:
        self.tasks = tuple(tasks)
        self.tree.blockSignals(True)
        self.tree.clear()
        for key, group in groupby(self.tasks, key=checklist_of):
            heading = QTreeWidgetItem([self._heading(key)])
            heading.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = heading.font(0)
            font.setBold(True)
            heading.setFont(0, font)
            self.tree.addTopLevelItem(heading)
            for task in group:
                heading.addChild(self._item(task))
        self.tree.expandAll()
        self.tree.blockSignals(False)

    def _heading(self, key: str | None) -> str:
        if key is None:
            return gettext("Other tasks")
        if key == FALLBACK:
            return gettext("General checklist")
        return gettext("Checklist: {event}").format(event=self.terms.event_type(key).name)

    def _item(self, task: IncidentTask) -> QTreeWidgetItem:
        # SOP steps are stored in English and shown in the reader's language.
        title = gettext(task.title) if task.kind == "sop" else task.title
        item = QTreeWidgetItem([title, self._done_text(task)])
        item.setData(0, TASK_ROLE, task.identifier)
        item.setToolTip(0, title)
        item.setFlags(
            Qt.ItemFlag.ItemIsEnabled
            | Qt.ItemFlag.ItemIsUserCheckable
            | Qt.ItemFlag.ItemIsSelectable
        )
        item.setCheckState(0, Qt.CheckState.Checked if task.done else Qt.CheckState.Unchecked)
        return item

    @staticmethod
    def _done_text(task: IncidentTask) -> str:
        if task.done is None:
            return ""
        return gettext("{name}, {time}").format(
            name=task.done_by or "", time=format_time(task.done.astimezone(), "short")
        )

    def item_of(self, task_id: str) -> QTreeWidgetItem | None:
        for top in range(self.tree.topLevelItemCount()):
            heading = self.tree.topLevelItem(top)
            for n in range(heading.childCount()):
                if heading.child(n).data(0, TASK_ROLE) == task_id:
                    return heading.child(n)
        return None

    def _on_item(self, item: QTreeWidgetItem, column: int) -> None:
        task_id = item.data(0, TASK_ROLE)
        if task_id is None or column != 0:
            return
        self.sig_done.emit(task_id, item.checkState(0) == Qt.CheckState.Checked)

    def _on_add(self) -> None:
        title = self.title.text().strip()
        if title:
            self.sig_add.emit(title)
            self.title.clear()

    def retranslate(self) -> None:
        self.tree.setHeaderLabels([gettext("Task"), gettext("Done by")])
        self.title.setPlaceholderText(gettext("New task…"))
        self.add.setText(gettext("Add task"))
        self.show_tasks(self.tasks)
