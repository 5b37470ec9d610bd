"""A `current` release whose agent cannot even start is not restarted in a loop: the package's
build (the launcher) makes the release before it current, or the base build when that cannot
start either, and says so in the status, the hello and so in the cloud (real agent process,
real gateway, real bundles)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.gateway.server import EdgeGateway
from tests.edge_agent.edge_process import agent_log, agent_process
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.installer.bundles import build_release
from tests.edge_agent.installer.test_install_restart import (
    env,
    install_command,
    publisher,
    result_of,
    started_versions,
    status,
)
from tests.edge_agent.real_gateway import CloudSide
from tests.support.stack import eventually

FIRST, SECOND = "2026.11.1", "2026.11.2"


def break_release(data_dir: Path, bundle_id: str) -> None:
    """The release's agent dies on import, as a build missing a module would."""
    init = data_dir / "releases" / bundle_id / "lib" / "edge_agent" / "__init__.py"
    assert init.is_file(), init
    init.write_text('raise ImportError("this build lost a module")\n')


async def test_a_release_that_cannot_start_falls_back_to_the_one_before_then_to_base(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    key = publisher(site_dir)
    build_release(site_dir.parent / "bundles", FIRST, key, version="0.1.1")
    build_release(site_dir.parent / "bundles", SECOND, key, version="0.1.2", migration=None)
    async with agent_process(site_dir, env(site_dir)):
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=20)
        for number, bundle_id in enumerate((FIRST, SECOND)):
            await asyncio.to_thread(cloud.enqueue, install_command(f"i-{number}", bundle_id), SITE)
            done = await result_of(cloud, f"i-{number}", site_dir)
            assert done.bundle_install.outcome == edge_pb2.BUNDLE_INSTALL_OUTCOME_INSTALLED, done
    assert started_versions(site_dir) == ["0.1.0", "0.1.1", "0.1.2"]

    break_release(site_dir, SECOND)
    async with agent_process(site_dir, env(site_dir)) as proc:
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=60)
        assert started_versions(site_dir)[-1] == "0.1.1"  # the release before it, at once
        assert os.readlink(site_dir / "releases" / "current") == FIRST
        assert f"release {SECOND} cannot start" in agent_log(site_dir)
        shown = await asyncio.to_thread(status, site_dir)
        assert shown["current_bundle"] == FIRST
        assert shown["last_known_good"] == FIRST
        assert shown["last_install"].startswith(f"{SECOND}: rolled back at start")

        def reported() -> bool:
            release = cloud.store.site_releases.get(SITE)
            return release is not None and release.current_bundle == FIRST

        await eventually(reported, timeout=20)
        release = cloud.store.site_releases.get(SITE)
        assert release is not None
        assert (release.last_install_bundle, release.last_install_outcome) == (
            SECOND,
            "rolled_back",
        )
        assert release.last_install_failed_step == "start"
        assert "this build lost a module" in release.last_install_message
        assert proc.returncode is None

    break_release(site_dir, FIRST)
    async with agent_process(site_dir, env(site_dir)) as proc:
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=60)
        assert started_versions(site_dir)[-1] == "0.1.0"  # the package's own build
        assert not (site_dir / "releases" / "current").exists()
        shown = await asyncio.to_thread(status, site_dir)
        assert shown["current_bundle"] == "base"
        assert shown["last_install"].startswith(f"{FIRST}: rolled back at start")
        assert proc.returncode is None
    # every start ran one whole build: no start of a broken one was logged
    assert started_versions(site_dir) == ["0.1.0", "0.1.1", "0.1.2", "0.1.1", "0.1.0"]
