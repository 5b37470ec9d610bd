"""POS basket leases: the installer waits for zero open baskets, never ends one, and holds new
ones back while an update is applied. Over the real POS gRPC API on loopback."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import pos_pb2, pos_pb2_grpc
from edge_agent.installer import BasketLeases, LeaseNotFound, LeaseRefused
from edge_agent.pos import PosServer, PosServicer


class Clock:
    """Seconds that move only when the test says (the leases take their clock as a port)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_lease_lapses_unless_renewed() -> None:
    clock = Clock()
    leases = BasketLeases(clock)
    lease, _ = leases.acquire("register-1", 30)
    clock.now += 20
    leases.renew(lease, 30)
    clock.now += 20
    assert leases.open_count() == 1  # renewed: 10 s left
    clock.now += 15
    assert leases.open_count() == 0
    with pytest.raises(LeaseNotFound):
        leases.renew(lease, 30)


async def test_quiesce_waits_for_the_last_basket_and_then_holds_new_ones() -> None:
    leases = BasketLeases()
    lease, _ = leases.acquire("register-1", 60)
    waiting = asyncio.ensure_future(leases.quiesce("2026.11.1", wait_seconds=30))
    await asyncio.sleep(0.3)
    assert not waiting.done()  # an open basket is never cut off
    leases.release(lease)
    assert await asyncio.wait_for(waiting, 10) is True
    with pytest.raises(LeaseRefused, match=r"applying update 2026\.11\.1"):
        leases.acquire("register-2", 60)
    leases.resume()
    leases.acquire("register-2", 60)


async def test_quiesce_gives_up_at_its_deadline_and_lets_baskets_open() -> None:
    leases = BasketLeases()
    leases.acquire("register-1", 60)
    assert await leases.quiesce("2026.11.1", wait_seconds=0.3) is False
    assert leases.open_count() == 1  # still open: nothing was forced
    leases.acquire("register-2", 60)  # not held back


PosFixture = tuple[pos_pb2_grpc.PosServiceStub, BasketLeases]


@pytest.fixture
async def pos() -> AsyncIterator[PosFixture]:
    """The real POS server; lease calls touch neither the projection nor the outbox."""
    leases = BasketLeases()
    servicer = PosServicer("store-0042", None, None, leases=leases)  # type: ignore[arg-type]
    server = PosServer("127.0.0.1", 0, servicer)
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            yield pos_pb2_grpc.PosServiceStub(channel), leases
    finally:
        await server.stop()


async def test_pos_software_holds_renews_and_releases_a_lease(
    pos: PosFixture,
) -> None:
    stub, leases = pos
    acquired = await stub.AcquireBasketLease(
        pos_pb2.AcquireBasketLeaseRequest(register_id="register-1", ttl_seconds=120)
    )
    assert acquired.lease_id and acquired.expires_at.seconds > 0
    assert leases.open_count() == 1
    renewed = await stub.RenewBasketLease(
        pos_pb2.RenewBasketLeaseRequest(lease_id=acquired.lease_id, ttl_seconds=300)
    )
    assert renewed.expires_at.seconds > acquired.expires_at.seconds
    await stub.ReleaseBasketLease(pos_pb2.ReleaseBasketLeaseRequest(lease_id=acquired.lease_id))
    assert leases.open_count() == 0
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await stub.RenewBasketLease(
            pos_pb2.RenewBasketLeaseRequest(lease_id=acquired.lease_id, ttl_seconds=60)
        )
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND
    assert "acquire a new one" in (gone.value.details() or "")


async def test_pos_calls_get_clear_errors(
    pos: PosFixture,
) -> None:
    stub, leases = pos
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await stub.AcquireBasketLease(pos_pb2.AcquireBasketLeaseRequest(ttl_seconds=0))
    assert bad.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "ttl_seconds: 0 is outside 1..3600" in (bad.value.details() or "")
    assert await leases.quiesce("2026.11.1", wait_seconds=1)
    with pytest.raises(grpc.aio.AioRpcError) as held:
        await stub.AcquireBasketLease(pos_pb2.AcquireBasketLeaseRequest(ttl_seconds=60))
    assert held.value.code() == grpc.StatusCode.UNAVAILABLE
    assert "retrying can help" in (held.value.details() or "")
