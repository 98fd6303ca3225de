"""How unmask requests are worded wherever they appear: the request dialog, the privacy panel,
the video tile's badge and the social feed.

One place for the words keeps the dialog and the panel from describing the same request in two
ways, and keeps the countdown's digits the same everywhere (isolated, so that "04:59" stays
"04:59" inside an Arabic sentence).
"""

from __future__ import annotations

from datetime import datetime

from app.model import utc_now
from app.security.model import UnmaskKind, UnmaskRequest, UnmaskState
from app.security.unmask import MIN_PURPOSE
from i18n import format_time, gettext, isolate

__all__ = ["MIN_PURPOSE", "countdown", "purpose_hint", "seconds_left", "state_text", "target_text"]


def seconds_left(request: UnmaskRequest, now: datetime | None = None) -> int:
    """Whole seconds until a granted request expires (0 when it has or is not granted)."""
    if request.state is not UnmaskState.GRANTED or request.expires is None:
        return 0
    left = (request.expires - (now or utc_now())).total_seconds()
    return max(0, int(left + 0.999))  # 4.2 s left shows as 00:05, never 00:00 too early


def countdown(seconds: int) -> str:
    """``mm:ss`` (``h:mm:ss`` past an hour), kept left to right in any language."""
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    text = f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"
    return isolate(text)


def target_text(kind: UnmaskKind, target: str, name: str = "") -> str:
    """What is to be unmasked, in words: the camera's name or the pseudonym."""
    if kind is UnmaskKind.FACES:
        return gettext("Faces on camera {camera}").format(camera=isolate(name or target))
    return gettext("The author behind pseudonym {pseudonym}").format(pseudonym=isolate(target))


def state_text(request: UnmaskRequest) -> str:
    """Where the request stands, in one sentence."""
    state = request.state
    if state is UnmaskState.PENDING:
        return gettext("Waiting for approval")
    if state is UnmaskState.GRANTED:
        until = format_time(request.expires.astimezone(), "short") if request.expires else ""
        if request.decided_by and request.decided_by != request.requested_by:
            return gettext("Granted by {person} until {time}").format(
                person=isolate(request.decided_by), time=isolate(until)
            )
        return gettext("Granted until {time}").format(time=isolate(until))
    if state is UnmaskState.DENIED:
        if request.note:
            return gettext("Denied by {person}: {note}").format(
                person=isolate(request.decided_by or "?"), note=request.note
            )
        return gettext("Denied by {person}").format(person=isolate(request.decided_by or "?"))
    if state is UnmaskState.EXPIRED:
        return gettext("The grant has expired; the mask is back.")
    return gettext("The grant was ended; the mask is back.")


def purpose_hint() -> str:
    return gettext(
        "A purpose names the case and why it needs this person identified, for example "
        '"Incident 2026-114: identify the man who left the bag at gate 3 for the police". '
        '"Checking" or "curious" is not a purpose. The purpose is kept in the audit log.'
    )
