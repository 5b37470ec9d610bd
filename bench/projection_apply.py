"""Benchmark room: applying downsync pages to a real projection file vs raw `executemany`.

Prints a table (never pass/fail): rows/s of `Projection.apply_page` for N catalog+price rows
(half items with a barcode each, half prices) in zlib pages, end to end from encoded page to
committed checkpoint, against `sqlite3.executemany` of the same rows in one transaction into
a WAL database. Touches only a temporary directory. `python -m bench.projection_apply`.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import tempfile
import time
import zlib
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import records_pb2, sync_pb2
from edge_agent.projection import Projection


def _records(n: int) -> tuple[list[records_pb2.Change], list[records_pb2.Change]]:
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


def _pages(
    stream: str, changes: list[records_pb2.Change], size: int, *, snapshot: bool = False
) -> list[sync_pb2.ChangePage]:
    pages = []
    for start in range(0, len(changes), size):
        chunk = changes[start : start + size]
        payload = zlib.compress(records_pb2.ChangeList(changes=chunk).SerializeToString(), 1)
        pages.append(
            sync_pb2.ChangePage(
                stream=stream,
                after_seq=start,
                through_seq=chunk[-1].seq,
                head_seq=len(changes),
                change_count=len(chunk),
                encoding=sync_pb2.PAGE_ENCODING_ZLIB,
                payload=payload,
                snapshot=snapshot,
                snapshot_complete=snapshot and start + size >= len(changes),
            )
        )
    return pages


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


async def apply_pages(data_dir: Path, pages: list[sync_pb2.ChangePage]) -> float:
    projection = await Projection.open(data_dir)
    try:
        started = time.perf_counter()
        await projection.apply_pages(pages)
        return time.perf_counter() - started
    finally:
        await projection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000, help="catalog+price rows")
    parser.add_argument("--page-size", type=int, default=20_000, help="changes per page")
    args = parser.parse_args()
    items, prices = _records(args.rows)
    size = args.page_size
    changes = _pages("catalog", items, size) + _pages("prices", prices, size)
    snapshot = _pages("catalog", items, size, snapshot=True) + _pages(
        "prices", prices, size, snapshot=True
    )
    with tempfile.TemporaryDirectory() as tmp:
        raw = raw_executemany(Path(tmp) / "raw.db", items, prices)
        applied = asyncio.run(apply_pages(Path(tmp) / "agent", changes))
        swapped = asyncio.run(apply_pages(Path(tmp) / "agent-snapshot", snapshot))
    rows = len(items) + len(prices)
    print(f"{rows:,} catalog+price rows, pages of {size:,} changes")
    print(f"{'what':<44} {'seconds':>8} {'rows/s':>10} {'vs raw':>7}")
    for name, seconds in (
        ("raw sqlite3 executemany (WAL, one txn)", raw),
        ("Projection.apply_pages, change pages (zlib)", applied),
        ("Projection.apply_pages, snapshot pages", swapped),
    ):
        print(f"{name:<44} {seconds:>8.2f} {rows / seconds:>10,.0f} {raw / seconds:>7.2f}")


if __name__ == "__main__":
    main()
