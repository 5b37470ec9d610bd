"""Outbox room: where the outbox file lives, how its write connection opens, its schema.

A file of its own (`state/outbox.db`), apart from the projection, so a projection rebuild or
a large downsync page never touches or queues ahead of a sale. WAL with `synchronous=FULL`: a
record is on disk when its commit returns. Blocking; runs on the outbox's writer thread.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge_agent.errors import SchemaTooNew

SCHEMA_VERSION = 2

_V1 = (
    """
    CREATE TABLE outbox (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        record_id TEXT NOT NULL UNIQUE,
        stream TEXT NOT NULL,
        register_id TEXT,
        business_day TEXT,
        currency TEXT,
        net_minor_units INTEGER,
        record BLOB NOT NULL,
        recorded_at TEXT NOT NULL,
        batch_id TEXT,
        sent_at TEXT
    )
    """,
    "CREATE INDEX outbox_unsent ON outbox (position) WHERE sent_at IS NULL",
    "CREATE INDEX outbox_by_batch ON outbox (batch_id) WHERE batch_id IS NOT NULL",
    "CREATE INDEX outbox_by_register_day ON outbox (register_id, business_day)",
)
# Why a record will never be pushed (larger than a push may be); NULL for every other record.
_V2 = (
    "ALTER TABLE outbox ADD COLUMN refused TEXT",
    "CREATE INDEX outbox_refused ON outbox (position) WHERE refused IS NOT NULL",
)
_MIGRATIONS = {1: _V1, 2: _V2}


def outbox_path(data_dir: Path) -> Path:
    return data_dir / "state" / "outbox.db"


def connect_outbox_writer(path: Path, busy_timeout: float) -> sqlite3.Connection:
    """The outbox's one read-write connection (WAL, `synchronous=FULL`), schema created."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        _migrate(conn, path)
    except BaseException:
        conn.close()
        raise
    return conn


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise SchemaTooNew(
            f"outbox {path} has schema version {version}, newer than this agent knows (up to "
            f"{SCHEMA_VERSION}); install the newer commerce-edge that wrote it. Do not delete "
            "it: it may hold sales not yet sent to the cloud"
        )
    if version == SCHEMA_VERSION:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[step]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
