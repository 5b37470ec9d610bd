"""Projection room: noticing that the database file was deleted or replaced under the running
agent, and re-creating it from the connection the agent still holds.

An open SQLite connection keeps reading and writing the file it opened even after that file
is unlinked, so without this the agent would carry on in a file nobody can see and lose
everything at its next start. Blocking; runs on the writer thread only, outside any
transaction (see `WriterThread.restore_if_gone`).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from pathlib import Path

from edge_agent.projection._schema import connect_writer

FileIdentity = tuple[int, int]


def file_identity(path: Path) -> FileIdentity | None:
    """(device, inode) of the file at `path`; None when there is none."""
    try:
        found = os.stat(path)
    except FileNotFoundError:
        return None
    return found.st_dev, found.st_ino


def restore(conn: sqlite3.Connection, path: Path, busy_timeout: float) -> sqlite3.Connection:
    """Copy what `conn` holds (every committed row) into a new file at `path`, close `conn`
    and return a write connection to the new file. The copy is written beside it and renamed
    into place, so the path never holds half a database."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # its directory may be gone too
    staged = path.with_name(path.name + ".restoring")
    staged.unlink(missing_ok=True)
    target = sqlite3.connect(staged)
    try:
        conn.backup(target)
    finally:
        target.close()
    conn.close()
    # The old file's WAL and shared-memory files (if still there) belong to the unlinked
    # database; left in place, the new file would read them as its own.
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.replace(staged, path)
    with contextlib.suppress(OSError):  # make the rename itself durable where possible
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    return connect_writer(path, busy_timeout)
