"""Records stores push up (sales, returns, inventory adjustments), stored once per
idempotency key, and the per register and business day totals reconciliation compares.

Adapter room: reads and writes `ingested_records`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import sync_pb2
from cloud.adapters.store._bulk import bound, insert_rows
from cloud.adapters.store._db import Database, aware, utcnow
from cloud.store.tables import ingested_records
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)

# The stream each upstream record kind belongs to.
UPSTREAM_STREAM: dict[str, str] = {
    "sales_transaction": "sales",
    "sales_return": "returns",
    "inventory_adjustment": "inventory-adjustments",
}
MAX_BATCH = 10_000
_COLUMNS = (
    "site_id",
    "stream",
    "key",
    "record",
    "register_id",
    "business_day",
    "total_minor_units",
    "currency",
    "batch_id",
    "ingested_at",
)
_KEY_CHUNK = 500


class ForeignSiteRecord(InvalidInput):
    """A pushed record names another site than the one pushing it."""


@dataclass(frozen=True)
class IngestResult:
    ingested: int
    duplicates: int


@dataclass(frozen=True)
class RegisterDayTotal:
    """Sales and returns of one register on one business day, as the cloud holds them."""

    register_id: str
    business_day: str
    currency: str
    transactions: int
    returns: int
    # Sale totals plus (negative) return totals, in minor units.
    net_minor_units: int


def _row(index: int, site_id: str, record: sync_pb2.UpstreamRecord) -> dict[str, Any]:
    kind = record.WhichOneof("record")
    if kind is None:
        raise InvalidInput(
            f"record {index}: record: is missing; set sales_transaction, sales_return "
            "or inventory_adjustment"
        )
    if not record.idempotency_key or len(record.idempotency_key) > 256:
        raise InvalidInput(f"record {index}: idempotency_key: must be 1 to 256 characters")
    body = getattr(record, kind)
    register_id = business_day = currency = ""
    total = 0
    if kind == "inventory_adjustment":
        owner, owner_field = body.site_id, "inventory_adjustment.site_id"
    else:
        owner, owner_field = body.receipt.site_id, f"{kind}.receipt.site_id"
        register_id = body.receipt.register_id
        business_day = body.receipt.business_day
        currency = body.total.currency
        total = body.total.minor_units
    if owner != site_id:
        raise ForeignSiteRecord(
            f"record {index}: {owner_field}: is {owner!r} but the push comes from site "
            f"{site_id!r}; a store pushes only its own records"
        )
    # In `_COLUMNS` order (batch id and ingest time follow).
    return {
        "site_id": site_id,
        "stream": UPSTREAM_STREAM[kind],
        "key": record.idempotency_key,
        "record": body.SerializeToString(deterministic=True),
        "register_id": register_id,
        "business_day": business_day[:10],
        "total_minor_units": total,
        "currency": currency[:3],
    }


class IngestRepository:
    """Ingest pushed batches idempotently; total them for reconciliation."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def ingest(
        self,
        site_id: str,
        batch_id: str,
        records: Sequence[sync_pb2.UpstreamRecord],
        at: datetime | None = None,
    ) -> IngestResult:
        """Store each record whose (stream, idempotency key) the site has not pushed
        before, in one transaction; a replayed batch changes nothing. One bad record
        (another site's, no record, no key) refuses the whole batch."""
        if not batch_id or len(batch_id) > 256:
            raise InvalidInput("batch_id must be 1 to 256 characters")
        if len(records) > MAX_BATCH:
            raise InvalidInput(
                f"batch {batch_id} has {len(records)} records, over the limit of {MAX_BATCH}; "
                "push it in smaller batches"
            )
        ingested_at = aware(at, "at") if at is not None else utcnow()
        unique: dict[tuple[str, str], dict[str, Any]] = {}
        for index, record in enumerate(records):
            row = _row(index, site_id, record)
            unique.setdefault((row["stream"], row["key"]), row)

        def work(conn: sa.Connection) -> IngestResult:
            keys = sorted({key for _stream, key in unique})
            seen: set[tuple[str, str]] = set()
            for start in range(0, len(keys), _KEY_CHUNK):
                chunk = keys[start : start + _KEY_CHUNK]
                seen.update(
                    (r.stream, r.key)
                    for r in conn.execute(
                        sa.select(ingested_records.c.stream, ingested_records.c.key).where(
                            ingested_records.c.site_id == site_id,
                            ingested_records.c.key.in_(chunk),
                        )
                    )
                )
            at = bound(conn, ingested_records.c.ingested_at, ingested_at)
            fresh = [
                (*row.values(), batch_id, at) for pair, row in unique.items() if pair not in seen
            ]
            insert_rows(conn, ingested_records, _COLUMNS, fresh)
            return IngestResult(len(fresh), len(records) - len(fresh))

        result = self._db.write(work)
        logger.debug(
            "site %s batch %s: %d ingested, %d duplicates",
            site_id,
            batch_id,
            result.ingested,
            result.duplicates,
        )
        return result

    def register_day_totals(self, site_id: str) -> list[RegisterDayTotal]:
        """Per register and business day: sales, returns and net total, ordered."""
        t = ingested_records.c
        is_sale = sa.case((t.stream == "sales", 1), else_=0)
        is_return = sa.case((t.stream == "returns", 1), else_=0)
        query = (
            sa.select(
                t.register_id,
                t.business_day,
                t.currency,
                sa.func.sum(is_sale).label("transactions"),
                sa.func.sum(is_return).label("returns"),
                sa.func.sum(t.total_minor_units).label("net"),
            )
            .where(t.site_id == site_id, t.stream.in_(("sales", "returns")))
            .group_by(t.register_id, t.business_day, t.currency)
            .order_by(t.register_id, t.business_day, t.currency)
        )
        with self._db.read() as conn:
            return [
                RegisterDayTotal(
                    r.register_id,
                    r.business_day,
                    r.currency,
                    int(r.transactions),
                    int(r.returns),
                    int(r.net),
                )
                for r in conn.execute(query)
            ]
