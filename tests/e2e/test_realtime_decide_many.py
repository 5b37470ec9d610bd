"""DecideMany on the real gateway (dev server, worker, gateway with mTLS, a real enrolled
certificate): each operation of one call is answered as Decide would answer it alone, in
request order, and a refused one does not take the others with it."""

from __future__ import annotations

from pathlib import Path

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import realtime_pb2, realtime_pb2_grpc
from tests.e2e.test_bad_input import enrolled_site, tls_channel
from tests.support.realtime_ops import load, redeem
from tests.support.stack import cloud_stack

pytestmark = pytest.mark.usefixtures("temporal_cli")

INVALID_ARGUMENT = grpc.StatusCode.INVALID_ARGUMENT.value[0]


async def test_each_operation_of_one_call_is_answered_as_alone(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        _, agent_dir = await enrolled_site(stack, "store-many", tmp_path)
        assert stack.running.ports is not None
        async with tls_channel(stack, stack.running.ports.control, agent_dir) as channel:
            stub = realtime_pb2_grpc.RealtimeServiceStub(channel)
            loaded = await stub.Decide(
                realtime_pb2.DecideRequest(operation=load("m-0", "GC-M", 1000))
            )
            assert loaded.decision.verdict == realtime_pb2.VERDICT_APPROVED
            response = await stub.DecideMany(
                realtime_pb2.DecideManyRequest(
                    operations=[
                        redeem("m-1", "GC-M", 600),
                        redeem("m-0", "GC-M", 5),  # m-0 was a load: refused, nothing applied
                        redeem("m-2", "GC-M", 600),  # more than is left
                        redeem("m-1", "GC-M", 600),  # m-1 again: the same decision
                        redeem("m-3", "GC-M", 400),
                    ]
                )
            )
            first, reused, too_much, again, last = response.answers
            assert first.code == 0 and first.decision.outcome.balance.minor_units == 400
            assert reused.code == INVALID_ARGUMENT and "'m-0' was used" in reused.message
            assert "retrying the same call cannot help" in reused.message
            assert not reused.HasField("decision")
            assert too_much.code == 0 and too_much.decision.reason == "InsufficientBalance"
            assert again.code == 0 and again.decision == first.decision
            assert last.code == 0 and last.decision.outcome.balance.minor_units == 0
            # Asked alone afterwards, each operation gets the answer it got in the call.
            alone = await stub.Decide(
                realtime_pb2.DecideRequest(operation=redeem("m-2", "GC-M", 600))
            )
            assert alone.decision == too_much.decision
