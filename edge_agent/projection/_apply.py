"""Projection room: applying one page of a downsync stream's changes, checkpoint included.

`apply_page` runs inside the writer thread's transaction: decode, check the page follows the
stream's checkpoint, write every change, keep the running checksum, advance the checkpoint.
Anything wrong raises before the commit, so a page is applied whole or not at all. Snapshot
pages fill the `staging_` tables; the last one replaces the live rows in the same transaction
that moves the checkpoint, so readers see the old rows until then and the new ones after.
Blocking `sqlite3`; never on an event loop.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import DecodeError

from ameide_core_proto.process.commerce.v1 import records_pb2, sync_pb2
from edge_agent.errors import PageOutOfOrder, PageRefused
from edge_agent.projection._tables import STREAM_TABLES, StreamTable

MAX_PAGE_BYTES = 256 * 1024 * 1024
"""Largest decoded page accepted; a bigger one is refused rather than filling memory."""

_MODULUS = 1 << 256


@dataclass(frozen=True)
class AppliedPage:
    """What applying a page did."""

    stream: str
    applied_seq: int
    rows: int
    changes: int
    duplicate: bool = False
    snapshot_pending: bool = False


@dataclass
class _Checkpoint:
    applied_seq: int
    rows: int
    digest: int
    snapshot_through_seq: int | None
    snapshot_rows: int
    snapshot_digest: int


def decode_page(page: sync_pb2.ChangePage) -> Sequence[records_pb2.Change]:
    """The page's changes; `PageRefused` naming what is wrong with its encoding."""
    where = f"page of stream {page.stream!r} ({page.after_seq}, {page.through_seq}]"
    if page.encoding == sync_pb2.PAGE_ENCODING_PLAIN:
        payload = page.payload
    elif page.encoding == sync_pb2.PAGE_ENCODING_ZLIB:
        inflater = zlib.decompressobj()
        try:
            payload = inflater.decompress(page.payload, MAX_PAGE_BYTES)
        except zlib.error as exc:
            raise PageRefused(f"{where}: payload is not valid zlib data ({exc})") from exc
        if inflater.unconsumed_tail:
            raise PageRefused(
                f"{where}: payload decodes to more than {MAX_PAGE_BYTES} bytes; the cloud "
                "must send smaller pages"
            )
    else:
        raise PageRefused(
            f"{where}: encoding {page.encoding} is not one this agent reads (PLAIN or ZLIB)"
        )
    try:
        changes = records_pb2.ChangeList.FromString(payload).changes
    except DecodeError as exc:
        raise PageRefused(f"{where}: payload is not a ChangeList ({exc})") from exc
    if len(changes) != page.change_count:
        raise PageRefused(
            f"{where}: holds {len(changes)} changes but says change_count={page.change_count}"
        )
    return changes


def _checkpoint(conn: sqlite3.Connection, stream: str) -> _Checkpoint:
    conn.execute("INSERT OR IGNORE INTO stream_checkpoints (stream) VALUES (?)", (stream,))
    row = conn.execute(
        "SELECT applied_seq, rows, digest, snapshot_through_seq, snapshot_rows, snapshot_digest "
        "FROM stream_checkpoints WHERE stream = ?",
        (stream,),
    ).fetchone()
    return _Checkpoint(row[0], row[1], int(row[2], 16), row[3], row[4], int(row[5], 16))


def apply_page(conn: sqlite3.Connection, page: sync_pb2.ChangePage, now: str) -> AppliedPage:
    """Apply `page` in the caller's transaction; `PageRefused`/`PageOutOfOrder` if it cannot be."""
    spec = STREAM_TABLES.get(page.stream)
    if spec is None:
        raise PageRefused(
            f"stream {page.stream!r} is not one this agent replicates down "
            f"(known: {', '.join(sorted(STREAM_TABLES))})"
        )
    if page.through_seq < page.after_seq:
        raise PageRefused(
            f"page of stream {page.stream!r}: through_seq {page.through_seq} is before "
            f"after_seq {page.after_seq}"
        )
    cp = _checkpoint(conn, page.stream)
    if page.snapshot:
        return _apply_snapshot_page(conn, spec, page, cp, now)
    if cp.snapshot_through_seq is not None:
        raise PageOutOfOrder(
            f"stream {page.stream!r} is in the middle of a snapshot (staged through seq "
            f"{cp.snapshot_through_seq}); expected its next snapshot page, got a change page "
            f"after seq {page.after_seq}"
        )
    if page.after_seq != cp.applied_seq:
        if page.through_seq <= cp.applied_seq:
            return AppliedPage(page.stream, cp.applied_seq, cp.rows, 0, duplicate=True)
        raise PageOutOfOrder(
            f"stream {page.stream!r} is applied through seq {cp.applied_seq}; a page after seq "
            f"{page.after_seq} does not follow it; pull again from seq {cp.applied_seq}"
        )
    changes = decode_page(page)
    rows, digest = _write(conn, spec, "", changes, page, cp.rows, cp.digest)
    conn.execute(
        "UPDATE stream_checkpoints SET applied_seq = ?, head_seq = MAX(head_seq, ?), rows = ?, "
        "digest = ?, applied_at = ? WHERE stream = ?",
        (page.through_seq, page.head_seq, rows, f"{digest:x}", now, page.stream),
    )
    return AppliedPage(page.stream, page.through_seq, rows, len(changes))


