"""The cloud killed (SIGKILL) in the middle of gift card redemptions: the REAL gateway as its
own process, a REAL agent, redemptions fired concurrently through the POS API. After the
gateway is back and the store has settled: the card's balance in the cloud is the start minus
exactly the redemptions the cloud approved, none was applied twice, and every decision the
store took on its own is accounted for."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.store.realtime_tables import gift_card_entries, realtime_operations
from edge_agent.realtime.journal import Journal
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.real_gateway import CloudSide, enroll_at
from tests.edge_agent.test_edge_connection_faults import started_gateway
from tests.edge_agent.test_edge_realtime import _decide, realtime_store
from tests.support.realtime_ops import load, redeem
from tests.support.stack import eventually

REDEMPTIONS = 40
TILLS = 4


@pytest.fixture
async def cloud_side(tmp_path: Path) -> AsyncIterator[CloudSide]:
    side = await asyncio.to_thread(
        CloudSide.under, tmp_path / "cloud", heartbeat_interval_seconds=1
    )
    try:
        yield side
    finally:
        await asyncio.to_thread(side.close)


def _count(cloud: CloudSide, table: sa.Table, **where: object) -> int:
    with cloud.store.engine.connect() as conn:
        query = sa.select(sa.func.count()).select_from(table)
        for column, value in where.items():
            query = query.where(table.c[column] == value)
        return int(conn.execute(query).scalar_one())


async def test_cloud_killed_mid_redemption_applies_each_redemption_at_most_once(
    cloud_side: CloudSide, tmp_path: Path
) -> None:
    cloud, site_dir = cloud_side, tmp_path / "store"
    log = tmp_path / "gateway.log"
    async with started_gateway(cloud.config, log) as gateway:
        await enroll_at(cloud, site_dir, SITE)
        async with realtime_store(cloud, site_dir) as pos:
            assert (await _decide(pos, load("load-1", "GC-K", 10_000))).verdict == (
                realtime_pb2.VERDICT_APPROVED
            )
            ops = [redeem(f"r-{n:02d}", "GC-K", 100) for n in range(REDEMPTIONS)]
            # A few tills at a time, so redemptions are still coming when the kill lands
            # however fast the cloud answers (the cloud groups decisions that arrive together).
            tills = asyncio.Semaphore(TILLS)

            async def till(op: realtime_pb2.RealtimeOperation) -> realtime_pb2.RealtimeDecision:
                async with tills:
                    return await _decide(pos, op)

            calls = [asyncio.ensure_future(till(op)) for op in ops]

            def some_applied() -> bool:
                return _count(cloud, gift_card_entries, card_number="GC-K") >= 6

            await eventually(some_applied, 30, 0.01)
            os.kill(gateway.pid, signal.SIGKILL)
            decisions = await asyncio.gather(*calls)

        by_store = [d for d in decisions if d.decided_by == realtime_pb2.DECIDED_BY_STORE_POLICY]
        assert by_store, "the kill came after every redemption: nothing was tested"
        assert all(d.verdict == realtime_pb2.VERDICT_APPROVED for d in decisions)

    async with (
        started_gateway(cloud.config, tmp_path / "gateway-2.log"),
        realtime_store(cloud, site_dir),
    ):

        async def settled() -> bool:
            journal = await Journal.open(site_dir)
            try:
                return (await journal.summary("2000-01-01")).unsettled == 0
            finally:
                await journal.close()

        await eventually(settled, 60, 0.2)

    applied = _count(cloud, gift_card_entries, card_number="GC-K") - 1  # minus the load
    assert applied == REDEMPTIONS  # every redemption applied exactly once in the cloud
    assert _count(cloud, realtime_operations, site_id=SITE) == REDEMPTIONS + 1
    balance = await asyncio.to_thread(cloud.store.realtime_cases.gift_card_balance, "GC-K")
    assert balance == ("EUR", 10_000 - 100 * REDEMPTIONS)
    assert await asyncio.to_thread(cloud.store.realtime_cases.cases) == []
