"""RolloutStoreFleet installs a signed bundle on a real agent: real dev server, worker,
gateway (mTLS on loopback), a store provisioned and enrolled as ops do, and a real
`commerce-edge` process that downloads the published bundle, restarts onto it and passes its
health gate. What a user checks: `rollouts status`, the agent's release, `sites show`, facts."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from cloud.composition.fleet_assembly import fleet_versions, trusted_keys_dir
from tests.e2e.test_rollouts_cli import QUICK_INSTALLS
from tests.edge_agent.edge_process import agent_log, agent_process
from tests.edge_agent.installer.bundles import build_release, make_publisher
from tests.edge_agent.installer.test_install_restart import env, started_versions
from tests.support.stack import Stack, cli, cloud_stack, enroll_agent, eventually

pytestmark = pytest.mark.usefixtures("temporal_cli")

SITE, BUNDLE = "store-0042", "2026.11.1"


def publish(stack: Stack, root: Path) -> None:
    """`bundles build` and `bundles publish` as a publisher and ops do (a real signed bundle)."""
    key = make_publisher(root / "trusted")  # the agent trusts this dir too (see `env`)
    archive = build_release(root / "published", BUNDLE, key, version="0.1.1")
    keys = trusted_keys_dir(stack.config)
    keys.mkdir(parents=True, exist_ok=True)
    shutil.copy(key.public_pem, keys / "publisher.pem")
    fleet_versions(stack.config, stack.store).publish(archive, "test")


async def test_a_rollout_installs_a_signed_bundle_on_a_real_agent(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud", **QUICK_INSTALLS) as stack:
        handle, status = await stack.provision(SITE)
        agent_dir = tmp_path / "store"
        enrolled = await enroll_agent(stack.enrollment(status), agent_dir)
        assert enrolled.returncode == 0, enrolled.stderr
        await asyncio.to_thread(publish, stack, tmp_path)
        async with agent_process(agent_dir, env(agent_dir)) as proc:
            await asyncio.wait_for(handle.result(), 60)  # provisioned and ready
            started = await asyncio.to_thread(
                cli, stack, "rollouts", "start", BUNDLE, "--ring", "pilot", "--site", SITE,
                "--canary", "1", "--observe", "2s", "--no-wait",
            )  # fmt: skip
            assert started.returncode == 0, started.stderr

            seen: dict[str, Any] = {}

            def ended() -> bool:
                out = cli(stack, "rollouts", "status", "pilot", "--json")
                assert out.returncode == 0, out.stderr
                seen.update(json.loads(out.stdout))
                return str(seen["phase"]) in (
                    "ROLLOUT_PHASE_COMPLETED",
                    "ROLLOUT_PHASE_ROLLED_BACK",
                    "ROLLOUT_PHASE_ABORTED",
                )

            async def rollout_ended() -> bool:
                return await asyncio.to_thread(ended)

            try:
                await eventually(rollout_ended, timeout=180, interval=1)
            except AssertionError:
                raise AssertionError(f"{seen}\n{agent_log(agent_dir)[-6000:]}") from None
            assert seen["phase"] == "ROLLOUT_PHASE_COMPLETED", seen
            sites = {s["site_id"]: s for s in seen["sites"]}
            assert sites[SITE]["state"] == "SITE_ROLLOUT_STATE_INSTALLED", sites

            # the agent restarted onto the bundle's build, in the same process
            assert started_versions(agent_dir) == ["0.1.0", "0.1.1"]
            assert os.readlink(agent_dir / "releases" / "current") == BUNDLE
            assert proc.returncode is None

            def shown() -> dict[str, Any]:
                out = cli(stack, "sites", "show", SITE, "--json")
                assert out.returncode == 0, out.stderr
                return dict(json.loads(out.stdout))

            async def release_shown() -> bool:
                release = (await asyncio.to_thread(shown))["release"]
                return bool(release and release["current_bundle"] == BUNDLE)

            await eventually(release_shown, timeout=30)
            release = (await asyncio.to_thread(shown))["release"]
            assert release["last_known_good"] == BUNDLE
            assert release["last_install"]["outcome"] == "installed"

        facts = [f.fact_type for f in stack.store.facts.tail(0, 1000)]
        assert facts.count("SiteBundleInstalled") == 1
        assert facts.count("RolloutCompleted") == 1
        assert "RolloutHalted" not in facts
