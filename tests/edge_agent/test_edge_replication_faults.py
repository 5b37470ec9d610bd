"""Replication faults with real processes: the gateway SIGKILLed while it ingests a store's
pushes, and a store offline for a (simulated, seconds-scale) business day while its POS keeps
selling and the cloud keeps publishing and compacts its log past the store.

Afterwards both sides must agree: every sale in the cloud exactly once (register-day totals
reconcile with what the store recorded) and the store's rows equal the cloud's (checksums).
The offline day's scale comes from the environment, so a longer soak needs no code change:
COMMERCE_TEST_OFFLINE_SECONDS (3), COMMERCE_TEST_OFFLINE_SALES_PER_SECOND (40),
COMMERCE_TEST_OFFLINE_CHANGES_PER_SECOND (40).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import grpc

from ameide_core_proto.process.commerce.v1 import edge_pb2, pos_pb2, pos_pb2_grpc
from cloud.gateway.server import EdgeGateway
from edge_agent.outbox import read_outbox_pending
from tests.edge_agent.edge_process import agent_log, agent_process, free_port
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.pos_records import sale
from tests.edge_agent.real_gateway import CloudSide, enroll_at, running_gateway
from tests.edge_agent.test_edge_connection_faults import started_gateway
from tests.edge_agent.test_edge_replication_wire import (
    LONG_SCHEDULE,
    catalog_change,
    cloud_state,
    command_result,
    config_command,
    price_change,
    running_store,
    states,
)
from tests.support.stack import eventually

SALE_TOTAL = 2 * 250 - 50 + 95 + 1000 + 210  # what `pos_records.sale` adds up to


def _setting(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _cloud_sales(cloud: CloudSide) -> tuple[int, int]:
    """(transactions, net minor units) the cloud ingested for SITE."""
    totals = cloud.store.ingest.register_day_totals(SITE)
    return sum(t.transactions for t in totals), sum(t.net_minor_units for t in totals)


async def _reconciled(cloud: CloudSide, data_dir: Path) -> None:
    """RunUpsync through the command path: the store's register-day totals equal the
    cloud's, and nothing waits in the outbox."""
    command_id = f"up-{uuid.uuid4().hex[:8]}"
    await asyncio.to_thread(
        cloud.enqueue,
        edge_pb2.Command(command_id=command_id, run_upsync=edge_pb2.RunUpsyncCommand()),
        SITE,
    )
    result = await command_result(cloud, command_id)
    assert result.outcome == edge_pb2.COMMAND_OUTCOME_SUCCEEDED, (result, agent_log(data_dir))
    assert result.replication_status.outbox_pending == 0
    cloud_days = await asyncio.to_thread(cloud.store.ingest.register_day_totals, SITE)
    assert [
        (d.register_id, d.business_day, d.transactions, d.returns, d.net_minor_units)
        for d in result.replication_status.register_days
    ] == [
        (d.register_id, d.business_day, d.transactions, d.returns, d.net_minor_units)
        for d in cloud_days
    ]


class Till:
    """POS software recording sales one after another until stopped; counts what the
    agent accepted (an accepted sale is on the store's disk)."""

    def __init__(self, pos: pos_pb2_grpc.PosServiceStub, prefix: str) -> None:
        self._pos = pos
        self._prefix = prefix
        self.recorded = 0

    async def sell(self, stop: asyncio.Event, per_second: float | None = None) -> None:
        registers = ("till-1", "till-2", "till-3")
        while not stop.is_set():
            n = self.recorded
            record = sale(f"{self._prefix}{n}", register=registers[n % len(registers)])
            await self._pos.RecordSale(pos_pb2.RecordSaleRequest(sale=record))
            self.recorded += 1
            if per_second is not None:
                await asyncio.sleep(1 / per_second)


@contextlib.asynccontextmanager
async def selling(till: Till, per_second: float | None = None) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.ensure_future(till.sell(stop, per_second))
    try:
        yield
    finally:
        stop.set()
        await task