def _apply_snapshot_page(
    conn: sqlite3.Connection,
    spec: StreamTable,
    page: sync_pb2.ChangePage,
    cp: _Checkpoint,
    now: str,
) -> AppliedPage:
    if cp.snapshot_through_seq is not None and page.after_seq == cp.snapshot_through_seq:
        rows, digest = cp.snapshot_rows, cp.snapshot_digest  # the next page of this snapshot
    elif page.after_seq == cp.applied_seq:
        for table in spec.tables():  # a snapshot (re)starts: drop whatever an earlier one staged
            conn.execute(f"DELETE FROM staging_{table}")
        rows, digest = 0, 0
    elif page.through_seq <= (cp.snapshot_through_seq or cp.applied_seq):
        return AppliedPage(
            page.stream,
            cp.applied_seq,
            cp.rows,
            0,
            duplicate=True,
            snapshot_pending=cp.snapshot_through_seq is not None,
        )
    else:
        staged = cp.snapshot_through_seq
        expected = f"seq {cp.applied_seq}" + (f" or {staged}" if staged is not None else "")
        raise PageOutOfOrder(
            f"snapshot page of stream {page.stream!r} after seq {page.after_seq} does not "
            f"follow the checkpoint (expected a page after {expected}); pull again"
        )
    changes = decode_page(page)
    rows, digest = _write(conn, spec, "staging_", changes, page, rows, digest)
    if not page.snapshot_complete:
        conn.execute(
            "UPDATE stream_checkpoints SET snapshot_through_seq = ?, snapshot_rows = ?, "
            "snapshot_digest = ?, head_seq = MAX(head_seq, ?) WHERE stream = ?",
            (page.through_seq, rows, f"{digest:x}", page.head_seq, page.stream),
        )
        return AppliedPage(
            page.stream, cp.applied_seq, cp.rows, len(changes), snapshot_pending=True
        )
    for table in spec.tables():
        conn.execute(f"DELETE FROM {table}")
        conn.execute(f"INSERT INTO {table} SELECT * FROM staging_{table}")
        conn.execute(f"DELETE FROM staging_{table}")
    conn.execute(
        "UPDATE stream_checkpoints SET applied_seq = ?, head_seq = MAX(head_seq, ?), rows = ?, "
        "digest = ?, snapshot_through_seq = NULL, snapshot_rows = 0, snapshot_digest = '0', "
        "applied_at = ? WHERE stream = ?",
        (page.through_seq, page.head_seq, rows, f"{digest:x}", now, page.stream),
    )
    return AppliedPage(page.stream, page.through_seq, rows, len(changes))


def _write(
    conn: sqlite3.Connection,
    spec: StreamTable,
    prefix: str,
    changes: Sequence[records_pb2.Change],
    page: sync_pb2.ChangePage,
    rows: int,
    digest: int,
) -> tuple[int, int]:
    """Write `changes` into the `prefix` tables; the table's new row count and digest."""
    final = _final_state(spec, changes, page)
    sha256 = hashlib.sha256
    from_bytes = int.from_bytes
    table = prefix + spec.table
    if rows:  # take out what the rows being replaced or deleted contributed
        keys = json.dumps(list(final))
        for key, record in conn.execute(
            f"SELECT {spec.key_column}, record FROM {table} "
            f"WHERE {spec.key_column} IN (SELECT value FROM json_each(?))",
            (keys,),
        ):
            rows -= 1
            digest -= from_bytes(sha256(key.encode() + b"\0" + record).digest(), "big")
        deleted = [(k,) for k, v in final.items() if v is None]
        if deleted:
            conn.executemany(f"DELETE FROM {table} WHERE {spec.key_column} = ?", deleted)
        if spec.has_barcodes:
            conn.executemany(
                f"DELETE FROM {prefix}catalog_barcodes WHERE sku = ?", [(k,) for k in final]
            )
    row = spec.row
    upserts: list[tuple[Any, ...]] = []
    append = upserts.append
    for key, value in final.items():
        if value is None:
            continue
        record, message = value
        digest += from_bytes(sha256(key.encode() + b"\0" + record).digest(), "big")
        append(row(key, message, record))
    rows += len(upserts)
    conn.executemany(spec.upsert_sql(prefix), upserts)
    if spec.has_barcodes:
        conn.executemany(
            f"INSERT OR REPLACE INTO {prefix}catalog_barcodes (barcode, sku) VALUES (?, ?)",
            [
                (barcode, key)
                for key, value in final.items()
                if value is not None
                for barcode in value[1].barcodes
            ],
        )
    return rows, digest % _MODULUS


def _final_state(
    spec: StreamTable, changes: Sequence[records_pb2.Change], page: sync_pb2.ChangePage
) -> dict[str, tuple[bytes, Any] | None]:
    """Key -> (deterministic record bytes, record) or None (deleted), the last change winning.

    `PageRefused` naming the first change that breaks the contract.
    """
    stream, field = page.stream, spec.record_field
    previous, through = page.after_seq, page.through_seq
    final: dict[str, tuple[bytes, Any] | None] = {}
    for index, change in enumerate(changes):
        seq = change.seq
        if seq <= previous or seq > through:
            raise PageRefused(
                f"page of stream {stream!r}: changes[{index}].seq {seq} is not in order within "
                f"({page.after_seq}, {through}] after seq {previous}"
            )
        previous = seq
        if change.stream != stream:
            raise PageRefused(
                f"page of stream {stream!r}: changes[{index}].stream is {change.stream!r}"
            )
        key = change.key
        if not key:
            raise PageRefused(f"page of stream {stream!r}: changes[{index}].key is empty")
        kind = change.WhichOneof("record")
        if change.deleted:
            if kind is not None:
                raise PageRefused(
                    f"page of stream {stream!r}: changes[{index}] is a delete carrying a record"
                )
            final[key] = None
            continue
        if kind != field:
            raise PageRefused(
                f"page of stream {stream!r}: changes[{index}] (key {key!r}) carries "
                f"{kind or 'no record'}; this stream carries {field}"
            )
        message = getattr(change, field)
        final[key] = (message.SerializeToString(deterministic=True), message)
    return final
