"""Fixtures for the edge agent tests: a test CA, the fake gateway, an enrolled data dir."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.edge_agent.edge_fake_gateway import FakeGateway, TestCA
from tests.edge_agent.edge_support import enroll_site


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
    """A data dir enrolled as SITE against `gateway`."""
    await enroll_site(gateway, data_dir)
    return data_dir