async def test_a_gateway_killed_while_it_ingests_loses_and_doubles_no_sale(
    tmp_path: Path,
) -> None:
    cloud = await asyncio.to_thread(
        CloudSide.under, tmp_path / "cloud", heartbeat_interval_seconds=1
    )
    agent_dir = tmp_path / "store"
    log = tmp_path / "gateway.log"
    pos_port = free_port()
    env = {
        "COMMERCE_EDGE_POS_ADDRESS": f"127.0.0.1:{pos_port}",
        "COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": LONG_SCHEDULE,
    }
    try:
        async with started_gateway(cloud.config, log) as gateway:
            await enroll_at(cloud, agent_dir, SITE)
            async with (
                agent_process(agent_dir, env),
                grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}") as channel,
            ):
                configured = await asyncio.to_thread(
                    cloud.enqueue, config_command(f"config-{uuid.uuid4().hex[:8]}"), SITE
                )
                assert (await command_result(cloud, configured)).outcome == (
                    edge_pb2.COMMAND_OUTCOME_SUCCEEDED
                )
                till = Till(pos_pb2_grpc.PosServiceStub(channel), "k")
                async with selling(till):
                    # The store pushes as it sells: kill the gateway once the cloud has
                    # ingested part of it, with pushes still coming.
                    async def ingesting() -> bool:
                        return (await asyncio.to_thread(_cloud_sales, cloud))[0] > 0

                    await eventually(ingesting, 60, 0.02)
                    gateway.send_signal(signal.SIGKILL)
                    gateway.wait(timeout=30)
                    killed_with = (await asyncio.to_thread(_cloud_sales, cloud))[0]
                    await asyncio.sleep(0.5)  # sales go on while the cloud is gone
                assert 0 < killed_with < till.recorded
                async with started_gateway(cloud.config, log):

                    async def all_in() -> bool:
                        count = (await asyncio.to_thread(_cloud_sales, cloud))[0]
                        return count >= till.recorded

                    await eventually(all_in, 60, 0.1)
                    assert await asyncio.to_thread(_cloud_sales, cloud) == (
                        till.recorded,
                        till.recorded * SALE_TOTAL,
                    )
                    await _reconciled(cloud, agent_dir)
                    assert await asyncio.to_thread(read_outbox_pending, agent_dir) == 0
    finally:
        await asyncio.to_thread(cloud.close)


async def test_a_store_offline_for_a_day_converges_with_the_cloud_when_it_returns(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    offline_seconds = _setting("COMMERCE_TEST_OFFLINE_SECONDS", 3)
    sales_per_second = _setting("COMMERCE_TEST_OFFLINE_SALES_PER_SECOND", 40)
    changes_per_second = _setting("COMMERCE_TEST_OFFLINE_CHANGES_PER_SECOND", 40)
    await asyncio.to_thread(
        cloud.store.changes.append,
        [catalog_change(f"{n:05d}") for n in range(200)]
        + [price_change(f"p{n}", f"{n:05d}", 100 + n) for n in range(200)],
    )
    async with running_store(cloud, site_dir) as store:

        async def caught_up() -> bool:
            got = await asyncio.to_thread(states, site_dir)
            return got.get("catalog", (0,))[0] == cloud.store.changes.head("catalog")

        await eventually(caught_up, 60, 0.1)
        await real_gateway.stop(grace=0.5)
        await eventually(lambda: "control stream down" in agent_log(site_dir), 20, 0.1)

        # The day offline: the POS keeps selling, the cloud keeps changing items and prices.
        till = Till(store.pos, "d")
        published = 0

        async def publish(stop: asyncio.Event) -> None:
            nonlocal published
            while not stop.is_set():
                n = published
                await asyncio.to_thread(
                    cloud.store.changes.append,
                    [
                        catalog_change(f"{n % 300:05d}", f"revised {n}"),
                        price_change(f"p{n % 250}", f"{n % 250:05d}", 500 + n),
                    ],
                )
                published += 1
                await asyncio.sleep(1 / changes_per_second)

        stop_publishing = asyncio.Event()
        publisher = asyncio.ensure_future(publish(stop_publishing))
        try:
            async with selling(till, sales_per_second):
                await asyncio.sleep(offline_seconds)
        finally:
            stop_publishing.set()
            await publisher
        assert till.recorded > 0 and published > 0
        pending = await asyncio.to_thread(read_outbox_pending, site_dir)
        assert pending == till.recorded  # every sale of the day waits on the store's disk
        assert await asyncio.to_thread(_cloud_sales, cloud) == (0, 0)
        # Overnight the cloud compacts its log past where the store stands.
        for stream in ("catalog", "prices"):
            head = await asyncio.to_thread(cloud.store.changes.head, stream)
            await asyncio.to_thread(cloud.store.changes.compact, stream, head + 1)

        async with running_gateway(cloud):

            async def converged() -> bool:
                got = await asyncio.to_thread(states, site_dir)
                for stream in ("catalog", "prices"):
                    if got.get(stream) != await asyncio.to_thread(cloud_state, cloud, stream):
                        return False
                return (await asyncio.to_thread(_cloud_sales, cloud))[0] == till.recorded

            try:
                await eventually(converged, 90, 0.2)
            except AssertionError:
                raise AssertionError(agent_log(site_dir)[-4000:]) from None
            assert await asyncio.to_thread(_cloud_sales, cloud) == (
                till.recorded,
                till.recorded * SALE_TOTAL,
            )
            await _reconciled(cloud, site_dir)
            assert "replaced by a snapshot" in agent_log(site_dir)
            # A price the cloud set during the day is what the POS now answers.
            last = published - 1
            price = await store.pos.GetPrice(
                pos_pb2.GetPriceRequest(sku=f"{last % 250:05d}", sales_channel_id="web-eu")
            )
            assert price.price.unit_price.minor_units == 500 + last
