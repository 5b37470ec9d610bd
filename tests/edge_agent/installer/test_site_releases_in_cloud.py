"""The cloud shows each site's releases: a real agent installs a bundle (and fails one) behind
the real gateway, and `commerce-cloud sites show` / `sites list --json` print what it runs,
its last-known-good and the last install's outcome."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path
from typing import Any

from cloud.gateway.server import EdgeGateway
from tests.edge_agent.edge_process import agent_process
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.installer.bundles import build_release
from tests.edge_agent.installer.test_install_restart import (
    BUNDLE,
    NO_UI,
    env,
    install_command,
    publish,
    publisher,
    result_of,
)
from tests.edge_agent.real_gateway import CloudSide
from tests.support.stack import BIN, cloud_env, eventually


def cloud_cli(cloud: CloudSide, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "commerce-cloud"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**cloud_env(cloud.config), "COLUMNS": "250"},
    )


def shown(cloud: CloudSide) -> dict[str, Any]:
    out = cloud_cli(cloud, "sites", "show", SITE, "--json")
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout))


def listed(cloud: CloudSide) -> dict[str, Any]:
    out = cloud_cli(cloud, "sites", "list", "--json")
    assert out.returncode == 0, out.stderr
    return {site["site_id"]: site for site in json.loads(out.stdout)}


async def test_sites_show_and_list_print_what_a_real_agent_runs(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    key = publisher(site_dir)
    archive = build_release(site_dir.parent / "published", BUNDLE, key, version="0.1.1")
    sha256 = await asyncio.to_thread(publish, cloud, archive, key.public_pem)
    async with agent_process(site_dir, env(site_dir)):
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=20)
        # the packaged build says so in its hello
        await eventually(lambda: cloud.store.site_releases.get(SITE) is not None, timeout=20)
        before = (await asyncio.to_thread(shown, cloud))["release"]
        assert before["current_bundle"] == "base"
        assert before["last_install"] is None

        command = install_command("install-1")
        command.install_bundle.sha256 = sha256
        command.install_bundle.size = archive.stat().st_size
        await asyncio.to_thread(cloud.enqueue, command, SITE)
        await result_of(cloud, "install-1", site_dir)
        after = (await asyncio.to_thread(shown, cloud))["release"]
        assert after["current_bundle"] == BUNDLE
        assert after["last_known_good"] == BUNDLE
        assert after["last_install"]["bundle_id"] == BUNDLE
        assert after["last_install"]["outcome"] == "installed"
        site = (await asyncio.to_thread(listed, cloud))[SITE]
        assert site["release"]["current_bundle"] == BUNDLE
        assert site["status"]  # the site's own fields are still there

        table = await asyncio.to_thread(cloud_cli, cloud, "sites", "show", SITE)
        assert table.returncode == 0, table.stderr
        assert "last-known-good" in table.stdout
        assert f"{BUNDLE} installed" in table.stdout


async def test_a_rolled_back_install_shows_its_failed_step(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    build_release(
        site_dir.parent / "bundles", BUNDLE, publisher(site_dir), version="0.1.1", patch=NO_UI
    )
    async with agent_process(
        site_dir, env(site_dir, COMMERCE_EDGE_INSTALL_GATE_TIMEOUT_SECONDS="3")
    ):
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=20)
        await asyncio.to_thread(cloud.enqueue, install_command("install-2"), SITE)
        await result_of(cloud, "install-2", site_dir)
        release = (await asyncio.to_thread(listed, cloud))[SITE]["release"]
        assert release["current_bundle"] == "base"
        assert release["last_install"]["bundle_id"] == BUNDLE
        assert release["last_install"]["outcome"] == "rolled_back"
        assert release["last_install"]["failed_step"] == "health-gate"
        assert "POS UI is not served" in release["last_install"]["message"]
        table = await asyncio.to_thread(cloud_cli, cloud, "sites", "list")
        assert f"{BUNDLE} rolled back at health-gate" in table.stdout
