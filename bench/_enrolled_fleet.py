"""Setup of a large bench fleet: sites created, tokens issued, agents enrolled and ready.

Bench room: does for each site what ProvisionStoreSite's activities do in the cloud store
(create the site, issue a one-time bootstrap token), then the site's agent enrolls through
the real gateway (discovery, CA pin, CSR over TLS) and opens its mTLS control stream, and
the site is marked ready with its certificate. The provisioning workflow itself is what
`bench-provision` measures; here it is setup, so a busy machine cannot time it out.
Touches the cloud store, the token secret under the cloud's PKI directory and the agents.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from bench._agents import Agent
from cloud.adapters.store import CloudStore
from cloud.adapters.tokens import TokenMinter, token_hash
from cloud.config import CloudConfig
from cloud.services import SiteService
from edge_agent.identity import load_identity
from shared.version import package_version

TOKEN_TTL = timedelta(hours=2)


def _issue(
    config: CloudConfig, store: CloudStore, channel: str, site_ids: list[str]
) -> dict[str, tuple[str, datetime]]:
    """Sites and their tokens (blocking); site id -> (token id, expiry)."""
    minter = TokenMinter.open_or_create(config.pki_dir)
    expires = datetime.now(UTC) + TOKEN_TTL
    issued: dict[str, tuple[str, datetime]] = {}
    for site_id in site_ids:
        store.sites.create_or_get(
            site_id, channel, f"Bench {site_id}", "Europe/Amsterdam", package_version()
        )
        token_id = uuid.uuid4().hex[:20]
        token = minter.token(site_id, token_id)
        store.tokens.issue(
            token_id, site_id, token_hash(token), f"provision-store-site/{site_id}", expires
        )
        issued[site_id] = (token_id, expires)
    return issued


def _mark_ready(store: CloudStore, agent: Agent) -> None:
    serial = load_identity(agent.data_dir).certificate.serial_hex
    store.sites.mark_ready(agent.site_id, serial, 1, [])


async def enroll_fleet(
    config: CloudConfig,
    store: CloudStore,
    sites: SiteService,
    channel: str,
    agents: list[Agent],
    *,
    concurrency: int = 50,
) -> None:
    """Every agent enrolled through the gateway, connected, and its site ready."""
    issued = await asyncio.to_thread(_issue, config, store, channel, [a.site_id for a in agents])
    gate = asyncio.Semaphore(concurrency)

    async def one(agent: Agent) -> None:
        token_id, expires = issued[agent.site_id]
        async with gate:
            enrollment = await asyncio.to_thread(sites.enrollment, agent.site_id, token_id, expires)
            await agent.enroll(enrollment)
            await agent.start()
            await asyncio.to_thread(_mark_ready, store, agent)

    async with asyncio.TaskGroup() as group:
        for agent in agents:
            group.create_task(one(agent))
