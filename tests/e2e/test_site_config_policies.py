"""Every site configuration the cloud sends carries the offline-policy overrides in force:
real dev server, real worker and gateway (mTLS), a real `commerce-edge` process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from cloud.services.realtime_policies import RealtimePolicyService
from tests.support.stack import agent_process, agent_status, cloud_stack, enroll_agent, eventually

pytestmark = pytest.mark.usefixtures("temporal_cli")


def _kinds(status: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k["kind"]: k for k in (status.get("realtime") or {}).get("kinds", [])}


async def test_provisioning_and_later_configs_keep_the_overrides_in_force(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        store = stack.store
        policies = RealtimePolicyService(
            store.realtime_policies, store.sites, store.channels, store.commands
        )
        # Set on the channel before the site exists: nothing to send to yet.
        sent = await asyncio.to_thread(
            policies.set, "channel", "web-eu", "gift-card-redeem", "allow-within-limits", 300, 1000
        )
        assert sent == []

        handle, status = await stack.provision("store-0042")
        agent_dir = tmp_path / "store"
        enrolled = await enroll_agent(stack.enrollment(status), agent_dir)
        assert enrolled.returncode == 0, enrolled.stderr
        async with agent_process(agent_dir):
            await handle.result()

            async def provisioned() -> bool:
                s = await agent_status(agent_dir)
                k = _kinds(s).get("gift-card-redeem", {})
                return s["config_generation"] == 1 and k.get("per_subject") == 300

            # The configuration provisioning sent carries the channel's override.
            await eventually(provisioned, 30)
            kinds = _kinds(await agent_status(agent_dir))
            assert kinds["gift-card-redeem"]["offline_policy"] == "allow-within-limits"

            # A later change sends a new generation that keeps the earlier override.
            sent = await asyncio.to_thread(
                policies.set, "site", "store-0042", "loyalty-redeem", "refuse"
            )
            assert sent == ["store-0042"]

            async def both() -> bool:
                s = await agent_status(agent_dir)
                k = _kinds(s)
                return (
                    s["config_generation"] == 2
                    and k.get("loyalty-redeem", {}).get("offline_policy") == "refuse"
                )

            await eventually(both, 30)
            kinds = _kinds(await agent_status(agent_dir))
            assert kinds["gift-card-redeem"]["per_subject"] == 300
            site = store.sites.get("store-0042")
            assert site is not None and site.config_generation == 2

            # Removing one override sends generation 3 with only the other.
            await asyncio.to_thread(policies.remove, "channel", "web-eu", "gift-card-redeem")

            async def removed() -> bool:
                s = await agent_status(agent_dir)
                k = _kinds(s).get("gift-card-redeem", {})
                return s["config_generation"] == 3 and k.get("per_subject") != 300

            await eventually(removed, 30)
            kinds = _kinds(await agent_status(agent_dir))
            assert kinds["loyalty-redeem"]["offline_policy"] == "refuse"
