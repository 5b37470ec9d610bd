"""Projection room: applying one page of a downsync stream's changes, checkpoint included.

Two steps. `prepare_page` is pure CPU work that needs no database (decode, check the page's
own contract, build the rows, hash each record's bytes as received), so it
can run on any thread, overlapping the writer's work on the previous page. `apply_prepared`
runs inside the writer thread's transaction: check the page follows the stream's checkpoint,
take out the replaced rows' checksum share, write, advance the checkpoint. Anything wrong
raises before the commit, so a page is applied whole or not at all. Snapshot pages fill the
`staging_` tables (their rows come by entity, not in seq order; the first one, marked
`snapshot_first`, drops what an interrupted snapshot staged); the last one swaps them with
the live tables in the transaction that moves the checkpoint, so readers see the old rows
until then and the new ones after. Blocking; never on an event loop.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from operator import attrgetter
from typing import Any

from google.protobuf.message import DecodeError

from ameide_core_proto.process.commerce.v1 import records_pb2, sync_pb2
from edge_agent.errors import PageOutOfOrder, PageRefused
from edge_agent.projection._raw import RawChangeList
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


@dataclass(frozen=True)
class PreparedPage:
    """A page decoded and turned into rows, ready for one transaction."""

    page: sync_pb2.ChangePage
    spec: StreamTable
    changes: int
    keys_json: str  # every key the page touches, for one lookup of the rows it replaces
    deleted: frozenset[str]
    upserts: int  # rows written
    upsert_json: str  # the rows, as `StreamTable.upsert_sql` takes them
    records_blob: bytes  # every written record's bytes, one after the other
    barcodes_json: str  # barcode -> sku rows (catalog), a JSON array of pairs
    added_digest: int  # the checksum share of the rows it writes


def prepare_page(page: sync_pb2.ChangePage) -> PreparedPage:
    """Decode and check `page` on its own (no database); `PageRefused` saying what is wrong.

    The hot path of a downsync. Each record's row and checksum share use its bytes as
    received (`_raw`): they are the cloud's deterministic serialization (what its log stores
    and hashes), so nothing is serialized again.
    """
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
    payload = _payload(page)
    changes = _changes(page, payload)
    # Each record's bytes as received (no re-serialization), beside the parsed changes.
    raw = RawChangeList.FromString(payload).changes
    final = _final_state(spec, changes, page, list(map(attrgetter(spec.record_field), raw)))
    keys: list[str] = []
    messages: list[Any] = []
    records: list[bytes] = []
    deleted: list[str] = []
    for key, value in final.items():
        if value is None:
            deleted.append(key)
        else:
            keys.append(key)
            records.append(value[0])
            messages.append(value[1])
    sha256 = hashlib.sha256
    from_bytes = int.from_bytes
    # Each record's place in the joined bytes (1-based, as SQLite's substr counts).
    lengths = list(map(len, records))
    spans = list(zip(accumulate(lengths, initial=1), lengths, strict=False))  # one start extra
    return PreparedPage(
        page=page,
        spec=spec,
        changes=len(changes),
        keys_json=json.dumps(list(final)),
        deleted=frozenset(deleted),
        upserts=len(keys),
        upsert_json=json.dumps(spec.rows(keys, messages, spans), ensure_ascii=False),
        records_blob=b"".join(records),
        barcodes_json=(
            json.dumps(
                [(b, k) for k, m in zip(keys, messages, strict=True) for b in m.barcodes],
                ensure_ascii=False,
            )
            if spec.has_barcodes
            else "[]"
        ),
        added_digest=sum(
            from_bytes(sha256(k.encode() + b"\0" + r).digest(), "big")
            for k, r in zip(keys, records, strict=True)
        ),
    )


def decode_page(page: sync_pb2.ChangePage) -> Sequence[records_pb2.Change]:
    """The page's changes; `PageRefused` naming what is wrong with its encoding."""
    return _changes(page, _payload(page))


def _where(page: sync_pb2.ChangePage) -> str:
    return f"page of stream {page.stream!r} ({page.after_seq}, {page.through_seq}]"


def _payload(page: sync_pb2.ChangePage) -> bytes:
    """The page's serialized `ChangeList`, inflated; `PageRefused` when it cannot be."""
    where = _where(page)
    if page.encoding == sync_pb2.PAGE_ENCODING_PLAIN:
        return page.payload
    if page.encoding == sync_pb2.PAGE_ENCODING_ZLIB:
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
        return payload
    raise PageRefused(
        f"{where}: encoding {page.encoding} is not one this agent reads (PLAIN or ZLIB)"
    )


