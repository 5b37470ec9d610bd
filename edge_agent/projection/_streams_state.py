"""Projection room: reading where each downsync stream stands, and verifying its checksum.

Functions over an open connection in a read transaction; blocking, so they run on a reader
thread (or the writer thread), never on an event loop.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from edge_agent.projection._tables import STREAM_TABLES
from shared.checksums import TableDigest


@dataclass(frozen=True)
class StreamState:
    """One downsync stream as the projection holds it."""

    stream: str
    applied_seq: int
    head_seq: int
    rows: int
    digest: TableDigest
    snapshot_through_seq: int | None
    applied_at: str | None


_SELECT = (
    "SELECT stream, applied_seq, head_seq, rows, digest, snapshot_through_seq, applied_at "
    "FROM stream_checkpoints"
)


def stream_state(conn: sqlite3.Connection, stream: str) -> StreamState | None:
    row = conn.execute(f"{_SELECT} WHERE stream = ?", (stream,)).fetchone()
    return None if row is None else _state(row)


def _state(row: tuple[Any, ...]) -> StreamState:
    return StreamState(
        stream=row[0],
        applied_seq=row[1],
        head_seq=row[2],
        rows=row[3],
        digest=TableDigest(row[3], int(row[4], 16)),
        snapshot_through_seq=row[5],
        applied_at=row[6],
    )


def stream_states(conn: sqlite3.Connection) -> list[StreamState]:
    """Every stream that has seen a page, by name; the running checksum, no table scan."""
    return [_state(row) for row in conn.execute(f"{_SELECT} ORDER BY stream")]


def scan_digest(conn: sqlite3.Connection, stream: str) -> TableDigest:
    """The checksum of `stream`'s live rows recomputed from every row (for tests, rebuilds)."""
    spec = STREAM_TABLES[stream]
    cursor = conn.execute(f"SELECT {spec.key_column}, record FROM {spec.table}")
    return TableDigest.of(cursor)
