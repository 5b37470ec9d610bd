"""Projection room: reader threads, each with its own read-only connection to the database.

Reads run off the event loop in a small thread pool; a read sees one consistent snapshot
(WAL lets it proceed while the writer or another process writes).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from edge_agent.errors import ProjectionError
from edge_agent.projection._errors import translate
from edge_agent.projection._schema import connect_reader

T = TypeVar("T")


class ReaderPool:
    """`await pool.run(fn)` runs `fn(connection)` on a reader thread and returns its value."""

    def __init__(self, path: Path, busy_timeout: float, threads: int = 2) -> None:
        self._path = path
        self._busy_timeout = busy_timeout
        self._executor = ThreadPoolExecutor(threads, thread_name_prefix="projection-read")
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._generation = 0

    async def run(self, read: Callable[[sqlite3.Connection], T]) -> T:
        if self._closed:
            raise ProjectionError(
                f"local state database {self._path} is closed; the agent is stopping"
            )
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._read, read)

    def reopen(self) -> None:
        """The database file was re-created: each reader thread opens it anew on its next
        read (closing its connection to the old file first)."""
        with self._lock:
            self._generation += 1

    async def stop(self) -> None:
        """Let running reads finish, then close every reader connection."""
        self._closed = True
        await asyncio.to_thread(self._executor.shutdown, wait=True)
        with self._lock:
            connections, self._connections = self._connections, []
        for conn in connections:
            conn.close()

    def _read(self, read: Callable[[sqlite3.Connection], T]) -> T:
        try:
            conn = self._connection()
            conn.execute("BEGIN")
            try:
                return read(conn)
            finally:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("COMMIT")
        except (sqlite3.Error, OSError) as exc:
            raise translate(exc, self._path, self._busy_timeout) from exc

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        generation = self._generation
        if conn is not None and getattr(self._local, "generation", 0) != generation:
            with self._lock:
                self._connections.remove(conn)
            conn.close()
            conn = None
        if conn is None:
            conn = connect_reader(self._path, self._busy_timeout)
            self._local.conn = conn
            self._local.generation = generation
            with self._lock:
                self._connections.append(conn)
        return conn
