"""Benchmark room: applying downsync pages to a real projection file vs raw `executemany`.

Prints a table (never pass/fail): rows/s of `Projection.apply_page` for N catalog+price rows
(half items with a barcode each, half prices) in zlib pages, end to end from encoded page to
committed checkpoint, against `sqlite3.executemany` of the same rows in one transaction into
a WAL database. Touches only a temporary directory and the JSON it writes (`--output`,
bench/results/projection.json by default). `python -m bench.projection_apply`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import zlib
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import records_pb2, sync_pb2
from bench._anchor import catalog_price_records, raw_executemany
from bench._machine import machine_info
from edge_agent.projection import Projection


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
    parser.add_argument(
        "--output", type=Path, default=Path("bench/results/projection.json"), help="JSON figures"
    )
    args = parser.parse_args()
    items, prices = catalog_price_records(args.rows)
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
    machine = machine_info()
    print(f"machine: {machine}")
    result = {
        "rows": rows,
        "page_size": size,
        "raw_sqlite_rows_per_s": round(rows / raw),
        "apply_change_pages_rows_per_s": round(rows / applied),
        "apply_snapshot_pages_rows_per_s": round(rows / swapped),
        "apply_vs_raw": round(raw / applied, 3),
        "snapshot_vs_raw": round(raw / swapped, 3),
        "machine": machine,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
