"""Two stores offline spend the same gift card: the real cloud stack (Temporal dev server,
worker, gateway with mTLS), two real agent processes whose links are cut and healed. The
cloud's balance stays right, the second store's redemption is an open compensation case with
its fact, the store is told (its journal shows the case), and an operator closes it with
`commerce-cloud realtime exceptions resolve`."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import pos_pb2, realtime_pb2, realtime_pb2_grpc
from ameide_core_proto.process.commerce.v1.workflows_temporal import RealtimeWorkflowServiceClient
from cloud.adapters.temporal_realtime import compensation_workflow_id
from tests.e2e.realtime_scenario import (
    RESULT_TIMEOUT,
    eventually,
    real_store,
    two_stores_spend_one_card_offline,
)
from tests.e2e.test_bad_input import tls_channel
from tests.support.realtime_ops import load, redeem, store_decision
from tests.support.stack import cli, cloud_stack

APPROVED, REFUSED = realtime_pb2.VERDICT_APPROVED, realtime_pb2.VERDICT_REFUSED

pytestmark = pytest.mark.usefixtures("temporal_cli")


async def test_two_stores_spending_one_card_offline_open_a_compensation_until_resolved(
    tmp_path: Path,
) -> None:
    async with (
        cloud_stack(tmp_path / "cloud") as stack,
        real_store(stack, "store-a", tmp_path) as a,
        real_store(stack, "store-b", tmp_path) as b,
    ):
        await two_stores_spend_one_card_offline(a, b)
        cases = stack.store.realtime_cases
        assert await asyncio.to_thread(cases.gift_card_balance, "GC-9") == ("EUR", 2000)
        [case] = await asyncio.to_thread(cases.cases)
        assert (case.site_id, case.operation_id) == ("store-b", "b-redeem-1")
        assert case.rejection.cloud_decision.reason == "InsufficientBalance"

        async def store_told() -> bool:
            return [c.exception_id for c in (await b.journal()).open_compensations] == [
                case.exception_id
            ]

        await eventually(store_told, 60, "store B shows the open case")
        shown = await b.pos.ListOpenCompensations(pos_pb2.ListOpenCompensationsRequest())
        assert [(c.exception_id, c.kind) for c in shown.compensations] == [
            (case.exception_id, realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM)
        ]

        async def fact_recorded() -> bool:
            facts = await asyncio.to_thread(stack.ops.facts.tail, 0, 100, "site/store-b")
            return "OfflineOperationRejected" in [f.fact_type for f in facts]

        await eventually(fact_recorded, 60, "the OfflineOperationRejected fact")
        # The workflow's notice reached the store as a command, too.
        await eventually(
            lambda: f"compensation {case.exception_id} opened" in b.log(), 60, "notice at B"
        )
        listed = await asyncio.to_thread(cli, stack, "realtime", "exceptions", "list", "--json")
        assert [c["exception_id"] for c in json.loads(listed.stdout)] == [case.exception_id]
        stats = json.loads(
            (await asyncio.to_thread(cli, stack, "realtime", "stats", "--json")).stdout
        )
        [redeems] = [s for s in stats if s["kind"] == "gift-card-redeem"]
        assert (redeems["store_decisions"], redeems["open_compensations"]) == (2, 1)

        resolved = await asyncio.to_thread(
            cli,
            stack,
            "realtime",
            "exceptions",
            "resolve",
            case.exception_id,
            "--resolution",
            "customer paid 20.00 in cash",
        )
        assert resolved.returncode == 0, resolved.stderr
        handle = RealtimeWorkflowServiceClient(
            stack.client
        ).get_compensate_offline_operation_handle(compensation_workflow_id(case.exception_id))
        result = await asyncio.wait_for(handle.result(), RESULT_TIMEOUT)
        assert result.resolution == "customer paid 20.00 in cash"

        async def store_closed() -> bool:
            return (await b.journal()).open_compensations == []

        await eventually(store_closed, 60, "store B shows the case closed")
        shown = await b.pos.ListOpenCompensations(pos_pb2.ListOpenCompensationsRequest())
        assert list(shown.compensations) == []
        assert await asyncio.to_thread(cases.cases) == []
        assert await asyncio.to_thread(cases.gift_card_balance, "GC-9") == ("EUR", 2000)


async def test_an_approval_the_cloud_cannot_take_is_a_case_an_operator_resolves(
    tmp_path: Path,
) -> None:
    async with (
        cloud_stack(tmp_path / "cloud") as stack,
        real_store(stack, "store-c", tmp_path) as c,
    ):
        assert (await c.decide(load("c-load", "GC-7", 5000))).verdict == APPROVED
        assert (await c.decide(redeem("c-1", "GC-7", 1000))).verdict == APPROVED
        # The store's journal was lost (disk replaced); it settles an offline approval under
        # an id the cloud already decided for another payload, with its own certificate.
        assert stack.running.ports is not None
        async with tls_channel(stack, stack.running.ports.control, c.data_dir) as channel:
            stub = realtime_pb2_grpc.RealtimeServiceStub(channel)
            reused = redeem("c-1", "GC-7", 700)
            response = await stub.Reconcile(
                realtime_pb2.ReconcileRequest(
                    operation=reused, store_decision=store_decision(reused)
                )
            )
        assert response.compensation_opened
        assert (response.decision.verdict, response.decision.reason) == (REFUSED, "CannotSettle")
        assert "was used by this store" in response.decision.message
        cases = stack.store.realtime_cases
        [case] = await asyncio.to_thread(cases.cases)
        assert case.exception_id == response.exception_id

        async def store_told() -> bool:
            return [x.exception_id for x in (await c.journal()).open_compensations] == [
                case.exception_id
            ]

        await eventually(store_told, 60, "store C shows the open case")
        resolved = await asyncio.to_thread(
            cli,
            stack,
            "realtime",
            "exceptions",
            "resolve",
            case.exception_id,
            "--resolution",
            "charged the customer 7.00 again",
        )
        assert resolved.returncode == 0, resolved.stderr

        async def store_closed() -> bool:
            return (await c.journal()).open_compensations == []

        await eventually(store_closed, 60, "store C shows the case closed")
        assert await asyncio.to_thread(cases.cases) == []
        assert await asyncio.to_thread(cases.gift_card_balance, "GC-7") == ("EUR", 4000)
