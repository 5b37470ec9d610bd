"""Outbox room: the SQL of the outbox (record once, batch in order by count and encoded
bytes, split a batch the gateway refused as too large, refuse a record too large to push,
mark sent, day totals).

Functions over an open connection inside a transaction the caller owns; blocking, so they
run on the outbox's writer or reader threads, never on an event loop.
"""

from __future__ import annotations

import sqlite3
import uuid
from dataclasses import dataclass

from ameide_core_proto.process.commerce.v1 import sync_pb2
from edge_agent.errors import OutboxConflict
from shared.errors import InvalidInput


@dataclass(frozen=True)
class Recorded:
    record_id: str
    newly_recorded: bool


@dataclass(frozen=True)
class RefusedRecord:
    """A record that is never pushed: alone it is larger than a push may be."""

    record_id: str  # `<stream>/<id>`
    reason: str


@dataclass(frozen=True)
class OutboxBatch:
    """Records to push together; the cloud ingests a batch id once (and each record once by
    its idempotency key, so records may move between batches until acknowledged)."""

    batch_id: str
    records: list[sync_pb2.UpstreamRecord]
    # Records refused for good while this batch was made (for the pusher to report).
    refused: tuple[RefusedRecord, ...] = ()
    # Position of its last record in the outbox: the next batch may go out after it.
    last_position: int = 0


# PushRecordsRequest bytes besides its records: the batch id (32 hex), outbox_pending, tags.
REQUEST_OVERHEAD = 64


def _varint_size(value: int) -> int:
    size = 1
    while value >= 0x80:
        value >>= 7
        size += 1
    return size


def encoded_size(record_bytes: int) -> int:
    """Bytes a stored record of `record_bytes` adds to a PushRecordsRequest (tag, length)."""
    return 1 + _varint_size(record_bytes) + record_bytes


def _refuse(conn: sqlite3.Connection, position: int, record_id: str, reason: str) -> RefusedRecord:
    conn.execute(
        "UPDATE outbox SET refused = ?, batch_id = NULL WHERE position = ?", (reason, position)
    )
    return RefusedRecord(record_id, reason)


def _too_large(record_id: str, size: int, max_bytes: int) -> str:
    return (
        f"{record_id} is {size} bytes encoded, more than one push may carry ({max_bytes} bytes, "
        "upsync_batch_max_bytes, kept below the gateway's max_message_bytes); it stays in the "
        "outbox unsent. Raise both limits and restart the agent to send it"
    )


@dataclass(frozen=True)
class _Facts:
    stream: str
    record_id: str
    register_id: str | None
    business_day: str | None
    currency: str | None
    net_minor_units: int | None


def _facts(record: sync_pb2.UpstreamRecord) -> _Facts:
    kind = record.WhichOneof("record")
    if kind == "sales_transaction":
        sale = record.sales_transaction
        return _Facts(
            "sales",
            sale.transaction_id,
            sale.receipt.register_id,
            sale.receipt.business_day,
            sale.total.currency,
            sale.total.minor_units,
        )
    if kind == "sales_return":
        ret = record.sales_return
        return _Facts(
            "returns",
            ret.return_id,
            ret.receipt.register_id,
            ret.receipt.business_day,
            ret.total.currency,
            ret.total.minor_units,
        )
    if kind == "inventory_adjustment":
        return _Facts(
            "inventory-adjustments",
            record.inventory_adjustment.adjustment_id,
            None,
            None,
            None,
            None,
        )
    raise InvalidInput("record: set one of sales_transaction, sales_return, inventory_adjustment")


def idempotency_key(record: sync_pb2.UpstreamRecord) -> str:
    """`<stream>/<id>`: the key the cloud ingests the record under."""
    facts = _facts(record)
    return f"{facts.stream}/{facts.record_id}"


