"""HTTP/2 keepalive between agent and the real gateway: the gateway's ping policy must allow
the agent's pings on a quiet stream, or gRPC answers GOAWAY too_many_pings."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from edge_agent.transport import Keepalive
from tests.edge_agent.edge_support import SITE, running_client
from tests.edge_agent.real_gateway import CloudSide, enroll_at, running_gateway
from tests.support.stack import eventually

# The agent pings every second; heartbeats are a minute apart, so the stream is quiet and
# only pings cross it.
AGENT_KEEPALIVE = Keepalive(time_seconds=1, timeout_seconds=5)
QUIET_STREAM = {"heartbeat_interval_seconds": 60}


@pytest.fixture
async def quiet_cloud(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[CloudSide]:
    side = await asyncio.to_thread(
        CloudSide.under,
        tmp_path / "cloud",
        gateway_min_agent_ping_interval_seconds=request.param,
        **QUIET_STREAM,
    )
    try:
        yield side
    finally:
        await asyncio.to_thread(side.close)


def stream_opens(caplog: pytest.LogCaptureFixture) -> int:
    return sum(f"site {SITE} connected" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("quiet_cloud", [0.5], indirect=True)
async def test_gateway_policy_accepts_the_agents_pings(
    quiet_cloud: CloudSide, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="cloud.gateway.control")
    caplog.set_level(logging.INFO, logger="edge_agent.control.stream")
    async with running_gateway(quiet_cloud) as gateway:
        await enroll_at(quiet_cloud, data_dir, SITE)
        async with running_client(data_dir, keepalive=AGENT_KEEPALIVE) as (client, projection):
            await asyncio.wait_for(client.connected.wait(), 10)
            # Long enough for the strikes that end a stream under a stricter policy (below).
            await asyncio.sleep(8)
            assert stream_opens(caplog) == 1
            assert projection.connection_state().state == "connected"
            assert gateway.sessions.connected(SITE)
    assert "Too many pings" not in caplog.text


@pytest.mark.parametrize("quiet_cloud", [60], indirect=True)
async def test_a_policy_stricter_than_the_agent_breaks_the_stream(
    quiet_cloud: CloudSide, data_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The control case: it shows that the test above can fail."""
    caplog.set_level(logging.INFO, logger="cloud.gateway.control")
    caplog.set_level(logging.INFO, logger="edge_agent.control.stream")
    async with running_gateway(quiet_cloud):
        await enroll_at(quiet_cloud, data_dir, SITE)
        async with running_client(data_dir, keepalive=AGENT_KEEPALIVE) as (client, _):
            await asyncio.wait_for(client.connected.wait(), 10)
            await eventually(lambda: stream_opens(caplog) >= 2, timeout=30)
    assert "Too many pings" in caplog.text
