"""Helpers shared by the edge agent tests (kept out of conftest so tests can import them)."""

from __future__ import annotations

from pathlib import Path

from edge_agent.identity import enroll
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
