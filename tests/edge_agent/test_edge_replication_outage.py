"""Replication across an outage and across processes: the REAL gateway (in this process) and a
REAL `commerce-edge run` process. A push that fails while the gateway is down is retried
until it lands; a change appended by another process (no publish through this gateway)
still reaches the agent through the gateway's poll of the stream heads."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc

from ameide_core_proto.process.commerce.v1 import pos_pb2
from cloud.gateway.server import EdgeGateway
from tests.edge_agent.edge_process import agent_log
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.pos_records import sale
from tests.edge_agent.real_gateway import CloudSide, running_gateway
from tests.edge_agent.test_edge_replication_wire import catalog_change, running_store
from tests.support.stack import eventually


async def test_sales_recorded_while_the_gateway_is_down_arrive_once_it_is_back(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    async with running_store(cloud, site_dir) as store:
        await real_gateway.stop(grace=0.5)
        for n in range(3):
            await store.pos.RecordSale(pos_pb2.RecordSaleRequest(sale=sale(f"o{n}")))
        # The POS is answered from the outbox; the push fails and is retried.
        await eventually(lambda: "upsync failed (PushRecords" in agent_log(site_dir), 20, 0.1)
        assert "retrying with backoff" in agent_log(site_dir)
        assert await asyncio.to_thread(cloud.store.ingest.register_day_totals, SITE) == []

        async with running_gateway(cloud):

            async def arrived() -> bool:
                totals = await asyncio.to_thread(cloud.store.ingest.register_day_totals, SITE)
                return [t.transactions for t in totals] == [3]

            # Bounded by the longest retry delay (10 s) plus the push itself.
            await eventually(arrived, 30, 0.1)


async def test_a_change_appended_by_another_process_reaches_the_agent_without_the_schedule(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    async with running_store(cloud, site_dir) as store:
        # Straight into the cloud store, as `commerce-cloud data import` in its own process:
        # the gateway learns of it only by polling the heads.
        await asyncio.to_thread(cloud.store.changes.append, [catalog_change("424242")])

        async def visible() -> bool:
            try:
                await store.pos.GetItem(pos_pb2.GetItemRequest(sku="424242"))
            except grpc.aio.AioRpcError as exc:
                assert exc.code() == grpc.StatusCode.NOT_FOUND, exc.details()
                return False
            return True

        await eventually(visible, 15, 0.05)
