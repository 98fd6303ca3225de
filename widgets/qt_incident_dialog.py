"""Opening an incident from alerts: the queue's selection or a fusion candidate's members.

The title is asked for, prefilled with the most urgent alert's headline (the newest among
equals), because that is nearly always what the commander would type.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QInputDialog, QWidget

from app.incidents.messages import OpenIncident
from app.messages import Selection
from app.model import Alert
from i18n import gettext, ngettext
from widgets.facade import PanelContext


def lead_alert(alerts: Sequence[Alert]) -> Alert | None:
    """The most urgent alert, the newest among equals."""
    return min(alerts, key=lambda a: (int(a.priority), -a.sent.timestamp()), default=None)


def ask_title(parent: QWidget, alerts: Sequence[Alert]) -> str | None:
    lead = lead_alert(alerts)
    title, ok = QInputDialog.getText(
        parent,
        gettext("Create incident"),
        ngettext(
            "Title of the incident made of {count} alert:",
            "Title of the incident made of {count} alerts:",
            len(alerts),
        ).format(count=len(alerts)),
        text=lead.headline if lead is not None else "",
    )
    title = title.strip()
    return title if ok and title else None


def create_incident(
    parent: QWidget,
    context: PanelContext,
    alerts: Sequence[Alert],
    fusion_key: str | None = None,
    origin: str = "",
) -> OpenIncident | None:
    """Asks for the title and sends the command; the incidents panel selects the incident
    when the core has stored it. ``None`` when the operator cancelled."""
    if not alerts:
        return None
    title = ask_title(parent, alerts)
    if title is None:
        return None
    command = OpenIncident(
        title, tuple(a.identifier for a in alerts), context.operator, fusion_key=fusion_key
    )
    context.commands(command)
    context.publish(Selection("incident", command.identifier, origin=origin))
    return command
