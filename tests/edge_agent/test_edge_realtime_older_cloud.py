"""The agent's realtime channel against an older cloud that serves Decide but not
DecideMany: the stand-in below is a real gRPC server on loopback (an older gateway cannot run
here, so it is a named stand-in with only that method). Nothing is decided twice: the
refused DecideMany applied nothing, and every operation then goes as its own Decide."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from edge_agent.realtime.calls import RealtimeChannel
from tests.support.realtime_ops import redeem

SERVICE = "ameide_core_proto.process.commerce.v1.RealtimeService"


class OlderCloudStandIn:
    """Serves only RealtimeService.Decide (approves, counts the calls)."""

    def __init__(self) -> None:
        self.decided: list[str] = []

    async def decide(
        self, request: realtime_pb2.DecideRequest, context: Any
    ) -> realtime_pb2.DecideResponse:
        self.decided.append(request.operation.operation_id)
        return realtime_pb2.DecideResponse(
            decision=realtime_pb2.RealtimeDecision(
                operation_id=request.operation.operation_id,
                kind=request.operation.kind,
                verdict=realtime_pb2.VERDICT_APPROVED,
                decided_by=realtime_pb2.DECIDED_BY_CLOUD,
            )
        )

    def handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        return grpc.method_handlers_generic_handler(
            SERVICE,
            {
                "Decide": grpc.unary_unary_rpc_method_handler(
                    self.decide,
                    request_deserializer=realtime_pb2.DecideRequest.FromString,
                    response_serializer=realtime_pb2.DecideResponse.SerializeToString,
                )
            },
        )


async def test_an_older_cloud_gets_one_decide_per_operation(tmp_path: Path) -> None:
    cloud = OlderCloudStandIn()
    server = grpc.aio.server()
    server.add_generic_rpc_handlers((cloud.handler(),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            calls = RealtimeChannel(tmp_path)
            calls.attach(channel)
            ops = [redeem(f"old-{n}", "GC-1", 1) for n in range(12)]
            decisions = await asyncio.gather(*(calls.decide(op, 5.0) for op in ops))
            assert [d.operation_id for d in decisions] == [op.operation_id for op in ops]
            assert sorted(cloud.decided) == sorted(op.operation_id for op in ops)
            later = await calls.decide(redeem("old-x", "GC-1", 1), 5.0)
            assert later.verdict == realtime_pb2.VERDICT_APPROVED
            assert len(cloud.decided) == 13  # each operation decided once
    finally:
        await server.stop(None)
