"""Upsync batches bounded by bytes: the REAL gateway (in this process, real mTLS on loopback,
its default 256 KiB max message size, real cloud store on SQLite) and a REAL `commerce-edge
run` process. Sales large enough that 500 of them exceed what the gateway accepts all arrive
exactly once; a sale too large to push alone is named on the health page and in `status`, and
the rest keeps flowing."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import grpc
import httpx

from ameide_core_proto.process.commerce.v1 import pos_pb2, pos_pb2_grpc, records_pb2, sync_pb2
from cloud.gateway.server import EdgeGateway
from edge_agent.control.sync_channel import SyncChannel
from edge_agent.health.report import gather_status
from edge_agent.outbox import Outbox, outbox_path, read_outbox_pending, read_outbox_refused
from edge_agent.replication.upsync import Upsync
from tests.edge_agent.edge_process import agent_log, agent_process, free_port
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.pos_records import line, sale
from tests.edge_agent.real_gateway import CloudSide
from tests.edge_agent.test_edge_replication_wire import LONG_SCHEDULE
from tests.support.stack import eventually

GATEWAY_LIMIT = 256 * 1024


def large_sale(transaction_id: str, lines: int) -> records_pb2.SalesTransaction:
    """A valid sale of `lines` lines (about 45 bytes each), totals adding up."""
    s = sale(transaction_id)
    del s.lines[:]
    s.lines.extend(line(n + 1, f"SKU-{n:06d}", 1, 100 + n % 7, tax=21) for n in range(lines))
    total = sum(li.line_total.minor_units for li in s.lines)
    s.total.minor_units = total
    s.tenders[0].amount.minor_units = total
    return s


async def record_before_start(site_dir: Path, sales: list[records_pb2.SalesTransaction]) -> None:
    """Recorded while the agent is down (a till catching up), so they are pushed together."""
    outbox = await Outbox.open(site_dir)
    try:
        for s in sales:
            await outbox.record(sync_pb2.UpstreamRecord(sales_transaction=s))
    finally:
        await outbox.close()


async def cloud_sales(cloud: CloudSide) -> tuple[int, int]:
    totals = await asyncio.to_thread(cloud.store.ingest.register_day_totals, SITE)
    return sum(t.transactions for t in totals), sum(t.net_minor_units for t in totals)


async def test_600_large_sales_arrive_once_and_a_sale_too_large_is_named_not_retried(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    assert cloud.config.max_message_bytes == GATEWAY_LIMIT
    sales = [large_sale(f"big-{n:04d}", 20) for n in range(600)]
    assert sum(s.ByteSize() for s in sales[:500]) > 2 * GATEWAY_LIMIT
    huge = large_sale("huge-1", 7000)
    assert huge.ByteSize() > GATEWAY_LIMIT
    await record_before_start(site_dir, [*sales[:300], huge, *sales[300:]])
    expected = (600, sum(s.total.minor_units for s in sales))

    pos_port, health_port = free_port(), free_port()
    env = {
        "COMMERCE_EDGE_POS_ADDRESS": f"127.0.0.1:{pos_port}",
        "COMMERCE_EDGE_HEALTH_ADDRESS": f"127.0.0.1:{health_port}",
        "COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": LONG_SCHEDULE,
    }
    async with agent_process(site_dir, env):

        async def all_ingested() -> bool:
            return await cloud_sales(cloud) == expected

        await eventually(all_ingested, 60, 0.1)
        assert await asyncio.to_thread(read_outbox_pending, site_dir) == 0, agent_log(site_dir)

        # The rest keeps flowing: a sale recorded now reaches the cloud too.
        async with grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}") as channel:
            pos = pos_pb2_grpc.PosServiceStub(channel)
            await pos.RecordSale(pos_pb2.RecordSaleRequest(sale=sale("after-1")))
        later = (601, expected[1] + sale("x").total.minor_units)

        async def later_ingested() -> bool:
            return await cloud_sales(cloud) == later

        await eventually(later_ingested, 20, 0.05)

        # The huge sale: refused for good, named on the health page (not retried, not sent).
        async with httpx.AsyncClient(timeout=5) as http:
            body = (await http.get(f"http://127.0.0.1:{health_port}/health.json")).json()
            page = (await http.get(f"http://127.0.0.1:{health_port}/")).text
        assert len(body["outbox_refused"]) == 1, body
        assert body["outbox_refused"][0].startswith("sales/huge-1 is ")
        assert "upsync_batch_max_bytes" in body["outbox_refused"][0]
        assert "sales/huge-1" in page
        assert agent_log(site_dir).count("refused record sales/huge-1") == 1

    # `commerce-edge status` reads the same from disk.
    refused = await asyncio.to_thread(read_outbox_refused, site_dir)
    assert [r.record_id for r in refused] == ["sales/huge-1"]
    report = await asyncio.to_thread(gather_status, site_dir)
    assert report.outbox_pending == 0
    assert report.outbox_refused == (refused[0].reason,)
    assert await cloud_sales(cloud) == later  # exactly once: nothing arrived twice


async def test_a_batch_the_gateway_refuses_as_too_large_is_split_and_all_arrive_once(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    # The agent's byte bound set above the gateway's: the gateway answers RESOURCE_EXHAUSTED.
    sales = [large_sale(f"split-{n:04d}", 20) for n in range(500)]
    huge = large_sale("huge-2", 7000)  # under the agent's bound, over the gateway's
    assert GATEWAY_LIMIT < huge.ByteSize() < 1024 * 1024
    await record_before_start(site_dir, [huge, *sales])
    expected = (500, sum(s.total.minor_units for s in sales))
    env = {
        "COMMERCE_EDGE_UPSYNC_BATCH_MAX_BYTES": str(4 * 1024 * 1024),
        "COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": LONG_SCHEDULE,
    }
    async with agent_process(site_dir, env):

        async def all_ingested() -> bool:
            return await cloud_sales(cloud) == expected

        await eventually(all_ingested, 60, 0.1)

        async def nothing_pending() -> bool:
            return await asyncio.to_thread(read_outbox_pending, site_dir) == 0

        await eventually(nothing_pending, 20, 0.05)
        log = agent_log(site_dir)
    assert "RESOURCE_EXHAUSTED" in log and "splitting the batch" in log
    refused = await asyncio.to_thread(read_outbox_refused, site_dir)
    assert [r.record_id for r in refused] == ["sales/huge-2"]
    assert "larger than the gateway accepts" in refused[0].reason
    assert await cloud_sales(cloud) == expected


class CountingChannel:
    """The real `SyncChannel` to the real gateway, counting the pushes open at once (a spy
    around the real part, not a stand-in for it)."""

    def __init__(self, real: SyncChannel) -> None:
        self.real = real
        self.open = 0
        self.most_open = 0
        self.batch_ids: list[str] = []

    async def wait_usable(self, stopping: asyncio.Event) -> None:
        await self.real.wait_usable(stopping)

    async def pull_changes(
        self, request: sync_pb2.PullChangesRequest, timeout: float
    ) -> sync_pb2.PullChangesResponse:
        return await self.real.pull_changes(request, timeout)

    async def push_records(
        self, request: sync_pb2.PushRecordsRequest, timeout: float
    ) -> sync_pb2.PushRecordsResponse:
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        self.batch_ids.append(request.batch_id)
        try:
            return await self.real.push_records(request, timeout)
        finally:
            self.open -= 1


async def test_two_batches_in_flight_deliver_every_sale_once_and_mark_them_sent_in_order(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    sales = [large_sale(f"pipe-{n:04d}", 20) for n in range(1500)]
    await record_before_start(site_dir, sales)
    channel = CountingChannel(SyncChannel(site_dir))
    outbox = await Outbox.open(site_dir)
    try:
        pushed = await Upsync(channel, outbox, batch_max_bytes=64 * 1024).push_pending()
        assert pushed.ingested == 1500 and pushed.duplicates == 0
        assert pushed.batches == len(channel.batch_ids) > 10
        assert channel.most_open == 2  # the next batch went out before the first was acked
        assert await outbox.outbox_pending() == 0
        assert await outbox.pending() is None
    finally:
        await outbox.close()
        await channel.real.close()
    assert await cloud_sales(cloud) == (1500, sum(s.total.minor_units for s in sales))
    # Marked sent in recording order: batch ids are handed out by position, one after another.
    conn = sqlite3.connect(outbox_path(site_dir))
    try:
        order = [b for (b,) in conn.execute("SELECT batch_id FROM outbox ORDER BY position")]
    finally:
        conn.close()
    assert list(dict.fromkeys(order)) == channel.batch_ids
