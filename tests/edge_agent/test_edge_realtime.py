"""Real-time-required operations through a REAL `commerce-edge run` process and the REAL
gateway (in this process, mTLS on loopback, the cloud's real ledger on SQLite): the POS asks
its agent, the cloud decides when connected, the offline policy when not, and everything the
store decided offline is settled with the cloud on reconnect."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import (
    edge_pb2,
    options_pb2,
    pos_pb2,
    pos_pb2_grpc,
    realtime_pb2,
)
from cloud.gateway.server import EdgeGateway
from cloud.services.realtime_policies import RealtimePolicyService
from edge_agent.realtime.journal import Journal
from shared.errors import InvalidInput
from tests.edge_agent.edge_process import agent_log, agent_process, free_port
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.real_gateway import CHANNEL, CloudSide, running_gateway
from tests.edge_agent.test_edge_replication_wire import command_result, config_command
from tests.support.cut_proxy import CutProxy, point_agent_at
from tests.support.realtime_ops import check, load, loyalty, redeem
from tests.support.stack import agent_status, eventually

APPROVED, REFUSED = realtime_pb2.VERDICT_APPROVED, realtime_pb2.VERDICT_REFUSED
CLOUD, STORE = realtime_pb2.DECIDED_BY_CLOUD, realtime_pb2.DECIDED_BY_STORE_POLICY


@contextlib.asynccontextmanager
async def realtime_store(
    cloud: CloudSide,
    site_dir: Path,
    overrides: list[realtime_pb2.OfflinePolicyOverride] | None = None,
) -> AsyncIterator[pos_pb2_grpc.PosServiceStub]:
    """A real agent for SITE, configured through the gateway, and its POS API."""
    pos_port = free_port()
    env = {
        "COMMERCE_EDGE_POS_ADDRESS": f"127.0.0.1:{pos_port}",
        "COMMERCE_EDGE_REALTIME_DEADLINE_SECONDS": "1",
        "COMMERCE_EDGE_SYNC_INTERVAL_SECONDS": "3600",
    }
    async with agent_process(site_dir, env):
        command = config_command(f"config-{uuid.uuid4().hex[:8]}")
        command.apply_site_config.offline_policies.extend(overrides or [])
        await asyncio.to_thread(cloud.enqueue, command, SITE)
        result = await command_result(cloud, command.command_id)
        assert result.outcome == edge_pb2.COMMAND_OUTCOME_SUCCEEDED, result
        async with grpc.aio.insecure_channel(f"127.0.0.1:{pos_port}") as channel:
            await asyncio.wait_for(channel.channel_ready(), 15)
            yield pos_pb2_grpc.PosServiceStub(channel)


async def _decide(
    pos: pos_pb2_grpc.PosServiceStub, op: realtime_pb2.RealtimeOperation
) -> realtime_pb2.RealtimeDecision:
    response = await pos.DecideOperation(pos_pb2.DecideOperationRequest(operation=op))
    return response.decision


async def _balance(cloud: CloudSide, card: str) -> tuple[str, int] | None:
    return await asyncio.to_thread(cloud.store.realtime_cases.gift_card_balance, card)


async def test_connected_the_cloud_decides_and_bad_input_is_refused_naming_the_field(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    async with realtime_store(cloud, site_dir) as pos:
        assert (await _decide(pos, load("op-1", "GC-1", 5000))).decided_by == CLOUD
        spent = await _decide(pos, redeem("op-2", "GC-1", 1200))
        assert (spent.verdict, spent.decided_by) == (APPROVED, CLOUD)
        assert spent.outcome.balance.minor_units == 3800
        # A retry of the same operation gets the first answer; nothing is applied again.
        assert await _decide(pos, redeem("op-2", "GC-1", 1200)) == spent
        short = await _decide(pos, redeem("op-3", "GC-1", 9000))
        assert (short.verdict, short.reason) == (REFUSED, "InsufficientBalance")

        with pytest.raises(grpc.aio.AioRpcError) as zero:
            await _decide(pos, redeem("op-4", "GC-1", 0))
        assert zero.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "operation.gift_card_redeem.amount.minor_units: is 0" in (zero.value.details() or "")
        mismatched = redeem("op-5", "GC-1", 10)
        mismatched.kind = realtime_pb2.OPERATION_KIND_LOYALTY_REDEEM
        with pytest.raises(grpc.aio.AioRpcError) as wrong_kind:
            await _decide(pos, mismatched)
        assert "needs its payload in loyalty_redeem" in (wrong_kind.value.details() or "")
        with pytest.raises(grpc.aio.AioRpcError) as reused:
            await _decide(pos, redeem("op-2", "GC-1", 1))
        assert "'op-2' was used" in (reused.value.details() or "")
    assert await _balance(cloud, "GC-1") == ("EUR", 3800)


async def test_offline_each_policy_decides_and_reconnect_settles_with_the_cloud(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    async with realtime_store(cloud, site_dir) as pos:
        await _decide(pos, load("op-0", "GC-1", 10_000))
        await real_gateway.stop(grace=0.5)
        await eventually(lambda: "control stream down" in agent_log(site_dir), 20, 0.1)

        refused = await _decide(pos, check("op-1", "GC-1"))
        assert (refused.verdict, refused.decided_by, refused.reason) == (
            REFUSED,
            STORE,
            "NeedsCloud",
        )
        assert refused.policy == options_pb2.OFFLINE_POLICY_REFUSE
        assert "needs the cloud" in refused.message

        within = await _decide(pos, redeem("op-2", "GC-1", 3000))
        assert (within.verdict, within.decided_by, within.reason) == (
            APPROVED,
            STORE,
            "WithinOfflineLimits",
        )
        assert (within.limits.per_subject, within.limits.per_store_per_day) == (5000, 50000)
        over = await _decide(pos, redeem("op-3", "GC-1", 2001))
        assert (over.verdict, over.reason) == (REFUSED, "OfflineLimitExceeded")
        assert "limit is 5000" in over.message

        queued = await _decide(pos, loyalty("op-4", "L-1", 70, earn=True))
        assert (queued.verdict, queued.reason) == (APPROVED, "QueuedOffline")
        assert queued.policy == options_pb2.OFFLINE_POLICY_QUEUE_AND_COMPENSATE
        assert await _balance(cloud, "GC-1") == ("EUR", 10_000)

        # What store staff see (`commerce-edge status`, the same report as the health page).
        async def shown() -> dict[str, Any] | None:
            realtime: dict[str, Any] | None = (await agent_status(site_dir)).get("realtime")
            return realtime if realtime and realtime["kinds"] else None

        await eventually(shown, 20, 0.2)
        realtime = await shown()
        assert realtime is not None
        kinds = {k["kind"]: k for k in realtime["kinds"]}
        assert kinds["gift-card-redeem"]["decided_by"] == "store policy"
        assert kinds["gift-card-redeem"]["offline_policy"] == "allow-within-limits"
        assert kinds["gift-card-check"]["offline_policy"] == "refuse"
        assert (realtime["unsettled"], realtime["offline_decisions"]) == (2, 4)
        exposure = {e["kind"]: e for e in realtime["exposure"]}
        assert exposure["gift-card-redeem"]["unsettled"] == 3000

        async with running_gateway(cloud):

            async def settled() -> bool:
                return await _balance(cloud, "GC-1") == ("EUR", 7000)

            await eventually(settled, 30, 0.1)
            await eventually(lambda: "settled 2 real-time operations" in agent_log(site_dir), 30)
            # A repeat after settling still gets the answer the POS got first.
            assert await _decide(pos, redeem("op-2", "GC-1", 3000)) == within
    stats = {s.kind: s for s in await asyncio.to_thread(cloud.store.realtime_cases.stats)}
    assert stats[realtime_pb2.OPERATION_KIND_LOYALTY_EARN].store_decisions == 1
    assert stats[realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM].store_decisions == 1
    assert realtime_pb2.OPERATION_KIND_GIFT_CARD_CHECK not in stats  # refused, never sent
    journal = await Journal.open(site_dir)
    try:
        summary = await journal.summary("2000-01-01")
    finally:
        await journal.close()
    assert (summary.unsettled, summary.offline_decisions, summary.open_compensations) == (0, 4, [])


async def test_the_site_configuration_overrides_the_default_policy(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    override = realtime_pb2.OfflinePolicyOverride(
        kind=realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM,
        policy=options_pb2.OFFLINE_POLICY_ALLOW_WITHIN_LIMITS,
        limits=options_pb2.OfflineLimits(per_subject=100, per_store_per_day=150),
    )
    async with realtime_store(cloud, site_dir, [override]) as pos:
        await real_gateway.stop(grace=0.5)
        await eventually(lambda: "control stream down" in agent_log(site_dir), 20, 0.1)
        assert (await _decide(pos, redeem("a", "GC-1", 100))).verdict == APPROVED
        assert (await _decide(pos, redeem("b", "GC-2", 100))).reason == "OfflineLimitExceeded"
        assert (
            "took 100 offline today and its limit is 150"
            in (await _decide(pos, redeem("c", "GC-3", 60))).message
        )


async def _start_proxy(real_gateway: EdgeGateway, site_dir: Path) -> CutProxy:
    proxy = CutProxy(real_gateway.ports.control)
    point_agent_at(site_dir, await proxy.start())
    return proxy


async def test_an_answer_lost_after_the_cloud_applied_is_resolved_never_applied_twice(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    proxy = await _start_proxy(real_gateway, site_dir)
    try:
        async with realtime_store(cloud, site_dir) as pos:
            await _decide(pos, load("op-0", "GC-1", 5000))
            proxy.drop_responses()
            lost = await _decide(pos, redeem("op-1", "GC-1", 1000))
            # The cloud applied it; the store, past its deadline, decided by its policy.
            assert (lost.decided_by, lost.verdict) == (STORE, APPROVED)
            assert "did not answer within 1 s" in lost.message
            assert await _balance(cloud, "GC-1") == ("EUR", 4000)
            proxy.heal()
            await eventually(lambda: "settled 1 real-time operations" in agent_log(site_dir), 30)
        assert await _balance(cloud, "GC-1") == ("EUR", 4000)
        [redeems] = [
            s
            for s in await asyncio.to_thread(cloud.store.realtime_cases.stats)
            if s.kind == realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM
        ]
        assert (redeems.calls, redeems.cloud_decisions, redeems.in_doubt_resolutions) == (1, 1, 1)
        assert await asyncio.to_thread(cloud.store.realtime_cases.cases) == []
    finally:
        await proxy.stop()


async def test_a_store_refusal_over_a_lost_cloud_approval_is_an_open_compensation(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    refuse_offline = realtime_pb2.OfflinePolicyOverride(
        kind=realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM,
        policy=options_pb2.OFFLINE_POLICY_REFUSE,
    )
    proxy = await _start_proxy(real_gateway, site_dir)
    try:
        async with realtime_store(cloud, site_dir, [refuse_offline]) as pos:
            await _decide(pos, load("op-0", "GC-1", 5000))
            proxy.drop_responses()
            lost = await _decide(pos, redeem("op-1", "GC-1", 1000))
            assert (lost.decided_by, lost.reason) == (STORE, "NeedsCloud")
            proxy.heal()

            async def opened() -> bool:
                return bool(await asyncio.to_thread(cloud.store.realtime_cases.cases))

            await eventually(opened, 30, 0.1)
        [case] = await asyncio.to_thread(cloud.store.realtime_cases.cases)
        assert (case.operation_id, case.rejection.store_decision.reason) == ("op-1", "NeedsCloud")
        assert case.rejection.cloud_decision.verdict == APPROVED
        # Applied once, by the cloud, and never again.
        assert await _balance(cloud, "GC-1") == ("EUR", 4000)
        journal = await Journal.open(site_dir)
        try:
            summary = await journal.summary("2000-01-01")
        finally:
            await journal.close()
        assert [c.exception_id for c in summary.open_compensations] == [case.exception_id]
    finally:
        await proxy.stop()


async def test_policies_the_cloud_sets_per_channel_and_site_reach_the_store(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    policies = RealtimePolicyService(
        cloud.store.realtime_policies, cloud.store.sites, cloud.store.channels, cloud.store.commands
    )
    with pytest.raises(InvalidInput, match="needs --per-subject and --per-day"):
        policies.set("channel", CHANNEL, "gift-card-redeem", "allow-within-limits")
    with pytest.raises(InvalidInput, match="not an operation kind"):
        policies.set("channel", CHANNEL, "gift-card-steal", "refuse")
    async with realtime_store(cloud, site_dir) as pos:
        await asyncio.to_thread(cloud.store.sites.set_conditions, SITE, "ready", [])
        sent = await asyncio.to_thread(
            policies.set, "channel", CHANNEL, "gift-card-redeem", "allow-within-limits", 300, 1000
        )
        assert sent == [SITE]
        # The site's own override comes after the channel's and wins for its kind.
        await asyncio.to_thread(policies.set, "site", SITE, "loyalty-redeem", "refuse")

        async def applied() -> bool:
            status = await agent_status(site_dir)
            kinds = {k["kind"]: k for k in (status.get("realtime") or {}).get("kinds", [])}
            return (
                kinds.get("gift-card-redeem", {}).get("per_subject") == 300
                and kinds.get("loyalty-redeem", {}).get("offline_policy") == "refuse"
            )

        await eventually(applied, 30, 0.2)
        await real_gateway.stop(grace=0.5)
        await eventually(lambda: "control stream down" in agent_log(site_dir), 20, 0.1)
        over = await _decide(pos, redeem("p-1", "GC-1", 301))
        assert (over.reason, over.limits.per_subject) == ("OfflineLimitExceeded", 300)
        refused = await _decide(pos, loyalty("p-2", "L-1", 10, earn=False))
        assert (refused.reason, refused.policy) == ("NeedsCloud", options_pb2.OFFLINE_POLICY_REFUSE)
