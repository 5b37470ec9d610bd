"""A revoked store's certificate stops deciding real-time operations: the real cloud stack
(dev server, worker, gateway with mTLS) and a real agent's certificate. The gateway trusts
a usable certificate for `gateway_certificate_recheck_seconds` (1 s), so the bound below is a
functional one (every service: tests/e2e/test_revocation_bound.py)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import realtime_pb2, realtime_pb2_grpc
from tests.e2e.realtime_scenario import real_store
from tests.e2e.test_bad_input import tls_channel
from tests.support.realtime_ops import load, redeem
from tests.support.stack import cloud_stack

pytestmark = pytest.mark.usefixtures("temporal_cli")


async def test_a_revoked_certificate_is_refused_by_the_realtime_service(tmp_path: Path) -> None:
    async with (
        cloud_stack(tmp_path / "cloud") as stack,
        real_store(stack, "store-r", tmp_path) as r,
    ):
        assert stack.running.ports is not None
        async with tls_channel(stack, stack.running.ports.control, r.data_dir) as channel:
            stub = realtime_pb2_grpc.RealtimeServiceStub(channel)
            loaded = await stub.Decide(
                realtime_pb2.DecideRequest(operation=load("r-0", "GC-R", 900))
            )
            assert loaded.decision.verdict == realtime_pb2.VERDICT_APPROVED
            await asyncio.to_thread(stack.ops.sites.revoke, "store-r", "stolen", "test")
            refused: grpc.aio.AioRpcError | None = None
            deadline = time.monotonic() + 10
            n = 0
            while refused is None and time.monotonic() < deadline:
                n += 1
                try:
                    await stub.Decide(
                        realtime_pb2.DecideRequest(operation=redeem(f"r-{n}", "GC-R", 1))
                    )
                except grpc.aio.AioRpcError as exc:
                    refused = exc
                await asyncio.sleep(0.1)
        assert refused is not None, "the revoked certificate still decided after 10 s"
        assert refused.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "revoked or unknown" in (refused.details() or "")
