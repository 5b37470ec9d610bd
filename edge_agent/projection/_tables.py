"""Projection room: how each downsync stream's records become rows of its tables.

Pure except for the SQL text it hands out: one `StreamTable` per stream names the record
field it carries (the `Change.record` oneof), its live table and the columns a record fills.
The `staging_` twin of every table has the same shape (see `_migrations`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter, methodcaller
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from ameide_core_proto.process.commerce.v1 import records_pb2

Row = tuple[Any, ...]


def micros(ts: Timestamp) -> int:
    """A timestamp as integer microseconds since the epoch (how the tables store time)."""
    return ts.seconds * 1_000_000 + ts.nanos // 1000


def _optional_micros(message: Any, field: str) -> int | None:
    return micros(getattr(message, field)) if message.HasField(field) else None


def _catalog_row(key: str, item: records_pb2.CatalogItem, record: Any) -> Row:
    return (key, record)


def _price_row(key: str, price: records_pb2.Price, record: Any) -> Row:
    return (
        key,
        price.sku,
        price.sales_channel_id,
        micros(price.effective_from),
        _optional_micros(price, "effective_until"),
        record,
    )


def _catalog_rows(keys: Sequence[str], items: Sequence[Any], records: Sequence[Any]) -> list[Row]:
    return list(zip(keys, records, strict=True))


_SKU = attrgetter("sku")
_CHANNEL = attrgetter("sales_channel_id")
_FROM = attrgetter("effective_from")
_HAS_UNTIL = methodcaller("HasField", "effective_until")


def _price_rows(keys: Sequence[str], prices: Sequence[Any], records: Sequence[Any]) -> list[Row]:
    """`_price_row` over a whole page, one column at a time (the hot path of a downsync)."""
    starts = [t.seconds * 1_000_000 + t.nanos // 1000 for t in map(_FROM, prices)]
    if any(map(_HAS_UNTIL, prices)):
        ends = [_optional_micros(p, "effective_until") for p in prices]
    else:
        ends = [None] * len(prices)
    return list(
        zip(keys, map(_SKU, prices), map(_CHANNEL, prices), starts, ends, records, strict=True)
    )


def _promotion_row(key: str, promo: records_pb2.Promotion, record: Any) -> Row:
    return (
        key,
        promo.sales_channel_id,
        _optional_micros(promo, "starts_at"),
        _optional_micros(promo, "ends_at"),
        record,
    )


def _customer_row(key: str, customer: records_pb2.Customer, record: Any) -> Row:
    return (
        key,
        customer.sales_channel_id,
        customer.loyalty_number or None,
        customer.email.lower() or None,
        customer.phone or None,
        record,
    )


def _store_config_row(key: str, config: records_pb2.StoreConfiguration, record: Any) -> Row:
    return (key, record)


@dataclass(frozen=True)
class StreamTable:
    """Where one stream's live rows go."""

    stream: str
    record_field: str  # the `Change.record` oneof member this stream carries
    table: str
    key_column: str
    columns: tuple[str, ...]  # key first, record last
    row: Callable[[str, Any, Any], Row]
    # Catalog only: barcode -> sku rows kept beside the items.
    has_barcodes: bool = False
    # `row` over whole columns (keys, records parsed, record column), where a stream is large.
    rows_of: Callable[[Sequence[str], Sequence[Any], Sequence[Any]], list[Row]] | None = None

    def rows(
        self, keys: Sequence[str], messages: Sequence[Any], records: Sequence[Any]
    ) -> list[Row]:
        """The rows of live records, in the order given; the last column is `records`' item
        (the record's bytes, or where they are: see `upsert_sql`)."""
        if self.rows_of is not None:
            return self.rows_of(keys, messages, records)
        row = self.row
        return [row(k, m, r) for k, m, r in zip(keys, messages, records, strict=True)]

    def upsert_sql(self, prefix: str) -> str:
        """One statement writing a whole page: `?1` is the page's rows as a JSON array whose
        last column is each record's `[offset, length]` in `?2`, every record's bytes joined.

        The page is written in one step inside SQLite, which runs without the interpreter
        lock: the next page's preparation runs on the other core meanwhile, instead of the
        writer waiting for the lock between rows as `executemany` does.
        """
        last = len(self.columns) - 1
        values = ", ".join(f"value ->> {i}" for i in range(last))
        record = f"substr(?2, value ->> '$[{last}][0]', value ->> '$[{last}][1]')"
        return (
            f"INSERT OR REPLACE INTO {prefix}{self.table} ({', '.join(self.columns)}) "
            f"SELECT {values}, {record} FROM json_each(?1)"
        )

    def tables(self) -> tuple[str, ...]:
        return (self.table, "catalog_barcodes") if self.has_barcodes else (self.table,)


STREAM_TABLES: dict[str, StreamTable] = {
    t.stream: t
    for t in (
        StreamTable(
            "catalog",
            "catalog_item",
            "catalog_items",
            "sku",
            ("sku", "record"),
            _catalog_row,
            has_barcodes=True,
            rows_of=_catalog_rows,
        ),
        StreamTable(
            "prices",
            "price",
            "prices",
            "price_id",
            ("price_id", "sku", "sales_channel_id", "effective_from", "effective_until", "record"),
            _price_row,
            rows_of=_price_rows,
        ),
        StreamTable(
            "promotions",
            "promotion",
            "promotions",
            "promotion_id",
            ("promotion_id", "sales_channel_id", "starts_at", "ends_at", "record"),
            _promotion_row,
        ),
        StreamTable(
            "customers",
            "customer",
            "customers",
            "customer_id",
            ("customer_id", "sales_channel_id", "loyalty_number", "email", "phone", "record"),
            _customer_row,
        ),
        StreamTable(
            "store-config",
            "store_configuration",
            "store_configuration",
            "site_id",
            ("site_id", "record"),
            _store_config_row,
        ),
    )
}
