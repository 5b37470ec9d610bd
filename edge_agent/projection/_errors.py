"""Projection room: the one place that turns `sqlite3` and OS errors into the agent's errors.

Pure mapping; no I/O. What each error means for a command is decided in `control.outcomes`.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from edge_agent.errors import (
    DatabaseBusy,
    DatabaseDamaged,
    DatabaseIOError,
    DatabaseNotWritable,
    DiskFull,
    ProjectionError,
)

_BUSY = {sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED}
_DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_NOT_WRITABLE = {
    sqlite3.SQLITE_READONLY,
    sqlite3.SQLITE_PERM,
    sqlite3.SQLITE_CANTOPEN,
    sqlite3.SQLITE_AUTH,
}
_OS_NOT_WRITABLE = {errno.EACCES, errno.EPERM, errno.EROFS}


def translate(exc: sqlite3.Error | OSError, path: Path, busy_timeout: float) -> ProjectionError:
    """The agent error for `exc`, with a message that says what to do about it."""
    if isinstance(exc, OSError):
        return _translate_os(exc, path)
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    if primary in _BUSY:
        return DatabaseBusy(
            f"local state database {path} stayed locked by another process for the whole "
            f"busy timeout ({busy_timeout:g} s); trying again may succeed. If this "
            f"persists, find what holds the file open (e.g. `fuser {path}`) and stop it"
        )
    if primary == sqlite3.SQLITE_FULL:
        return DiskFull(
            f"no space left to write local state database {path} ({exc}); free disk space "
            "on the store server, then trying again can succeed"
        )
    if primary == sqlite3.SQLITE_IOERR:
        return DatabaseIOError(
            f"the disk reported an I/O error on local state database {path} ({exc}); check "
            "the disk (kernel log, SMART); trying again may succeed"
        )
    if primary in _DAMAGED:
        return DatabaseDamaged(
            f"local state database {path} is damaged ({exc}); restart the agent: at start it "
            "moves a damaged file aside (kept for support) and rebuilds it from the cloud"
        )
    if primary in _NOT_WRITABLE:
        return DatabaseNotWritable(
            f"the agent cannot open or write local state database {path} ({exc}); check that "
            f"the agent's user owns {path.parent} and that the filesystem is mounted read-write"
        )
    return ProjectionError(
        f"local state database {path} failed unexpectedly ({type(exc).__name__}: {exc}); "
        "report this with the agent log"
    )


def _translate_os(exc: OSError, path: Path) -> ProjectionError:
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return DiskFull(
            f"no space left for local state database {path} ({exc}); free disk space on the "
            "store server, then trying again can succeed"
        )
    if exc.errno in _OS_NOT_WRITABLE:
        return DatabaseNotWritable(
            f"the agent cannot write {path.parent} ({exc}); check that the agent's user owns "
            "it and that the filesystem is mounted read-write"
        )
    return DatabaseIOError(
        f"could not reach local state database {path} ({exc}); check the disk; trying again "
        "may succeed"
    )