def record(conn: sqlite3.Connection, upstream: sync_pb2.UpstreamRecord, now: str) -> Recorded:
    """Store `upstream` once; a repeat of the same record writes nothing, a different record
    under the same id is `OutboxConflict`."""
    facts = _facts(upstream)
    if not facts.record_id:
        raise InvalidInput(f"{facts.stream} record: its id is empty; the POS must set one")
    stored = sync_pb2.UpstreamRecord()
    stored.CopyFrom(upstream)
    stored.idempotency_key = f"{facts.stream}/{facts.record_id}"
    data = stored.SerializeToString(deterministic=True)
    cursor = conn.execute(
        "INSERT OR IGNORE INTO outbox (record_id, stream, register_id, business_day, currency, "
        "net_minor_units, record, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            stored.idempotency_key,
            facts.stream,
            facts.register_id,
            facts.business_day,
            facts.currency,
            facts.net_minor_units,
            data,
            now,
        ),
    )
    if cursor.rowcount == 1:
        return Recorded(facts.record_id, True)
    (existing,) = conn.execute(
        "SELECT record FROM outbox WHERE record_id = ?", (stored.idempotency_key,)
    ).fetchone()
    if existing != data:
        raise OutboxConflict(
            f"{facts.stream} record {facts.record_id!r} was recorded before with different "
            "content; a new sale, return or adjustment needs a new id"
        )
    return Recorded(facts.record_id, False)


def pending(
    conn: sqlite3.Connection, limit: int, max_bytes: int, after: int = 0
) -> OutboxBatch | None:
    """The oldest batch not yet acknowledged whose records come after position `after` (the
    last one of a batch still in flight, 0 for none): the same id again if it was handed out
    before and never marked sent, and still fits `max_bytes`, else a new batch of up to
    `limit` records whose PushRecordsRequest stays within `max_bytes` (never reaching into a
    batch handed out after it); None when all is sent. A record larger than `max_bytes`
    alone is refused for good and named in the batch."""
    first = conn.execute(
        "SELECT batch_id FROM outbox WHERE sent_at IS NULL AND refused IS NULL AND position > ? "
        "ORDER BY position LIMIT 1",
        (after,),
    ).fetchone()
    if first is None:
        return None
    if first[0] is not None:
        size = sum(
            encoded_size(length)
            for (length,) in conn.execute(
                "SELECT length(record) FROM outbox WHERE batch_id = ? AND sent_at IS NULL",
                (first[0],),
            )
        )
        if REQUEST_OVERHEAD + size <= max_bytes:
            return _batch(conn, first[0], ())
        # Made under a larger limit: its records go into new batches (the cloud ingests
        # each record once by its key, whatever batch carries it).
        conn.execute(
            "UPDATE outbox SET batch_id = NULL WHERE batch_id = ? AND sent_at IS NULL", (first[0],)
        )
    batch_id = uuid.uuid4().hex
    too_large: list[tuple[int, str, str]] = []
    chosen: list[tuple[str, int]] = []
    total = REQUEST_OVERHEAD
    candidates = conn.execute(
        "SELECT position, record_id, length(record), batch_id FROM outbox "
        "WHERE sent_at IS NULL AND refused IS NULL AND position > ? ORDER BY position",
        (after,),
    )
    for position, record_id, length, handed_out in candidates:
        if handed_out is not None:  # the next batch handed out before: it keeps its id
            break
        cost = encoded_size(length)
        if REQUEST_OVERHEAD + cost > max_bytes:
            too_large.append((position, record_id, _too_large(record_id, cost, max_bytes)))
            continue
        if total + cost > max_bytes or len(chosen) >= limit:
            break
        chosen.append((batch_id, position))
        total += cost
    candidates.close()
    done = tuple(_refuse(conn, *refusal) for refusal in too_large)
    conn.executemany("UPDATE outbox SET batch_id = ? WHERE position = ?", chosen)
    return _batch(conn, batch_id, done, after)


