"""Projection room: the reads point-of-sale software makes (items, prices, promotions, customers).

Functions over an open connection in a read transaction; blocking, so they run on a reader
thread, never on an event loop. Each returns the record as replicated, or None / empty.
"""

from __future__ import annotations

import sqlite3

from ameide_core_proto.process.commerce.v1 import records_pb2


def item_by_sku(conn: sqlite3.Connection, sku: str) -> records_pb2.CatalogItem | None:
    row = conn.execute("SELECT record FROM catalog_items WHERE sku = ?", (sku,)).fetchone()
    return None if row is None else records_pb2.CatalogItem.FromString(row[0])


def item_by_barcode(conn: sqlite3.Connection, barcode: str) -> records_pb2.CatalogItem | None:
    row = conn.execute(
        "SELECT i.record FROM catalog_barcodes b JOIN catalog_items i ON i.sku = b.sku "
        "WHERE b.barcode = ?",
        (barcode,),
    ).fetchone()
    return None if row is None else records_pb2.CatalogItem.FromString(row[0])


def price_at(
    conn: sqlite3.Connection, sku: str, channel: str, at_micros: int
) -> records_pb2.Price | None:
    """The price in effect at `at_micros`: the latest effective_from <= it, whose
    effective_until is unset or later."""
    row = conn.execute(
        "SELECT record FROM prices WHERE sku = ? AND sales_channel_id = ? "
        "AND effective_from <= ? AND (effective_until IS NULL OR effective_until > ?) "
        "ORDER BY effective_from DESC LIMIT 1",
        (sku, channel, at_micros, at_micros),
    ).fetchone()
    return None if row is None else records_pb2.Price.FromString(row[0])


def active_promotions(
    conn: sqlite3.Connection, channel: str, sku: str, at_micros: int
) -> list[records_pb2.Promotion]:
    """Promotions of `channel` in effect at `at_micros`; with `sku`, those that apply to it."""
    found = []
    for (record,) in conn.execute(
        "SELECT record FROM promotions WHERE sales_channel_id = ? "
        "AND (starts_at IS NULL OR starts_at <= ?) AND (ends_at IS NULL OR ends_at > ?) "
        "ORDER BY promotion_id",
        (channel, at_micros, at_micros),
    ):
        promotion = records_pb2.Promotion.FromString(record)
        if not sku or not promotion.skus or sku in promotion.skus:
            found.append(promotion)
    return found


_CUSTOMER_COLUMNS = {"customer_id", "loyalty_number", "email", "phone"}


def customer_by(
    conn: sqlite3.Connection, channel: str, column: str, value: str
) -> records_pb2.Customer | None:
    """A customer of `channel` whose `column` equals `value` (emails compare case-blind)."""
    if column not in _CUSTOMER_COLUMNS:
        raise ValueError(f"cannot look customers up by {column!r}")
    if column == "email":
        value = value.lower()
    row = conn.execute(
        f"SELECT record FROM customers WHERE {column} = ? AND sales_channel_id = ? LIMIT 1",
        (value, channel),
    ).fetchone()
    return None if row is None else records_pb2.Customer.FromString(row[0])


def store_configuration(
    conn: sqlite3.Connection, site_id: str
) -> records_pb2.StoreConfiguration | None:
    row = conn.execute(
        "SELECT record FROM store_configuration WHERE site_id = ?", (site_id,)
    ).fetchone()
    return None if row is None else records_pb2.StoreConfiguration.FromString(row[0])
