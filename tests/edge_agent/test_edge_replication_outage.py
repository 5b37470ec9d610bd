"""Replication across an outage and across processes: the REAL gateway (in this process) and
a REAL `commerce-edge run` process. Sales recorded while the gateway is down are pushed once
it is back; failed sync calls are classified once (retryable or not); a change appended by
another process (no publish through this gateway) still reaches the agent through the
gateway's poll of the stream heads."""

from __future__ import annotations

import asyncio
from pathlib import Path

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import pos_pb2, sync_pb2, sync_pb2_grpc
from cloud.gateway.server import EdgeGateway
from edge_agent.control.sync_channel import SyncChannel, SyncRefused, sync_failure
from edge_agent.errors import CloudUnreachable
from tests.edge_agent.edge_process import agent_log, free_port
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
        # The POS is answered from the outbox while the cloud is away.
        await eventually(lambda: "control stream down" in agent_log(site_dir), 20, 0.1)
        assert await asyncio.to_thread(cloud.store.ingest.register_day_totals, SITE) == []

        async with running_gateway(cloud):

            async def arrived() -> bool:
                totals = await asyncio.to_thread(cloud.store.ingest.register_day_totals, SITE)
                return [t.transactions for t in totals] == [3]

            # Bounded by the control stream's redial (0.5 s in tests) plus the push itself.
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


async def test_failed_sync_calls_are_classified_once_transient_or_not(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    channel = SyncChannel(site_dir)
    try:
        stub = await channel.stub()
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await stub.PullChanges(
                sync_pb2.PullChangesRequest(checkpoints=[sync_pb2.StreamCheckpoint(stream="x")])
            )
        permanent = sync_failure(refused.value, "PullChanges")
        assert isinstance(permanent, SyncRefused) and not permanent.retryable
        assert "PERMISSION_DENIED" in str(permanent) and "'x'" in str(permanent)
    finally:
        await channel.close()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{free_port()}") as nowhere:
        with pytest.raises(grpc.aio.AioRpcError) as down:
            await sync_pb2_grpc.EdgeSyncServiceStub(nowhere).PullChanges(
                sync_pb2.PullChangesRequest(), timeout=5
            )
    transient = sync_failure(down.value, "PullChanges")
    assert isinstance(transient, CloudUnreachable) and transient.retryable
    assert "UNAVAILABLE" in str(transient) and "retrying" in str(transient)
