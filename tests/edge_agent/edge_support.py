"""Helpers shared by the edge agent tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from edge_agent.control import ControlClient
from edge_agent.identity import enroll
from edge_agent.projection import Projection
from edge_agent.transport import Keepalive
from tests.edge_agent.edge_fake_gateway import FakeGateway

SITE = "store-0042"


async def enroll_site(gateway: FakeGateway, data_dir: Path, site_id: str = SITE) -> None:
    """Enroll `data_dir` as `site_id` against the fake gateway."""
    await enroll(
        data_dir=data_dir,
        cloud=gateway.cloud,
        token=gateway.add_token(site_id),
        ca_fingerprint=gateway.ca.fingerprint,
        agent_version="1.2.3",
    )


@asynccontextmanager
async def running_client(
    data_dir: Path,
    *,
    welcome_timeout_seconds: float = 5,
    silence_timeout_seconds: float | None = None,
    keepalive: Keepalive | None = None,
) -> AsyncIterator[tuple[ControlClient, Projection]]:
    """A control client on `data_dir` with fast reconnects, stopped (and waited for) at the end."""
    projection = await Projection.open(data_dir)
    client = ControlClient(
        data_dir=data_dir,
        projection=projection,
        agent_version="1.2.3",
        reconnect_initial_seconds=0.05,
        reconnect_max_seconds=0.3,
        welcome_timeout_seconds=welcome_timeout_seconds,
        silence_timeout_seconds=silence_timeout_seconds,
        keepalive=keepalive,
    )
    stopping = asyncio.Event()
    task = asyncio.ensure_future(client.run(stopping))
    try:
        yield client, projection
    finally:
        stopping.set()
        await asyncio.wait_for(task, 10)
        await projection.close()
