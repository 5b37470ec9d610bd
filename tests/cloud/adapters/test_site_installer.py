"""Rollouts' site installer over the command queue, with the real gateway (mTLS on loopback)
and a real agent process that installs a published bundle and restarts onto it. Called
directly (outside an activity): what it returns is what RolloutStoreFleet records per site."""

from __future__ import annotations

import asyncio
import shutil
from datetime import timedelta
from pathlib import Path

from cloud.activities.rollout_messages import FAILED, INSTALLED, OFFLINE
from cloud.adapters.site_installer import QueuedSiteInstaller
from cloud.composition.fleet_assembly import fleet_versions, trusted_keys_dir
from cloud.gateway.server import EdgeGateway
from tests.edge_agent.conftest import (  # the real gateway's fixtures, shared
    cloud,
    data_dir,
    notifier,
    real_gateway,
    site_dir,
)
from tests.edge_agent.edge_process import agent_process
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.installer.bundles import build_release, make_publisher
from tests.edge_agent.installer.test_install_restart import env, started_versions
from tests.edge_agent.real_gateway import CloudSide
from tests.support.stack import eventually

BUNDLE = "2026.11.1"
__all__ = ["cloud", "data_dir", "notifier", "real_gateway", "site_dir"]


def publish(cloud: CloudSide, root: Path) -> None:
    key = make_publisher(root / "trusted")
    archive = build_release(root / "published", BUNDLE, key, version="0.1.1")
    keys = trusted_keys_dir(cloud.config)
    keys.mkdir(parents=True, exist_ok=True)
    shutil.copy(key.public_pem, keys / "publisher.pem")
    fleet_versions(cloud.config, cloud.store).publish(archive, "test")


async def test_a_connected_site_installs_and_an_absent_one_is_offline(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    await asyncio.to_thread(publish, cloud, site_dir.parent)
    bundle = cloud.store.bundles.get(BUNDLE)
    assert bundle is not None
    installer = QueuedSiteInstaller(
        cloud.store.commands, poll_seconds=0.2, offline_after=timedelta(seconds=2)
    )
    async with agent_process(site_dir, env(site_dir)):
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=20)
        outcome = await asyncio.wait_for(installer.install(SITE, bundle), 120)
        assert (outcome.state, outcome.previous_bundle_id) == (INSTALLED, "base"), outcome
        assert started_versions(site_dir)[-1] == "0.1.1"
        back = await installer.roll_back(SITE, bundle, "base")
        assert back.state == FAILED and "packaged build" in back.reason

    # the agent is gone now: a new install is not taken, the site is offline, and the command
    # is withdrawn so the site does not install it later unasked
    other = QueuedSiteInstaller(
        cloud.store.commands, poll_seconds=0.2, offline_after=timedelta(seconds=2)
    )
    await asyncio.to_thread(cloud.add_site, "store-0043")
    outcome = await asyncio.wait_for(other.install("store-0043", bundle), 60)
    assert outcome.state == OFFLINE
    withdrawn = cloud.command(f"direct/install-bundle/store-0043/{BUNDLE}")
    assert withdrawn.finished and "withdrawn" in (withdrawn.error or "")

    # asked again later (the rollout retries offline sites once back): a new command, not the
    # withdrawn one's answer
    again = await asyncio.wait_for(other.install("store-0043", bundle), 60)
    assert again.state == OFFLINE, again
    second = cloud.command(f"direct/install-bundle/store-0043/{BUNDLE}/1")
    assert second.finished and "withdrawn" in (second.error or "")
