"""The agent's local SQLite projection (WAL): site config, applied commands, connection state.

Owns `data_dir/state/edge.db`; schema via sqlite-utils, writes as plain `sqlite3` transactions.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils
from google.protobuf import json_format

from ameide_core_proto.process.commerce.v1 import edge_pb2, store_site_pb2
from edge_agent.errors import ProjectionError

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1


def database_path(data_dir: Path) -> Path:
    return data_dir / "state" / "edge.db"


def _now() -> str:
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


class Projection:
    """One connection to the projection database; use from one thread (the daemon's loop)."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        if read_only:
            self._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
        else:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            self._conn = sqlite3.connect(path, isolation_level=None)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=FULL")
            self._create_schema()
        self._conn.execute("PRAGMA busy_timeout=5000")

    @classmethod
    def open(cls, data_dir: Path) -> Projection:
        return cls(database_path(data_dir))

    @classmethod
    def open_read_only(cls, data_dir: Path) -> Projection | None:
        """For `status`: None when the agent has never run here."""
        path = database_path(data_dir)
        if not path.exists():
            return None
        return cls(path, read_only=True)

    def close(self) -> None:
        self._conn.close()

    def _create_schema(self) -> None:
        db = sqlite_utils.Database(self._conn)
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
        self._conn.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        except sqlite3.Error as exc:
            raise ProjectionError(
                f"local state database {self.path} failed: {exc}; check free disk space and "
                "that the agent owns the file"
            ) from exc

    # --- commands -----------------------------------------------------------------------------

    def command_result(self, command_id: str) -> edge_pb2.CommandResult | None:
        """The stored result of a command already handled, else None."""
        row = self._conn.execute(
            "SELECT result_pb FROM applied_commands WHERE command_id = ?", (command_id,)
        ).fetchone()
        if row is None:
            return None
        return edge_pb2.CommandResult.FromString(row[0])

    def record_result(self, result: edge_pb2.CommandResult) -> None:
        """Record the result of a command that changed nothing (e.g. refused)."""
        with self._transaction() as conn:
            self._insert_result(conn, result)

    def apply_site_config(
        self, command_id: str, config: store_site_pb2.SiteConfig
    ) -> edge_pb2.CommandResult:
        """Store `config` and the command's result in one transaction; older generations lose."""
        with self._transaction() as conn:
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
                        json.dumps(
                            [json_format.MessageToDict(b) for b in config.bindings],
                            sort_keys=True,
                        ),
                        config.SerializeToString(),
                        command_id,
                        _now(),
                    ),
                )
            result = edge_pb2.CommandResult(
                command_id=command_id,
                ok=True,
                site_config_applied=edge_pb2.SiteConfigApplied(
                    site_id=config.site_id, generation=kept_generation
                ),
            )
            self._insert_result(conn, result)
        return result

    def _insert_result(self, conn: sqlite3.Connection, result: edge_pb2.CommandResult) -> None:
        conn.execute(
            "INSERT INTO applied_commands (command_id, applied_at, ok, error, result_pb) "
            "VALUES (?, ?, ?, ?, ?)",
            (result.command_id, _now(), int(result.ok), result.error, result.SerializeToString()),
        )

    def site_config(self) -> StoredSiteConfig | None:
        row = self._conn.execute(
            "SELECT config_pb, command_id, applied_at FROM site_config"
        ).fetchone()
        if row is None:
            return None
        return StoredSiteConfig(store_site_pb2.SiteConfig.FromString(row[0]), row[1], row[2])

    def applied_command_count(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM applied_commands").fetchone()[0])

    # --- connection state ---------------------------------------------------------------------

    def set_state(self, state: str, *, error: str | None = None) -> None:
        """Record a state change; `since` moves only when the state itself changes."""
        now = _now()
        with self._transaction() as conn:
            row = conn.execute("SELECT state, since FROM connection_state WHERE id = 1").fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO connection_state (id, state, since, last_contact_at, last_error) "
                    "VALUES (1, ?, ?, NULL, ?)",
                    (state, now, error),
                )
            else:
                since = row[1] if row[0] == state else now
                conn.execute(
                    "UPDATE connection_state SET state = ?, since = ?, last_error = ? WHERE id = 1",
                    (state, since, error),
                )

    def touch_contact(self) -> None:
        """The gateway just said something."""
        self._conn.execute(
            "UPDATE connection_state SET last_contact_at = ? WHERE id = 1", (_now(),)
        )

    def connection_state(self) -> ConnectionState:
        row = self._conn.execute(
            "SELECT state, since, last_contact_at, last_error FROM connection_state WHERE id = 1"
        ).fetchone()
        config = self.site_config()
        generation = config.config.generation if config is not None else 0
        if row is None:
            return ConnectionState("never-connected", None, None, None, generation)
        return ConnectionState(row[0], row[1], row[2], row[3], generation)
