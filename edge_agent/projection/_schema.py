"""Projection room: where the database lives, how connections to it are opened, its schema.

Blocking `sqlite3` calls; run only on the writer thread, reader threads or outside any loop.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

from edge_agent.projection._migrations import SCHEMA_VERSION, migrate

logger = logging.getLogger(__name__)

__all__ = ["SCHEMA_VERSION", "connect_reader", "connect_writer", "database_path"]


def database_path(data_dir: Path) -> Path:
    return data_dir / "state" / "edge.db"


def connect_writer(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """The one read-write connection (WAL, `synchronous=FULL`), schema created if missing."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        _set_busy_timeout(conn, busy_timeout)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        _create_schema(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_reader(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """A read-only connection; may be closed from another thread once its owner is done."""
    conn = sqlite3.connect(
        f"file:{path}?mode=ro", uri=True, isolation_level=None, check_same_thread=False
    )
    try:
        _set_busy_timeout(conn, busy_timeout)
    except BaseException:
        conn.close()
        raise
    return conn


def _set_busy_timeout(conn: sqlite3.Connection, seconds: float) -> None:
    conn.execute(f"PRAGMA busy_timeout={round(seconds * 1000)}")


def _create_schema(conn: sqlite3.Connection, path: Path) -> None:
    """Run the migrations this database lacks; writes nothing when it is current."""
    applied = migrate(conn, path)
    if applied:
        logger.info("local state database %s migrated to schema version(s) %s", path, applied)