def _batch(
    conn: sqlite3.Connection, batch_id: str, refused: tuple[RefusedRecord, ...], after: int = 0
) -> OutboxBatch | None:
    rows = conn.execute(
        "SELECT position, record FROM outbox WHERE batch_id = ? AND sent_at IS NULL "
        "ORDER BY position",
        (batch_id,),
    ).fetchall()
    records = [sync_pb2.UpstreamRecord.FromString(data) for _, data in rows]
    if records:
        return OutboxBatch(batch_id, records, refused, rows[-1][0])
    if refused:  # only refusals: the next batch starts after them
        return OutboxBatch(batch_id, [], refused, after)
    return None


def split(conn: sqlite3.Connection, batch_id: str, gateway_error: str) -> RefusedRecord | None:
    """The gateway refused `batch_id` as too large: keep its first half under the id (the
    rest goes into later batches); a batch of one record refuses that record for good."""
    rows = conn.execute(
        "SELECT position, record_id FROM outbox WHERE batch_id = ? AND sent_at IS NULL "
        "ORDER BY position",
        (batch_id,),
    ).fetchall()
    if len(rows) == 1:
        position, record_id = rows[0]
        return _refuse(
            conn,
            position,
            record_id,
            f"{record_id} alone is larger than the gateway accepts ({gateway_error}); it "
            "stays in the outbox unsent. Raise the gateway's max_message_bytes and restart "
            "the agent to send it",
        )
    if rows:
        conn.execute(
            "UPDATE outbox SET batch_id = NULL WHERE batch_id = ? AND position >= ?",
            (batch_id, rows[len(rows) // 2][0]),
        )
    return None


def unrefuse(conn: sqlite3.Connection) -> int:
    """Give refused records another chance (the agent starts, maybe with larger limits)."""
    return conn.execute("UPDATE outbox SET refused = NULL WHERE refused IS NOT NULL").rowcount


def refused_records(conn: sqlite3.Connection, limit: int = 20) -> list[RefusedRecord]:
    """Records refused for good and not sent, oldest first (at most `limit`)."""
    return [
        RefusedRecord(record_id, reason)
        for record_id, reason in conn.execute(
            "SELECT record_id, refused FROM outbox WHERE refused IS NOT NULL AND sent_at IS NULL "
            "ORDER BY position LIMIT ?",
            (limit,),
        )
    ]


def mark_sent(conn: sqlite3.Connection, batch_id: str, now: str) -> int:
    """Mark a batch acknowledged by the cloud; how many records it marked (0: unknown/done)."""
    return conn.execute(
        "UPDATE outbox SET sent_at = ? WHERE batch_id = ? AND sent_at IS NULL", (now, batch_id)
    ).rowcount


def pending_count(conn: sqlite3.Connection) -> int:
    """Records waiting to be pushed (not acknowledged, not refused)."""
    try:
        query = "SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL AND refused IS NULL"
        return int(conn.execute(query).fetchone()[0])
    except sqlite3.OperationalError as exc:
        if "no such column" not in str(exc):
            raise
        # Schema 1 (read by `status` before the upgraded agent started and migrated it).
        return int(conn.execute("SELECT COUNT(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0])


def register_day_totals(conn: sqlite3.Connection) -> list[sync_pb2.RegisterDayTotals]:
    """Per register and business day: sales, returns and net minor units, sent or not."""
    return [
        sync_pb2.RegisterDayTotals(
            register_id=register_id,
            business_day=day,
            transactions=sales,
            returns=returns,
            net_minor_units=net,
            currency=currency or "",
        )
        for register_id, day, sales, returns, net, currency in conn.execute(
            "SELECT register_id, business_day, SUM(stream = 'sales'), SUM(stream = 'returns'), "
            "SUM(net_minor_units), MAX(currency) FROM outbox WHERE register_id IS NOT NULL "
            "GROUP BY register_id, business_day ORDER BY register_id, business_day"
        )
    ]
