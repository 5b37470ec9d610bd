"""A large downsync page never holds up the store: while one is being applied, lookups read
the last committed rows and sales are recorded (the outbox has its own file and writer)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import sync_pb2
from edge_agent.outbox import Outbox
from edge_agent.projection import Projection
from tests.edge_agent.pos_records import sale
from tests.edge_agent.replication_pages import changes, item, page

ROWS = 200_000


async def test_lookups_and_sales_complete_while_a_large_page_is_applied(tmp_path: Path) -> None:
    projection = await Projection.open(tmp_path)
    outbox = await Outbox.open(tmp_path)
    try:
        await projection.apply_page(page("catalog", 0, changes([item("KNOWN", "1")], 1)))
        large = page("catalog", 1, changes([item(f"S{i:07d}") for i in range(ROWS)], 2))
        applying = asyncio.ensure_future(projection.apply_page(large))
        await asyncio.sleep(0)  # let it start
        found = await projection.item_by_barcode("1")
        recorded = await outbox.record(sync_pb2.UpstreamRecord(sales_transaction=sale("T1")))
        ticks = 0
        while not applying.done() and ticks < 3:  # the loop itself keeps turning meanwhile
            await asyncio.sleep(0.01)
            ticks += 1
        assert not applying.done(), "the page finished before the store was asked anything"
        assert found == item("KNOWN", "1")
        assert recorded.newly_recorded
        assert await projection.item_by_sku(f"S{ROWS - 1:07d}") is None  # not committed yet
        done = await applying
        assert done.rows == ROWS + 1
    finally:
        await outbox.close()
        await projection.close()
