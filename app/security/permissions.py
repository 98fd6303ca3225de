"""Permission checks: may this person do this, on this camera, layer or zone, now?

Everything here is a set lookup on a ``Principal`` worked out at sign-in, so the core can check
every command and the GUI every button without a measurable cost (see bench/permissions.py).

Shift windows limit acting, not looking: outside their shift a person keeps their panels (a
control room never goes dark for someone who stayed late) but every action is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from app.security.model import ALL, Permission, Principal, ShiftWindow


def permits(
    principal: Principal | None,
    permission: Permission,
    *,
    camera: str | None = None,
    layer: str | None = None,
    zone: str | None = None,
    at: datetime | None = None,
) -> bool:
    """True when ``principal`` holds ``permission`` for the given camera, layer and zone (each
    checked only when given) at ``at`` (default: now), inside one of their shift windows."""
    if principal is None or permission not in principal.actions:
        return False
    if camera is not None and not _allows(principal.cameras, camera):
        return False
    if layer is not None and not _allows(principal.layers, layer):
        return False
    if zone is not None and not _allows(principal.zones, zone):
        return False
    return on_shift(principal.shifts, at)


def panel_allowed(principal: Principal | None, panel_id: str) -> bool:
    """Whether the panel is shown at all (shifts do not hide panels)."""
    return principal is not None and _allows(principal.panels, panel_id)


def sees_camera(principal: Principal | None, camera: str) -> bool:
    return principal is not None and _allows(principal.cameras, camera)


def sees_layer(principal: Principal | None, layer: str) -> bool:
    return principal is not None and _allows(principal.layers, layer)


def on_shift(shifts: Iterable[ShiftWindow], at: datetime | None = None) -> bool:
    """True when ``at`` (local time; default now) falls in one of ``shifts``, or when there
    are none. A window whose end is at or before its start runs past midnight: it belongs to
    the day it starts on."""
    shifts = tuple(shifts)
    if not shifts:
        return True
    if at is None:
        local = datetime.now().astimezone()
    else:
        local = at.astimezone() if at.tzinfo is not None else at  # naive: already local
    clock = local.time().replace(tzinfo=None)
    today = local.weekday()
    yesterday = (local - timedelta(days=1)).weekday()
    for window in shifts:
        if window.start < window.end:
            if today in window.days and window.start <= clock < window.end:
                return True
        else:  # overnight: from start today until end tomorrow
            if today in window.days and clock >= window.start:
                return True
            if yesterday in window.days and clock < window.end:
                return True
    return False


def _allows(allowed: frozenset[str], value: str) -> bool:
    return ALL in allowed or value in allowed
