"""Benchmark room: the physical anchor of the replication benches.

N catalog+price rows (half items with one barcode each, half prices) as `Change` records, and
`sqlite3.executemany` of the same rows into the projection's tables and indexes, in one
transaction, into a WAL database. Touches only the path it is given.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import records_pb2


def catalog_price_records(n: int) -> tuple[list[records_pb2.Change], list[records_pb2.Change]]:
    """n // 2 catalog items (one barcode each) and n // 2 prices, as the cloud sends them."""
    items, prices = [], []
    for i in range(n // 2):
        sku = f"SKU-{i:08d}"
        change = records_pb2.Change(stream="catalog", seq=i + 1, key=sku, scope="channel/bench")
        item = change.catalog_item
        item.sku = sku
        item.barcodes.append(f"{8_700_000_000_000 + i}")
        item.description = f"Synthetic item {i}"
        item.department = f"dept-{i % 40}"
        item.tax_class = "standard"
        item.active = True
        items.append(change)
        pchange = records_pb2.Change(
            stream="prices", seq=i + 1, key=f"P-{i:08d}", scope="channel/bench"
        )
        price = pchange.price
        price.price_id = pchange.key
        price.sku = sku
        price.sales_channel_id = "bench"
        price.unit_price.currency = "EUR"
        price.unit_price.minor_units = 100 + i % 5000
        price.effective_from.FromSeconds(1_700_000_000)
        prices.append(pchange)
    return items, prices


def raw_executemany(
    path: Path, items: list[records_pb2.Change], prices: list[records_pb2.Change]
) -> float:
    """The physical anchor: the same rows and indexes, one transaction, no protobuf decoding."""
    item_rows = [(c.key, c.catalog_item.SerializeToString()) for c in items]
    barcode_rows = [(c.catalog_item.barcodes[0], c.key) for c in items]
    price_rows = [
        (c.key, c.price.sku, "bench", 1_700_000_000_000_000, None, c.price.SerializeToString())
        for c in prices
    ]
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.executescript(
        "CREATE TABLE catalog_items (sku TEXT PRIMARY KEY, record BLOB NOT NULL);"
        "CREATE TABLE catalog_barcodes (barcode TEXT PRIMARY KEY, sku TEXT NOT NULL);"
        "CREATE INDEX catalog_barcodes_by_sku ON catalog_barcodes (sku);"
        "CREATE TABLE prices (price_id TEXT PRIMARY KEY, sku TEXT NOT NULL, sales_channel_id"
        " TEXT NOT NULL, effective_from INTEGER NOT NULL, effective_until INTEGER,"
        " record BLOB NOT NULL);"
        "CREATE INDEX prices_by_item ON prices (sku, sales_channel_id, effective_from);"
    )
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany("INSERT INTO catalog_items VALUES (?, ?)", item_rows)
    conn.executemany("INSERT INTO catalog_barcodes VALUES (?, ?)", barcode_rows)
    conn.executemany("INSERT INTO prices VALUES (?, ?, ?, ?, ?, ?)", price_rows)
    conn.execute("COMMIT")
    elapsed = time.perf_counter() - started
    conn.close()
    return elapsed
