"""Test support: real stores (agent processes behind cut-able links) on the real cloud stack,
and the two-stores-spend-one-card-offline scenario the e2e test and the history recorder share.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import grpc

from ameide_core_proto.process.commerce.v1 import pos_pb2, pos_pb2_grpc, realtime_pb2
from edge_agent.realtime.journal import Journal, JournalSummary
from tests.support.cut_proxy import CutProxy, point_agent_at
from tests.support.realtime_ops import load, redeem
from tests.support.stack import Stack, agent_log_tail, agent_process, enroll_agent, free_port

RESULT_TIMEOUT = 120.0


@dataclass
class RealStore:
    site_id: str
    data_dir: Path
    link: CutProxy
    pos: pos_pb2_grpc.PosServiceStub

    async def decide(self, op: realtime_pb2.RealtimeOperation) -> realtime_pb2.RealtimeDecision:
        response = await self.pos.DecideOperation(pos_pb2.DecideOperationRequest(operation=op))
        return response.decision

    def log(self) -> str:
        return agent_log_tail(self.data_dir, 1_000_000)

    async def journal(self) -> JournalSummary:
        journal = await Journal.open(self.data_dir)
        try:
            return await journal.summary("2000-01-01")
        finally:
            await journal.close()


@contextlib.asynccontextmanager
async def real_store(stack: Stack, site_id: str, root: Path) -> AsyncIterator[RealStore]:
    """Provision `site_id`, enroll a real agent whose control link runs through a CutProxy,
    run it with its POS API, and wait until the site is ready."""
    handle, status = await stack.provision(site_id)
    data_dir = root / site_id
    done = await enroll_agent(stack.enrollment(status), data_dir)
    assert done.returncode == 0, done.stderr
    assert stack.running.ports is not None
    link = CutProxy(stack.running.ports.control)
    point_agent_at(data_dir, await link.start())
    pos_port = free_port()
    env = {
        "COMMERCE_EDGE_POS_ADDRESS": f"127.0.0.1:{pos_port}",
        "COMMERCE_EDGE_REALTIME_DEADLINE_SECONDS": "1",
        "COMMERCE_EDGE_RECONNECT_INITIAL_SECONDS": "0.05",
        "COMMERCE_EDGE_RECONNECT_MAX_SECONDS": "0.5",
        "COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": "3600",
    }
    try:
        async with agent_process(data_dir, env):
            try:
                await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
            except BaseException:
                log = agent_log_tail(data_dir)
                raise AssertionError(f"{site_id} not ready; agent log:\n{log}") from None
            async with grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}") as channel:
                await asyncio.wait_for(channel.channel_ready(), 15)
                yield RealStore(site_id, data_dir, link, pos_pb2_grpc.PosServiceStub(channel))
    finally:
        await link.stop()


async def eventually(predicate: object, timeout: float = 60.0, what: str = "") -> None:
    from tests.support.stack import eventually as _eventually

    try:
        await _eventually(predicate, timeout, 0.1)
    except BaseException as exc:
        raise AssertionError(f"not within {timeout:g} s: {what}") from exc


async def two_stores_spend_one_card_offline(a: RealStore, b: RealStore) -> None:
    """A card with 60.00 is loaded online; both stores lose their link and each takes 40.00
    from it under the default offline policy; A reconnects first, then B."""
    assert (await a.decide(load("load-1", "GC-9", 6000))).verdict == realtime_pb2.VERDICT_APPROVED
    for store in (a, b):
        store.link.go_offline()
    for store in (a, b):
        await eventually(
            lambda s=store: "control stream down" in s.log(), 30, f"{store.site_id} down"
        )
    for store, op_id in ((a, "a-redeem-1"), (b, "b-redeem-1")):
        decision = await store.decide(redeem(op_id, "GC-9", 4000))
        assert (decision.decided_by, decision.verdict) == (
            realtime_pb2.DECIDED_BY_STORE_POLICY,
            realtime_pb2.VERDICT_APPROVED,
        ), decision
    a.link.heal()
    await eventually(lambda: "settled 1 real-time operations" in a.log(), 60, "A settled")
    b.link.heal()
    await eventually(lambda: "settled 1 real-time operations" in b.log(), 60, "B settled")
