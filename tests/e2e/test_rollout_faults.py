"""Faults: the cloud SIGKILLed in the middle of a rollout, while the canary's install waits for
its agent. `commerce-cloud serve` runs as its own process; after the kill a new one takes the
rollout up where its history left it (the install activity resumes after its heartbeat
timeout, following the same command).

The sites have no agent process here: a stand-in for the canary's agent (named as such)
answers its install command in the cloud store the way an agent whose new build failed its
health gate does, so the canary fails and the rollout halts: the point here is that its state
survives the kill whole, once. (Installs on a real agent: `test_rollout_real_agent.py`.)"""

from __future__ import annotations

import asyncio
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.adapters.store import CloudStore
from cloud.assembly import open_ops
from cloud.config import CloudConfig
from tests.e2e.test_faults import _sigkill, serve_process
from tests.support.rollouts import publish_bundle
from tests.support.stack import BIN, cloud_config, cloud_env, eventually

pytestmark = pytest.mark.usefixtures("temporal_cli")


def _cli(config: CloudConfig, *args: str) -> tuple[int, str, str]:
    done = subprocess.run(
        [str(BIN / "commerce-cloud"), *args], capture_output=True, text=True, timeout=120,
        env=cloud_env(config), check=False,
    )  # fmt: skip
    return done.returncode, done.stdout, done.stderr


def stand_in_agent_fails_installs(store: CloudStore, site_id: str) -> bool:
    """Stand-in for the site's agent (no agent process runs here): answers its open install
    commands as an agent does whose new build failed its health gate. True once it answered."""
    answered = False
    for record in store.commands.pending_for_site(site_id):
        if record.kind != "install_bundle":
            continue
        result = edge_pb2.CommandResult(
            command_id=record.command_id,
            outcome=edge_pb2.COMMAND_OUTCOME_FAILED_PERMANENT,
            reason="InstallRolledBack",
            message="the new build did not pass its health gate; the previous one runs",
            bundle_install=edge_pb2.BundleInstallReport(
                outcome=edge_pb2.BUNDLE_INSTALL_OUTCOME_ROLLED_BACK,
                current_bundle="base",
                previous_bundle="base",
                failed_step="health-gate",
                message="POS UI is not served",
            ),
        )
        store.commands.complete(
            record.command_id, site_id, False, result.SerializeToString(), result.message,
            datetime.now(UTC),
        )  # fmt: skip
        answered = True
    return answered


async def test_cloud_killed_mid_rollout_finishes_it_once(tmp_path: Path) -> None:
    config = cloud_config(tmp_path / "cloud", rollout_install_poll_seconds=0.2)
    log = tmp_path / "serve.log"
    ops = await asyncio.to_thread(open_ops, config)
    try:
        await asyncio.to_thread(ops.channels.create, "web-eu", "Web EU", [])
        for site_id in ("store-0001", "store-0002", "store-0003"):
            ops.store.sites.create_or_get(site_id, "web-eu", site_id, "Europe/Berlin", "0.1.0")
            ops.store.sites.mark_ready(site_id, f"serial-{site_id}", 1, [])
        await asyncio.to_thread(publish_bundle, ops.store, tmp_path, config=config)

        async with serve_process(config, log) as proc:
            code, _, err = await asyncio.to_thread(
                _cli, config, "rollouts", "start", "2026.11.1", "--ring", "ring-1",
                "--channel", "web-eu", "--observe", "8s", "--no-wait",
            )  # fmt: skip
            assert code == 0, err

            def canary_install_queued() -> bool:
                return any(
                    r.kind == "install_bundle"
                    for r in ops.store.commands.pending_for_site("store-0001")
                )

            await eventually(canary_install_queued, timeout=60)
            await _sigkill(proc, config)  # while the canary's install waits for its agent

        async with serve_process(config, log):
            # The agent answers only now: the install activity that followed the command died
            # with the first cloud; its retry (after the heartbeat timeout) follows the same
            # command and finds the answer.
            await eventually(
                lambda: stand_in_agent_fails_installs(ops.store, "store-0001"), timeout=60
            )
            seen: dict[str, Any] = {}

            async def rolled_back() -> bool:
                code, out, err = await asyncio.to_thread(
                    _cli, config, "rollouts", "status", "ring-1", "--json"
                )
                assert code == 0, err
                seen.update(json.loads(out))
                return bool(seen["phase"] == "ROLLOUT_PHASE_ROLLED_BACK")

            await eventually(rolled_back, timeout=150)
        status = seen
        states = {s["site_id"]: s["state"].removeprefix("SITE_ROLLOUT_STATE_")
                  for s in status["sites"]}  # fmt: skip
        assert states == {
            "store-0001": "FAILED", "store-0002": "NOT_REACHED", "store-0003": "NOT_REACHED",
        }  # fmt: skip
        assert "step 0: 1 of 1 sites failed" in status["reason"]
        halted = [r for r in ops.store.facts.tail(0, 1000) if r.fact_type == "RolloutHalted"]
        assert len(halted) == 1  # recorded once, across the kill
        # One install command for the canary, across the kill: its batch (a child workflow
        # whose id is the rollout's, the step's and the batch's) was found, not started again.
        first = "rollout-store-fleet/ring-1/step-0/batch-0/install-bundle/store-0001/2026.11.1"
        assert ops.store.commands.get(first) is not None
        assert ops.store.commands.get(f"{first}/1") is None
    finally:
        await asyncio.to_thread(ops.close)
