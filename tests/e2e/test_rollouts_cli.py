"""`commerce-cloud rollouts` against a running cloud (real dev server, worker, store): what a
rollout refuses, a second start for the same ring, the per-site table, abort, and a rollout
that reached no site (every one offline) ending NOT_REACHED rather than completed.

The sites here have no agent: the worker's installer queues each install command, and a site
whose agent does not take it within `rollout_site_offline_seconds` (2 s here) counts as
offline, with the command withdrawn; `test_rollout_real_agent.py` installs on a real agent."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from tests.support.rollouts import publish_bundle
from tests.support.stack import Stack, cli, cloud_stack

pytestmark = pytest.mark.usefixtures("temporal_cli")

# Configurable timeouts of the rollout's installer, short so a site without an agent is
# counted offline at once.
QUICK_INSTALLS = {
    "rollout_site_offline_seconds": 2,
    "rollout_install_retry_seconds": 2,
    "rollout_install_poll_seconds": 0.2,
}


def _ready_sites(stack: Stack, *site_ids: str) -> None:
    for site_id in site_ids:
        stack.store.sites.create_or_get(site_id, "web-eu", site_id, "Europe/Berlin", "0.1.0")
        stack.store.sites.mark_ready(site_id, f"serial-{site_id}", 1, [])


async def _cli(stack: Stack, *args: str) -> tuple[int, str, str]:
    done = await asyncio.to_thread(cli, stack, *args)
    return done.returncode, done.stdout, done.stderr


async def test_rollouts_from_the_cli(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud", **QUICK_INSTALLS) as stack:
        code, _, err = await _cli(stack, "rollouts", "start", "2099.1.1", "--ring", "pilot",
                                  "--channel", "web-eu")  # fmt: skip
        assert code == 1 and "bundle 2099.1.1 is not published" in err

        await asyncio.to_thread(publish_bundle, stack.store, tmp_path, config=stack.config)
        code, _, err = await _cli(stack, "rollouts", "start", "2026.11.1", "--ring", "pilot",
                                  "--channel", "web-eu")  # fmt: skip
        assert code == 1 and "ring pilot selects no ready site" in err
        code, out, err = await _cli(stack, "rollouts", "label", "store-0404", "--add", "pilot")
        assert code == 2 and "site store-0404 does not exist" in err
        code, _, err = await _cli(stack, "rollouts", "start", "2026.11.1", "--ring", "Pilot!",
                                  "--channel", "web-eu")  # fmt: skip
        assert code == 2 and "invalid ring name" in err

        await asyncio.to_thread(_ready_sites, stack, "store-0001", "store-0002")
        code, out, _ = await _cli(stack, "rollouts", "label", "store-0002", "--add", "pilot",
                                  "--add", "north", "--json")  # fmt: skip
        assert code == 0 and json.loads(out)["labels"] == ["north", "pilot"]
        code, _, err = await _cli(stack, "rollouts", "label", "store-0002", "--add", "Bad Label")
        assert code == 2 and "invalid label" in err
        code, out, _ = await _cli(
            stack, "rollouts", "start", "2026.11.1", "--ring", "ring-1", "--channel", "web-eu",
            "--observe", "60s", "--no-wait",
        )  # fmt: skip
        assert code == 0 and "started rollout-store-fleet/ring-1" in out
        code, _, err = await _cli(stack, "rollouts", "start", "2026.11.1", "--ring", "ring-1",
                                  "--channel", "web-eu", "--no-wait")  # fmt: skip
        assert code == 2 and "a rollout of ring ring-1 is already running" in err

        async def observing() -> dict[str, object]:
            while True:
                code, out, err = await _cli(stack, "rollouts", "status", "ring-1", "--json")
                assert code == 0, err
                status: dict[str, object] = json.loads(out)
                if status.get("phase") == "ROLLOUT_PHASE_OBSERVING":
                    return status
                await asyncio.sleep(0.5)

        status = await asyncio.wait_for(observing(), 60)
        sites = {s["site_id"]: s for s in status["sites"]}  # type: ignore[attr-defined]
        assert sites["store-0001"]["state"] == "SITE_ROLLOUT_STATE_OFFLINE"
        assert "did not take the install command within" in sites["store-0001"]["reason"]
        # the queued command is withdrawn: the site does not install it later unasked
        withdrawn = stack.store.commands.get(
            "rollout-store-fleet/ring-1/step-0/batch-0/install-bundle/store-0001/2026.11.1"
        )
        assert withdrawn is not None and withdrawn.status == "failed"
        assert "withdrawn" in (withdrawn.error or "")
        assert sites["store-0002"]["state"] == "SITE_ROLLOUT_STATE_PENDING"
        code, out, _ = await _cli(stack, "rollouts", "status", "ring-1")
        assert code == 0 and "store-0001" in out and "observing" in out

        code, _, err = await _cli(stack, "rollouts", "approve", "ring-1", "--step", "1")
        assert code == 2 and "no step waits for approval" in err
        code, out, _ = await _cli(stack, "rollouts", "abort", "ring-1", "--reason", "drill")
        assert code == 0 and "aborted: drill" in out
        handle = stack.client.get_workflow_handle("rollout-store-fleet/ring-1")
        await asyncio.wait_for(handle.result(), 60)
        code, out, _ = await _cli(stack, "rollouts", "status", "ring-1", "--json")
        status = json.loads(out)
        assert status["phase"] == "ROLLOUT_PHASE_ABORTED"
        states = {s["site_id"]: s["state"] for s in status["sites"]}
        assert states["store-0002"] == "SITE_ROLLOUT_STATE_NOT_REACHED"
        described = await handle.describe()
        assert described.search_attributes["BundleId"] == ["2026.11.1"]
        assert described.search_attributes["RolloutRing"] == ["ring-1"]


async def test_a_rollout_that_reaches_no_site_says_so(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud", **QUICK_INSTALLS) as stack:
        await asyncio.to_thread(publish_bundle, stack.store, tmp_path, config=stack.config)
        await asyncio.to_thread(_ready_sites, stack, "store-0001", "store-0002")
        code, out, err = await _cli(
            stack, "rollouts", "start", "2026.11.1", "--ring", "ring-dark", "--channel", "web-eu",
            "--observe", "0s",
        )  # fmt: skip
        assert code == 1, err  # not a success: nothing was installed
        assert "not reached" in out
        assert "installed on none of the 2 selected sites (2 offline)" in " ".join(out.split())
        code, out, _ = await _cli(stack, "rollouts", "status", "ring-dark", "--json")
        status = json.loads(out)
        assert status["phase"] == "ROLLOUT_PHASE_NOT_REACHED"
        assert {s["state"] for s in status["sites"]} == {"SITE_ROLLOUT_STATE_OFFLINE"}
        facts = await asyncio.to_thread(stack.store.facts.tail, 0, 1000)
        assert not [r for r in facts if r.fact_type == "RolloutCompleted"]
