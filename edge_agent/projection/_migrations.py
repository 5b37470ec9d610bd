"""Projection room: the versioned schema of the agent's database and the steps between versions.

Each step runs in its own transaction and sets `PRAGMA user_version` in it, so a crash between
steps leaves a database at the last completed version, and the next start resumes there. A
database newer than this agent is refused (a downgrade would misread it). Blocking `sqlite3`;
runs on the writer thread when the projection opens.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass

from edge_agent.errors import SchemaTooNew


@dataclass(frozen=True)
class Migration:
    version: int
    summary: str
    apply: Callable[[sqlite3.Connection], None]


def _run_all(conn: sqlite3.Connection, script: str) -> None:
    """Each `;`-separated statement (`executescript` would commit the step's transaction)."""
    for statement in script.split(";"):
        if statement.strip():
            conn.execute(statement)


def _v1_control_state(conn: sqlite3.Connection) -> None:
    _run_all(
        conn,
        """
        CREATE TABLE IF NOT EXISTS site_config (
            site_id TEXT PRIMARY KEY, generation INTEGER, sales_channel_id TEXT, name TEXT,
            timezone TEXT, bindings_json TEXT, config_pb BLOB, command_id TEXT, applied_at TEXT
        );
        CREATE TABLE IF NOT EXISTS applied_commands (
            command_id TEXT PRIMARY KEY, applied_at TEXT, ok INTEGER, error TEXT, result_pb BLOB
        );
        CREATE TABLE IF NOT EXISTS connection_state (
            id INTEGER PRIMARY KEY, state TEXT, since TEXT, last_contact_at TEXT, last_error TEXT
        );
        """,
    )


# Replicated tables exist twice: the live table and a `staging_` twin that a snapshot fills
# before it replaces the live rows in one transaction.
_REPLICATED_TABLES = """
CREATE TABLE {p}catalog_items (
    sku TEXT PRIMARY KEY, record BLOB NOT NULL
);
CREATE TABLE {p}catalog_barcodes (
    barcode TEXT PRIMARY KEY, sku TEXT NOT NULL
);
CREATE INDEX {p}catalog_barcodes_by_sku ON {p}catalog_barcodes (sku);
CREATE TABLE {p}prices (
    price_id TEXT PRIMARY KEY, sku TEXT NOT NULL, sales_channel_id TEXT NOT NULL,
    effective_from INTEGER NOT NULL, effective_until INTEGER, record BLOB NOT NULL
);
CREATE INDEX {p}prices_by_item ON {p}prices (sku, sales_channel_id, effective_from);
CREATE TABLE {p}promotions (
    promotion_id TEXT PRIMARY KEY, sales_channel_id TEXT NOT NULL, starts_at INTEGER,
    ends_at INTEGER, record BLOB NOT NULL
);
CREATE TABLE {p}customers (
    customer_id TEXT PRIMARY KEY, sales_channel_id TEXT NOT NULL, loyalty_number TEXT,
    email TEXT, phone TEXT, record BLOB NOT NULL
);
CREATE INDEX {p}customers_by_loyalty ON {p}customers (loyalty_number);
CREATE INDEX {p}customers_by_email ON {p}customers (email);
CREATE INDEX {p}customers_by_phone ON {p}customers (phone);
CREATE TABLE {p}store_configuration (
    site_id TEXT PRIMARY KEY, record BLOB NOT NULL
);
"""


def _v2_replication(conn: sqlite3.Connection) -> None:
    for prefix in ("", "staging_"):
        _run_all(conn, _REPLICATED_TABLES.format(p=prefix))
    conn.execute(
        """
        CREATE TABLE stream_checkpoints (
            stream TEXT PRIMARY KEY,
            applied_seq INTEGER NOT NULL DEFAULT 0,
            head_seq INTEGER NOT NULL DEFAULT 0,
            rows INTEGER NOT NULL DEFAULT 0,
            digest TEXT NOT NULL DEFAULT '0',
            snapshot_through_seq INTEGER,
            snapshot_rows INTEGER NOT NULL DEFAULT 0,
            snapshot_digest TEXT NOT NULL DEFAULT '0',
            applied_at TEXT
        )
        """
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "site config, applied commands, connection state", _v1_control_state),
    Migration(2, "replicated streams, checkpoints and running checksums", _v2_replication),
)
SCHEMA_VERSION = MIGRATIONS[-1].version


def schema_version(conn: sqlite3.Connection) -> int:
    return int(conn.execute("PRAGMA user_version").fetchone()[0])


def migrate(
    conn: sqlite3.Connection, path: object, migrations: tuple[Migration, ...] = MIGRATIONS
) -> list[int]:
    """Bring the database up to `SCHEMA_VERSION`, one transaction per step; the versions applied.

    `conn` is in autocommit mode (no transaction open). `SchemaTooNew` when the file was
    written by a newer agent.
    """
    current = schema_version(conn)
    latest = migrations[-1].version
    if current > latest:
        raise SchemaTooNew(
            f"local state database {path} has schema version {current}, newer than this agent "
            f"knows (up to {latest}); install the newer commerce-edge that wrote it, or "
            "move the file aside to rebuild it from the cloud"
        )
    applied: list[int] = []
    for step in migrations:
        if step.version <= current:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if schema_version(conn) >= step.version:  # another process got there first
                conn.execute("ROLLBACK")
                continue
            step.apply(conn)
            conn.execute(f"PRAGMA user_version={step.version}")
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise
        applied.append(step.version)
    return applied