def _changes(page: sync_pb2.ChangePage, payload: bytes) -> Sequence[records_pb2.Change]:
    where = _where(page)
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
    """Prepare and apply `page` in the caller's transaction."""
    return apply_prepared(conn, prepare_page(page), now)


def apply_prepared(conn: sqlite3.Connection, prepared: PreparedPage, now: str) -> AppliedPage:
    """Apply a prepared page in the caller's transaction; `PageOutOfOrder` when it does not
    follow the checkpoint (a page applied before is a no-op reported as `duplicate`)."""
    page = prepared.page
    cp = _checkpoint(conn, page.stream)
    if page.snapshot:
        return _apply_snapshot_page(conn, prepared, cp, now)
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
    rows, digest = _write(conn, prepared, "", cp.rows, cp.digest)
    conn.execute(
        "UPDATE stream_checkpoints SET applied_seq = ?, head_seq = MAX(head_seq, ?), rows = ?, "
        "digest = ?, applied_at = ? WHERE stream = ?",
        (page.through_seq, page.head_seq, rows, f"{digest:x}", now, page.stream),
    )
    return AppliedPage(page.stream, page.through_seq, rows, prepared.changes)


def _apply_snapshot_page(
    conn: sqlite3.Connection, prepared: PreparedPage, cp: _Checkpoint, now: str
) -> AppliedPage:
    page, spec = prepared.page, prepared.spec
    if page.snapshot_first and page.after_seq == cp.applied_seq:
        for table in spec.tables():  # a snapshot starts: drop whatever an earlier one staged
            conn.execute(f"DELETE FROM staging_{table}")
        rows, digest = 0, 0
    elif page.snapshot_first and page.after_seq < cp.applied_seq:
        return AppliedPage(  # the first page of a snapshot this stream has moved past
            page.stream,
            cp.applied_seq,
            cp.rows,
            0,
            duplicate=True,
            snapshot_pending=cp.snapshot_through_seq is not None,
        )
    elif cp.snapshot_through_seq is not None and page.after_seq == cp.snapshot_through_seq:
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
    rows, digest = _write(conn, prepared, "staging_", rows, digest)
    if not page.snapshot_complete:
        conn.execute(
            "UPDATE stream_checkpoints SET snapshot_through_seq = ?, snapshot_rows = ?, "
            "snapshot_digest = ?, head_seq = MAX(head_seq, ?) WHERE stream = ?",
            (page.through_seq, rows, f"{digest:x}", page.head_seq, page.stream),
        )
        return AppliedPage(
            page.stream, cp.applied_seq, cp.rows, prepared.changes, snapshot_pending=True
        )
    for table in spec.tables():
        # Swap by renaming (no copy); the old rows become the next snapshot's staging table.
        # Index names stay with their tables, so after a swap `staging_x_by_y` may index the
        # live table: migrations must address indexes through their tables, not by name.
        conn.execute(f'ALTER TABLE "{table}" RENAME TO "swap_{table}"')
        conn.execute(f'ALTER TABLE "staging_{table}" RENAME TO "{table}"')
        conn.execute(f'ALTER TABLE "swap_{table}" RENAME TO "staging_{table}"')
        conn.execute(f'DELETE FROM "staging_{table}"')
    conn.execute(
        "UPDATE stream_checkpoints SET applied_seq = ?, head_seq = MAX(head_seq, ?), rows = ?, "
        "digest = ?, snapshot_through_seq = NULL, snapshot_rows = 0, snapshot_digest = '0', "
        "applied_at = ? WHERE stream = ?",
        (page.through_seq, page.head_seq, rows, f"{digest:x}", now, page.stream),
    )
    return AppliedPage(page.stream, page.through_seq, rows, prepared.changes)


