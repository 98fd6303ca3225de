"""The seven roles as the window shows them: their names, and which layout each opens on.

A layout is an arrangement of panels (``resources/layouts/<name>.json``), not a permission:
the panels themselves are created only when the signed-in person's roles allow them, so a
layout may name panels that a role never gets.
"""

from __future__ import annotations

from app.security.model import Principal
from app.settings import ROLES
from i18n import gettext, isolate, lazy_gettext

ROLE_TITLES = {
    "operator": lazy_gettext("Operator"),
    "supervisor": lazy_gettext("Supervisor"),
    "incident-commander": lazy_gettext("Incident commander"),
    "trainer": lazy_gettext("Trainer"),
    "analyst": lazy_gettext("Analyst"),
    "administrator": lazy_gettext("Administrator"),
    "external-viewer": lazy_gettext("External viewer"),
}

# The layout each role opens on. Supervisors and administrators watch the same floor as the
# operators; analysts, like commanders, work from incidents and the timeline.
ROLE_LAYOUTS = {
    "operator": "operator",
    "supervisor": "operator",
    "administrator": "operator",
    "incident-commander": "commander",
    "analyst": "commander",
    "trainer": "trainer",
    "external-viewer": "viewer",
}
LAYOUTS = ROLES  # the settings' "role" names a layout
FALLBACK_LAYOUT = "operator"


def role_title(role: str) -> str:
    title = ROLE_TITLES.get(role)
    return str(title) if title is not None else role


def layouts_for(principal: Principal | None) -> list[str]:
    """The layouts of the person's roles, in the order of their roles, without repeats."""
    if principal is None:
        return [FALLBACK_LAYOUT]
    found = [ROLE_LAYOUTS.get(role, FALLBACK_LAYOUT) for role in principal.roles]
    return list(dict.fromkeys(found)) or [FALLBACK_LAYOUT]


def layout_for(principal: Principal | None, hint: str = "") -> str:
    """The layout to open: the remembered one (``settings.role``) when it is one of the
    person's own, else their first role's. A hint never opens another role's arrangement."""
    own = layouts_for(principal)
    return hint if hint in own else own[0]


def principal_label(principal: Principal) -> str:
    """'Anna Berg (operator)': the person and their roles, in the current language."""
    roles = ", ".join(role_title(role) for role in principal.roles)
    return gettext("{name} ({roles})").format(
        name=isolate(principal.display_name or principal.username), roles=roles
    )
