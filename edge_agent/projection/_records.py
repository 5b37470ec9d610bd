"""Projection room: the SQL for site config, command results and connection state.

Functions over an open `sqlite3.Connection` inside a transaction the caller owns; blocking,
so they run on the writer thread or a reader thread, never on an event loop.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from google.protobuf import json_format

from ameide_core_proto.process.commerce.v1 import edge_pb2, store_site_pb2

logger = logging.getLogger(__name__)


def now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class ConnectionState:
    """How the control stream stands, as `status` and the health page show it."""

    state: str
    since: str | None
    last_contact_at: str | None
    last_error: str | None
    config_generation: int


@dataclass(frozen=True)
class StoredSiteConfig:
    """The site configuration last applied, with the command that carried it."""

    config: store_site_pb2.SiteConfig
    command_id: str
    applied_at: str


NEVER_CONNECTED = ConnectionState("never-connected", None, None, None, 0)


# --- commands -------------------------------------------------------------------------------


def command_result(conn: sqlite3.Connection, command_id: str) -> edge_pb2.CommandResult | None:
    row = conn.execute(
        "SELECT result_pb FROM applied_commands WHERE command_id = ?", (command_id,)
    ).fetchone()
    return None if row is None else edge_pb2.CommandResult.FromString(row[0])


def record_result(
    conn: sqlite3.Connection, result: edge_pb2.CommandResult
) -> edge_pb2.CommandResult:
    """Store `result` unless one is stored already; the stored one is returned."""
    stored = command_result(conn, result.command_id)
    if stored is not None:
        return stored
    conn.execute(
        "INSERT INTO applied_commands (command_id, applied_at, ok, error, result_pb) "
        "VALUES (?, ?, ?, ?, ?)",
        (result.command_id, now_text(), int(result.ok), result.error, result.SerializeToString()),
    )
    return result


def apply_site_config(
    conn: sqlite3.Connection,
    command_id: str,
    config: store_site_pb2.SiteConfig,
    result_of: Callable[[edge_pb2.SiteConfigApplied], edge_pb2.CommandResult],
) -> tuple[edge_pb2.CommandResult, int]:
    """Store `config` (older generations lose) and the command's result; (result, generation).

    A command id seen before gets its stored result and changes nothing.
    """
    stored = command_result(conn, command_id)
    if stored is not None:
        return stored, _generation(conn)
    row = conn.execute(
        "SELECT generation FROM site_config WHERE site_id = ?", (config.site_id,)
    ).fetchone()
    kept_generation = config.generation
    if row is not None and row[0] > config.generation:
        kept_generation = row[0]
        logger.warning(
            "command %s carries site config generation %d, older than the applied %d; "
            "keeping the newer one",
            command_id,
            config.generation,
            row[0],
        )
    else:
        _store_site_config(conn, config, command_id)
    applied = edge_pb2.SiteConfigApplied(site_id=config.site_id, generation=kept_generation)
    return record_result(conn, result_of(applied)), kept_generation


def restore_site_config(conn: sqlite3.Connection, stored: StoredSiteConfig) -> None:
    """Put back a configuration applied before (a database rebuilt at start); the command
    that carried it is not recorded again, so the cloud sending it again applies it again."""
    _store_site_config(conn, stored.config, stored.command_id)


def _store_site_config(
    conn: sqlite3.Connection, config: store_site_pb2.SiteConfig, command_id: str
) -> None:
    conn.execute("DELETE FROM site_config")
    conn.execute(
        "INSERT INTO site_config (site_id, generation, sales_channel_id, name, "
        "timezone, bindings_json, config_pb, command_id, applied_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            config.site_id,
            config.generation,
            config.sales_channel_id,
            config.name,
            config.timezone,
            json.dumps([json_format.MessageToDict(b) for b in config.bindings], sort_keys=True),
            config.SerializeToString(),
            command_id,
            now_text(),
        ),
    )


def applied_command_count(conn: sqlite3.Connection) -> int:
    return int(conn.execute("SELECT count(*) FROM applied_commands").fetchone()[0])


# --- site config ----------------------------------------------------------------------------


def site_config(conn: sqlite3.Connection) -> StoredSiteConfig | None:
    row = conn.execute("SELECT config_pb, command_id, applied_at FROM site_config").fetchone()
    if row is None:
        return None
    return StoredSiteConfig(store_site_pb2.SiteConfig.FromString(row[0]), row[1], row[2])


def _generation(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT max(generation) FROM site_config").fetchone()
    return int(row[0] or 0)


# --- connection state -----------------------------------------------------------------------


def connection_state(conn: sqlite3.Connection) -> ConnectionState:
    row = conn.execute(
        "SELECT state, since, last_contact_at, last_error FROM connection_state WHERE id = 1"
    ).fetchone()
    generation = _generation(conn)
    if row is None:
        return ConnectionState(NEVER_CONNECTED.state, None, None, None, generation)
    return ConnectionState(row[0], row[1], row[2], row[3], generation)


def write_connection_state(conn: sqlite3.Connection, state: ConnectionState) -> None:
    conn.execute(
        "INSERT INTO connection_state (id, state, since, last_contact_at, last_error) "
        "VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET state = excluded.state, "
        "since = excluded.since, last_contact_at = excluded.last_contact_at, "
        "last_error = excluded.last_error",
        (state.state, state.since, state.last_contact_at, state.last_error),
    )
