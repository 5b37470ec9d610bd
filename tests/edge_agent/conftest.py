"""Fixtures for the edge agent tests: the real gateway with its cloud store and CA, an
enrolled data dir, and the fake gateway (only for faults the real one cannot produce)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from cloud.gateway.server import EdgeGateway
from tests.edge_agent.edge_fake_gateway import FakeGateway, TestCA
from tests.edge_agent.edge_support import SITE, enroll_site
from tests.edge_agent.real_gateway import CloudSide, RecordingNotifier, enroll_at, running_gateway


@pytest.fixture(scope="session")
def test_ca() -> TestCA:
    return TestCA()


@pytest.fixture
async def gateway(test_ca: TestCA) -> AsyncIterator[FakeGateway]:
    gw = FakeGateway(test_ca)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "edge"


@pytest.fixture
async def enrolled(gateway: FakeGateway, data_dir: Path) -> Path:
    """A data dir enrolled as SITE against the fake `gateway`."""
    await enroll_site(gateway, data_dir)
    return data_dir


@pytest.fixture
async def cloud(tmp_path: Path) -> AsyncIterator[CloudSide]:
    """The cloud store and site CA of a real gateway (heartbeat every second)."""
    side = await asyncio.to_thread(
        CloudSide.under, tmp_path / "cloud", heartbeat_interval_seconds=1
    )
    try:
        yield side
    finally:
        await asyncio.to_thread(side.close)


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
async def real_gateway(cloud: CloudSide, notifier: RecordingNotifier) -> AsyncIterator[EdgeGateway]:
    """The real edge gateway in this process, serving `cloud`."""
    async with running_gateway(cloud, notifier) as gateway:
        yield gateway


@pytest.fixture
async def site_dir(cloud: CloudSide, real_gateway: EdgeGateway, data_dir: Path) -> Path:
    """A data dir enrolled as SITE through the real gateway."""
    await enroll_at(cloud, data_dir, SITE)
    return data_dir
