"""Small files only their owner may read (secrets, keys): written whole or not at all.

A secret lost to a half-written file can orphan data for good (a pseudonym key, a column key),
so every write goes to a new owner-only temporary file, is flushed to disk, and then takes the
old file's place in one rename; the folder is synced so the rename itself survives a crash. A
file found readable by others (copied or restored with loose permissions) is tightened with a
warning rather than refused.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from pathlib import Path

log = logging.getLogger(__name__)

OWNER_ONLY = 0o600


def tighten(path: Path) -> None:
    """Makes ``path`` owner-only if others may read it; raises ``OSError`` if it cannot be
    checked."""
    if os.name != "posix":
        return  # Windows: the profile folder's ACL protects it
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning("%s was readable by others (mode %o); now owner-only", path, mode)
        path.chmod(OWNER_ONLY)


def _write_temporary(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    descriptor = os.open(temporary, flags, OWNER_ONLY)
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        if os.name == "posix":
            temporary.chmod(OWNER_ONLY)  # whatever the umask did
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def create(path: Path, text: str) -> bool:
    """Creates ``path`` holding ``text`` unless it exists already (another process may have
    just created it); True if this call created it. Raises ``OSError``."""
    temporary = _write_temporary(path, text)
    created = False
    try:
        os.link(temporary, path)  # atomic and never overwrites
        created = True
    except FileExistsError:
        pass
    except OSError:  # a file system without hard links
        if not path.exists():
            os.replace(temporary, path)
            created = True
    finally:
        with contextlib.suppress(FileNotFoundError):
            temporary.unlink()
    sync_folder(path.parent)
    return created


def replace(path: Path, text: str) -> None:
    """Writes ``text`` as the new content of ``path`` in one step. Raises ``OSError``."""
    os.replace(_write_temporary(path, text), path)
    sync_folder(path.parent)


def sync_folder(folder: Path) -> None:
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
