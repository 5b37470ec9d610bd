"""ChangePublishService.Publish on the real gateway (its own loopback port), with a real
grpc.aio client and the real cloud store."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import records_pb2, sync_pb2, sync_pb2_grpc
from tests.cloud.adapters.store.change_builders import CHANNEL, item, price
from tests.edge_agent.real_gateway import CloudSide, running_gateway


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[CloudSide]:
    side = CloudSide.under(tmp_path)
    try:
        yield side
    finally:
        side.close()


@pytest.fixture
async def publisher(cloud: CloudSide) -> AsyncIterator[sync_pb2_grpc.ChangePublishServiceStub]:
    async with running_gateway(cloud) as gateway:
        assert gateway.ports.publish == cloud.config.publish_port
        async with grpc.aio.insecure_channel(f"127.0.0.1:{gateway.ports.publish}") as channel:
            yield sync_pb2_grpc.ChangePublishServiceStub(channel)


async def test_publish_appends_and_returns_the_heads(
    cloud: CloudSide, publisher: sync_pb2_grpc.ChangePublishServiceStub
) -> None:
    request = sync_pb2.PublishRequest(
        changes=[item("sku-1"), price("p-1", "sku-1", 199), item("sku-2")], publish_id="up-1"
    )
    response = await publisher.Publish(request)
    assert response.appended == 3
    assert {h.stream: h.applied_seq for h in response.heads} == {"catalog": 2, "prices": 1}
    again = await publisher.Publish(request)
    assert again.appended == 0
    keys = [c.key for c in cloud.store.changes.read("catalog", [CHANNEL], 0).changes]
    assert keys == ["sku-1", "sku-2"]


async def test_a_bad_change_is_refused_naming_index_and_field_and_nothing_is_appended(
    cloud: CloudSide, publisher: sync_pb2_grpc.ChangePublishServiceStub
) -> None:
    bad = records_pb2.Change(
        stream="catalog", key="sku-9", scope=CHANNEL, price=price("p-9", "sku-9", 1).price
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await publisher.Publish(sync_pb2.PublishRequest(changes=[item("sku-1"), bad]))
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "change 1: price: does not belong in stream 'catalog'" in (refused.value.details() or "")
    assert "nothing appended" in (refused.value.details() or "")
    with pytest.raises(grpc.aio.AioRpcError) as empty:
        await publisher.Publish(sync_pb2.PublishRequest())
    assert empty.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert cloud.store.changes.head("catalog") == 0


async def test_a_garbage_frame_is_refused_clearly(cloud: CloudSide) -> None:
    async with (
        running_gateway(cloud) as gateway,
        grpc.aio.insecure_channel(f"127.0.0.1:{gateway.ports.publish}") as channel,
    ):
        call = channel.unary_unary(
            "/ameide_core_proto.process.commerce.v1.ChangePublishService/Publish",
            request_serializer=lambda data: data,
            response_deserializer=sync_pb2.PublishResponse.FromString,
        )
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await call(b"\xff\xff\xff\xff garbage")
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "PublishRequest did not decode" in (refused.value.details() or "")
    assert cloud.store.changes.head("catalog") == 0


async def test_a_large_publish_fits_the_publish_port(
    cloud: CloudSide, publisher: sync_pb2_grpc.ChangePublishServiceStub
) -> None:
    changes = [item(f"sku-{i:05d}", "x" * 200) for i in range(5000)]
    response = await publisher.Publish(sync_pb2.PublishRequest(changes=changes))
    assert response.appended == 5000
    assert cloud.store.changes.checksum("catalog", [CHANNEL]).rows == 5000
