"""Password hashing with Argon2id (argon2-cffi), and the rule a new password must meet.

Hashes carry their own parameters, so raising the cost later needs no migration: a sign-in that
succeeds against an older hash writes a fresh one (``needs_rehash``). Verification costs tens of
milliseconds on purpose; callers on the GUI thread run it on a worker.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from i18n import gettext as _

_HASHER = PasswordHasher()


class PasswordRuleError(ValueError):
    """The new password breaks the rule; the message is translated and meant to be shown."""


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    """True when ``password`` matches; a damaged hash counts as a mismatch, never an error."""
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    try:
        return _HASHER.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True


def check_rule(password: str, min_length: int) -> None:
    """Raises ``PasswordRuleError`` when ``password`` is too short (the policy's minimum)."""
    if len(password) < min_length:
        raise PasswordRuleError(
            _("A password needs at least {count} characters.").format(count=min_length)
        )
