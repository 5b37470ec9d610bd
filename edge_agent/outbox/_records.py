"""Outbox room: the SQL of the outbox (record once, batch in order, mark sent, day totals).

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
class OutboxBatch:
    """Records to push together; the cloud ingests a batch id once."""

    batch_id: str
    records: list[sync_pb2.UpstreamRecord]


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


def pending(conn: sqlite3.Connection, limit: int) -> OutboxBatch | None:
    """The oldest batch not yet acknowledged (the same id again if it was handed out before
    and never marked sent), else a new batch of up to `limit` records; None when all is sent."""
    row = conn.execute(
        "SELECT batch_id FROM outbox WHERE sent_at IS NULL AND batch_id IS NOT NULL "
        "ORDER BY position LIMIT 1"
    ).fetchone()
    if row is not None:
        batch_id = row[0]
    else:
        batch_id = uuid.uuid4().hex
        conn.execute(
            "UPDATE outbox SET batch_id = ? WHERE position IN (SELECT position FROM outbox "
            "WHERE sent_at IS NULL ORDER BY position LIMIT ?)",
            (batch_id, limit),
        )
    records = [
        sync_pb2.UpstreamRecord.FromString(data)
        for (data,) in conn.execute(
            "SELECT record FROM outbox WHERE batch_id = ? AND sent_at IS NULL ORDER BY position",
            (batch_id,),
        )
    ]
    return OutboxBatch(batch_id, records) if records else None


def mark_sent(conn: sqlite3.Connection, batch_id: str, now: str) -> int:
    """Mark a batch acknowledged by the cloud; how many records it marked (0: unknown/done)."""
    return conn.execute(
        "UPDATE outbox SET sent_at = ? WHERE batch_id = ? AND sent_at IS NULL", (now, batch_id)
    ).rowcount


def pending_count(conn: sqlite3.Connection) -> int:
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
