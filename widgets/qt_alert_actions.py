"""The alert queue's triage actions as ``QAction``s: one key and one context-menu entry each,
shown only to people whose role allows them.

Actions rather than bare shortcuts so that the queue's context menu lists what the operator
can do, and so that hiding an action (no permission) also takes its key away: the menu and the
keyboard never disagree about what is allowed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence

from app.alerts.lifecycle import Action
from app.security.model import Permission
from i18n import lazy_gettext
from i18n.catalogs import LazyString

if TYPE_CHECKING:
    from widgets.qt_alerts import QtAlertsPanel

# What each alert action needs (the policy's words; see app/security/model.py).
NEEDS: dict[Action, Permission] = {
    Action.ACKNOWLEDGE: Permission.ACKNOWLEDGE,
    Action.DISMISS: Permission.DISMISS,
    Action.ESCALATE: Permission.ESCALATE,
    Action.START: Permission.TRIAGE,
    Action.RESOLVE: Permission.TRIAGE,
    Action.ASSIGN: Permission.TRIAGE,
    Action.SHELVE: Permission.TRIAGE,
    Action.UNSHELVE: Permission.TRIAGE,
    Action.REOPEN: Permission.TRIAGE,
}
TEXTS: dict[Action, LazyString] = {
    Action.ACKNOWLEDGE: lazy_gettext("Acknowledge"),
    Action.START: lazy_gettext("Start work"),
    Action.RESOLVE: lazy_gettext("Resolve"),
    Action.ESCALATE: lazy_gettext("Escalate"),
    Action.DISMISS: lazy_gettext("Dismiss…"),
    Action.SHELVE: lazy_gettext("Shelve…"),
    Action.UNSHELVE: lazy_gettext("Unshelve"),
    Action.ASSIGN: lazy_gettext("Assign…"),
}
KEYS: dict[Action, str] = {
    Action.ACKNOWLEDGE: "A",
    Action.START: "S",
    Action.RESOLVE: "R",
    Action.ESCALATE: "E",
    Action.DISMISS: "D",
    Action.SHELVE: "H",
    Action.UNSHELVE: "U",
    Action.ASSIGN: "G",
}


def add_alert_actions(panel: QtAlertsPanel) -> dict[Action, QAction]:
    """Adds the triage actions to the queue table (its context menu lists them) and guards
    each with its permission through the panel's gate."""
    asking: dict[Action, Callable[[], None]] = {
        Action.DISMISS: panel.dismiss_selected,
        Action.SHELVE: panel.shelve_selected,
        Action.ASSIGN: panel.assign_selected,
    }
    actions: dict[Action, QAction] = {}
    for action, key in KEYS.items():
        item = QAction(panel.table)
        item.setObjectName(f"alertAction-{action.value}")
        item.setShortcut(QKeySequence(key))
        item.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        slot = asking.get(action)
        if slot is not None:
            item.triggered.connect(slot)
        else:
            item.triggered.connect(lambda _=False, a=action: panel.command(a))
        panel.table.addAction(item)
        panel.gate.guard(item, NEEDS[action])
        actions[action] = item
    return actions


def retranslate_alert_actions(actions: dict[Action, QAction]) -> None:
    for action, item in actions.items():
        item.setText(str(TEXTS[action]))
