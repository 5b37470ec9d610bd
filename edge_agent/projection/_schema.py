"""Projection room: where the database lives, how connections to it are opened, its schema.

Blocking `sqlite3` calls; run only on the writer thread, reader threads or outside any loop.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

SCHEMA_VERSION = 1


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
        _create_schema(conn)
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


def _create_schema(conn: sqlite3.Connection) -> None:
    """Create missing tables; writes nothing when the schema is already there."""
    db = sqlite_utils.Database(conn)
    db.table("site_config").create(
        {
            "site_id": str,
            "generation": int,
            "sales_channel_id": str,
            "name": str,
            "timezone": str,
            "bindings_json": str,
            "config_pb": bytes,
            "command_id": str,
            "applied_at": str,
        },
        pk="site_id",
        if_not_exists=True,
    )
    db.table("applied_commands").create(
        {"command_id": str, "applied_at": str, "ok": int, "error": str, "result_pb": bytes},
        pk="command_id",
        if_not_exists=True,
    )
    db.table("connection_state").create(
        {
            "id": int,
            "state": str,
            "since": str,
            "last_contact_at": str,
            "last_error": str,
        },
        pk="id",
        if_not_exists=True,
    )
    if conn.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
