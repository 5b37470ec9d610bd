"""Engine factory of the cloud store: SQLite file (embedded default) or PostgreSQL.

Store room: builds SQLAlchemy engines and sets per-connection options; runs no queries of
its own besides the SQLite pragmas.
"""

from __future__ import annotations

import logging
import threading
import weakref
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from shared.errors import ConfigError

logger = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000

# Execution option for connections that only read: on SQLite they open a deferred
# transaction (a WAL snapshot) instead of taking the write lock.
READ_ONLY_OPTION = "cloud_store_read_only"

# One lock per SQLite engine that its write transactions take in this process (see
# `writer_lock`).
_WRITER_LOCKS: weakref.WeakKeyDictionary[sa.Engine, threading.RLock] = (
    weakref.WeakKeyDictionary()
)


def writer_lock(engine: sa.Engine) -> threading.RLock | None:
    """The lock a write transaction on `engine` holds in this process, or None (PostgreSQL).

    SQLite lets one writer in at a time; a thread that finds the write lock taken sleeps in
    SQLite's busy handler (up to 100 ms a try) and only then tries again, so with many threads
    writing, most of a write's time was that sleep, not the write. Threads of one process
    queue on this lock instead and each starts the moment the previous one commits; SQLite's
    busy timeout still arbitrates between processes.
    """
    return _WRITER_LOCKS.get(engine)


def make_engine(url: str) -> sa.Engine:
    """An engine for `url` (`sqlite:///path/cloud.db` or `postgresql+psycopg://...`).

    SQLite files get WAL, a 30 s busy timeout, foreign keys and `BEGIN IMMEDIATE` for every
    transaction not marked `READ_ONLY_OPTION`: several processes (worker, gateway, ops CLI)
    share one file, and taking the write lock up front avoids the read-to-write lock upgrade
    that SQLite cannot wait for (it fails at once with "database is locked").
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"database_url {url!r} is not a SQLAlchemy URL; use sqlite:///path/to/cloud.db "
            "or postgresql+psycopg://user@host:5432/dbname"
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return _sqlite_engine(parsed)
    if backend == "postgresql":
        if parsed.get_driver_name() != "psycopg":
            parsed = parsed.set(drivername="postgresql+psycopg")
        return sa.create_engine(parsed, pool_pre_ping=True)
    raise ConfigError(
        f"database_url uses {backend!r}, which the cloud store does not support; "
        "use sqlite:///path/to/cloud.db or postgresql+psycopg://user@host:5432/dbname"
    )


def _sqlite_engine(url: URL) -> sa.Engine:
    database = url.database or ""
    in_memory = database in ("", ":memory:") or url.query.get("mode") == "memory"
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Hand transaction control to SQLAlchemy (the `begin` hook below emits BEGIN).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY_OPTION, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    _WRITER_LOCKS[engine] = threading.RLock()
    logger.debug("cloud store on SQLite file %s", database)
    return engine
