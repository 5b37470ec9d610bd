"""Projection room: at start, before the database is opened, is the file one to rebuild?

A database file deleted, emptied or damaged while the agent was stopped would otherwise be
re-created empty without a word: no site configuration, no rows, until the cloud sent them
again. `check_database` looks first (blocking; never on an event loop):

- the file is missing, or has no schema, while the copy of the site configuration
  (`_config_copy`) says a configuration was applied: the projection existed and was lost;
- the file is not a database or its schema cannot be read (SQLite reports NOTADB or
  CORRUPT): it is moved aside (kept for support, with its WAL) and a new one is made.

Anything else (locked, unreadable for permissions, a newer schema) is left for `open` to
report as it always did. It touches only the database file and its `-wal`/`-shm` twins, and
the note of the last rebuild (`state/projection-rebuilt.json`, read by `status`).
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from edge_agent.projection._config_copy import config_copy_path

logger = logging.getLogger(__name__)

_DAMAGED = {sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB}
_NEEDED_TABLES = ("site_config", "stream_checkpoints")


@dataclass(frozen=True)
class StartRebuild:
    """The projection was rebuilt at this start, and why."""

    at: str  # UTC, ISO 8601
    reason: str  # "file was missing", "file had no schema", "file was damaged (...)"
    moved_to: str | None = None  # where a damaged file was kept

    def describe(self) -> str:
        kept = f"; the old file was kept as {self.moved_to}" if self.moved_to else ""
        return f"projection rebuilt at start ({self.at}): {self.reason}{kept}"


def note_path(database: Path) -> Path:
    return database.with_name("projection-rebuilt.json")


def check_database(database: Path, now: datetime | None = None) -> StartRebuild | None:
    """What `database` needs before it is opened: None (use it as it is), or the rebuild this
    start makes (a damaged file is moved aside here). The note of it is written at once."""
    stamp = (now or datetime.now(UTC)).replace(microsecond=0)
    configured = config_copy_path(database).exists()
    rebuild: StartRebuild | None = None
    if not database.exists():
        if Path(f"{database}-wal").exists():
            # The log of a file that is gone: a new file must not read it as its own.
            moved = _move_aside(database, stamp)
            logger.warning("moved the write-ahead log of a missing %s to %s-wal", database, moved)
        if configured:
            rebuild = StartRebuild(stamp.isoformat(), "file was missing")
    else:
        try:
            has_schema = _has_schema(database)
        except sqlite3.DatabaseError as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            if not isinstance(code, int) or code & 0xFF not in _DAMAGED:
                return None  # locked, permissions, I/O: `open` says what it is
            moved = _move_aside(database, stamp)
            rebuild = StartRebuild(stamp.isoformat(), f"file was damaged ({exc})", str(moved))
        else:
            if not has_schema and configured:
                rebuild = StartRebuild(stamp.isoformat(), "file had no schema")
    if rebuild is not None:
        logger.error(
            "local state database %s: %s; rebuilding it from the site configuration kept "
            "beside it and the cloud's snapshot",
            database,
            rebuild.describe(),
        )
        _write_note(note_path(database), rebuild)
    return rebuild


def read_note(database: Path) -> StartRebuild | None:
    """The last rebuild at start, if any (for `status`); None when unreadable."""
    try:
        body = json.loads(note_path(database).read_text(encoding="utf-8"))
        return StartRebuild(str(body["at"]), str(body["reason"]), body.get("moved_to"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _has_schema(database: Path) -> bool:
    """Whether the file holds the projection's tables; raises what SQLite says is wrong."""
    conn = sqlite3.connect(f"file:{database}?mode=ro", uri=True, isolation_level=None)
    try:
        tables = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        if not all(name in tables for name in _NEEDED_TABLES):
            return False
        for name in _NEEDED_TABLES:  # reads a page of each: a garbled table raises here
            conn.execute(f"SELECT * FROM {name} LIMIT 1").fetchall()
        return True
    finally:
        conn.close()


def _move_aside(database: Path, stamp: datetime) -> Path:
    """Rename the damaged file (and its WAL) out of the way, keeping it for support."""
    suffix = stamp.strftime("%Y%m%dT%H%M%SZ")
    moved = database.with_name(f"{database.name}.damaged-{suffix}")
    for extra in ("", "-wal"):
        source = Path(f"{database}{extra}")
        if source.exists():
            os.replace(source, Path(f"{moved}{extra}"))
    Path(f"{database}-shm").unlink(missing_ok=True)
    return moved


def _write_note(path: Path, rebuild: StartRebuild) -> None:
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        staged = path.with_name(path.name + ".new")
        staged.write_text(
            json.dumps({"at": rebuild.at, "reason": rebuild.reason, "moved_to": rebuild.moved_to}),
            encoding="utf-8",
        )
        os.replace(staged, path)
    except OSError as exc:  # the rebuild goes on; only `status` misses the note
        logger.warning("could not record the rebuild note %s: %s", path, exc)