def _write(
    conn: sqlite3.Connection, prepared: PreparedPage, prefix: str, rows: int, digest: int
) -> tuple[int, int]:
    """Write a prepared page into the `prefix` tables; the table's new row count and digest."""
    spec = prepared.spec
    table = prefix + spec.table
    if rows:  # take out what the rows being replaced or deleted contributed
        sha256 = hashlib.sha256
        from_bytes = int.from_bytes
        existing: list[tuple[str]] = []
        for key, record in conn.execute(
            f"SELECT {spec.key_column}, record FROM {table} "
            f"WHERE {spec.key_column} IN (SELECT value FROM json_each(?))",
            (prepared.keys_json,),
        ):
            rows -= 1
            digest -= from_bytes(sha256(key.encode() + b"\0" + record).digest(), "big")
            existing.append((key,))
        # Only keys that exist have rows to delete (an item's barcodes live and die with it).
        deleted = [(k,) for (k,) in existing if k in prepared.deleted]
        if deleted:
            conn.executemany(f"DELETE FROM {table} WHERE {spec.key_column} = ?", deleted)
        if spec.has_barcodes and existing:
            conn.executemany(f"DELETE FROM {prefix}catalog_barcodes WHERE sku = ?", existing)
    # One statement per table, not `executemany`: see `StreamTable.upsert_sql`.
    conn.execute(spec.upsert_sql(prefix), (prepared.upsert_json, prepared.records_blob))
    if spec.has_barcodes:
        conn.execute(
            f"INSERT OR REPLACE INTO {prefix}catalog_barcodes (barcode, sku) "
            "SELECT value ->> 0, value ->> 1 FROM json_each(?)",
            (prepared.barcodes_json,),
        )
    return rows + prepared.upserts, (digest + prepared.added_digest) % _MODULUS


def _final_state(
    spec: StreamTable,
    changes: Sequence[records_pb2.Change],
    page: sync_pb2.ChangePage,
    records: Sequence[bytes],
) -> dict[str, tuple[bytes, Any] | None]:
    """Key -> (record bytes as received, record) or None (deleted), the last change winning.

    `PageRefused` naming the first change that breaks the contract.
    """
    if page.snapshot:
        # Snapshot rows come by entity, each with its latest change's seq, which may be
        # past through_seq (the tail replays it): no seq order to check.
        return _final_snapshot_state(spec, changes, page, records)
    stream, field = page.stream, spec.record_field
    previous, through = page.after_seq, page.through_seq
    final: dict[str, tuple[bytes, Any] | None] = {}
    for change, record in zip(changes, records, strict=True):  # the hot loop: nothing unneeded
        seq = change.seq
        key = change.key
        kind = change.WhichOneof("record")
        if seq <= previous or seq > through or not key or change.stream != stream:
            raise _malformed(page, changes, change)
        if kind == field and not change.deleted:
            final[key] = (record, getattr(change, field))
        elif change.deleted and kind is None:
            final[key] = None
        else:
            raise _malformed(page, changes, change)
        previous = seq
    return final


def _final_snapshot_state(
    spec: StreamTable,
    changes: Sequence[records_pb2.Change],
    page: sync_pb2.ChangePage,
    records: Sequence[bytes],
) -> dict[str, tuple[bytes, Any] | None]:
    """`_final_state` of a snapshot page: live records only, in any seq order."""
    stream, field = page.stream, spec.record_field
    final: dict[str, tuple[bytes, Any] | None] = {}
    for change, record in zip(changes, records, strict=True):
        if (
            change.seq <= 0
            or not change.key
            or change.stream != stream
            or change.deleted
            or change.WhichOneof("record") != field
        ):
            raise _malformed(page, changes, change)
        final[change.key] = (record, getattr(change, field))
    return final


def _malformed(
    page: sync_pb2.ChangePage, changes: Sequence[records_pb2.Change], change: records_pb2.Change
) -> PageRefused:
    """What is wrong with `change` (off the hot path)."""
    index = next(i for i, c in enumerate(changes) if c is change or c == change)
    previous = changes[index - 1].seq if index else page.after_seq
    where = f"page of stream {page.stream!r}: changes[{index}]"
    spec = STREAM_TABLES[page.stream]
    kind = change.WhichOneof("record")
    if not page.snapshot and (change.seq <= previous or change.seq > page.through_seq):
        return PageRefused(
            f"{where}.seq {change.seq} is not in order within ({page.after_seq}, "
            f"{page.through_seq}] after seq {previous}"
        )
    if not change.key:
        return PageRefused(f"{where}.key is empty")
    if change.stream != page.stream:
        return PageRefused(f"{where}.stream is {change.stream!r}")
    if change.seq <= 0:
        return PageRefused(f"{where}.seq {change.seq} is not positive")
    if change.deleted and page.snapshot:
        return PageRefused(f"{where} is a delete; a snapshot holds live records only")
    if change.deleted:
        return PageRefused(f"{where} is a delete carrying a record")
    return PageRefused(
        f"{where} (key {change.key!r}) carries {kind or 'no record'}; this stream carries "
        f"{spec.record_field}"
    )
