"""Who may take what out of the console on the command line, and the record of it.

An export is redacted unless asked otherwise (app/security/redaction.py). An unredacted one
is an unmask in all but name: it needs a person (``--as``) holding both ``export`` and
``unmask``, proven with their password, and a stated purpose. Every export, redacted or not,
refused or written, goes on the audit record as "export.report" (or the action given).
"""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from typing import Any

from app.hub import Hub
from app.security.audit import AuditLog
from app.security.audit_cli import cli_actor
from app.security.model import AuditEvent, Outcome, Permission
from app.security.permissions import permits
from app.security.unmask import MIN_PURPOSE
from app.storage import RecordStore
from i18n import gettext as _

PASSWORD_ENV = "WATCHFLOOR_PASSWORD"


class ExportRefusedError(Exception):
    """The export is refused; the message says why (translated)."""


@dataclass
class ExportAccess:
    """One export's permission and record. ``actor``: the person, or ``cli:<os user>`` for a
    redacted export nobody signed for."""

    audit: AuditLog
    actor: str
    redacted: bool
    action: str = "export.report"
    detail: dict[str, Any] = field(default_factory=dict)

    def record(self, target: str, outcome: Outcome = Outcome.OK, **detail: Any) -> None:
        """Writes the record now (the process ends right after an export)."""
        event_detail = {"redacted": self.redacted, **self.detail, **detail}
        self.audit.append([AuditEvent(self.actor, self.action, target, outcome, event_detail)])


def export_access(
    store: RecordStore,
    workstation: str,
    *,
    unredacted: bool,
    acting_as: str = "",
    purpose: str = "",
    policy_file: str = "",
    directory: dict[str, Any] | None = None,
    target: str = "",
    action: str = "export.report",
) -> ExportAccess:
    """The access for one export; raises ``ExportRefusedError`` (already on the record)."""
    audit = AuditLog(store, workstation)
    if not unredacted:
        return ExportAccess(audit, acting_as or cli_actor(), True, action)
    access = ExportAccess(
        audit, acting_as or cli_actor(), False, action, {"purpose": purpose.strip()}
    )
    try:
        _check(store, audit, workstation, acting_as, purpose, policy_file, directory or {})
    except ExportRefusedError as refusal:
        access.record(target, Outcome.REFUSED, reason=str(refusal))
        audit.flush()
        raise
    audit.flush()  # the password check's own record
    return access


def _check(
    store: RecordStore,
    audit: AuditLog,
    workstation: str,
    acting_as: str,
    purpose: str,
    policy_file: str,
    directory: dict[str, Any],
) -> None:
    if not acting_as:
        raise ExportRefusedError(_("An unredacted export needs --as NAME (who takes it out)."))
    if len(purpose.strip()) < MIN_PURPOSE:
        raise ExportRefusedError(
            _("State the purpose of the unredacted export (at least {count} characters).").format(
                count=MIN_PURPOSE
            )
        )
    from app.security.directory import directory_from_settings
    from app.security.policy import load_policy
    from app.security.service import SecurityService

    security = SecurityService(
        store,
        Hub(),
        load_policy(policy_file or None),
        audit,
        workstation,
        directory_from_settings(directory),
    )
    password = os.environ.get(PASSWORD_ENV) or getpass.getpass(
        _("Password for {name}: ").format(name=acting_as)
    )
    try:
        principal = security.verify(acting_as, password)
    except Exception as exc:  # SignInError: its message is translated and names no secret
        raise ExportRefusedError(str(exc)) from None
    finally:
        security.stop()
    for permission in (Permission.EXPORT, Permission.UNMASK):
        if not permits(principal, permission):
            raise ExportRefusedError(
                _("{name} may not take unredacted exports ({permission}).").format(
                    name=acting_as, permission=permission.value
                )
            )
