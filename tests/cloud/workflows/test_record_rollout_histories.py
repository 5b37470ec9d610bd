"""Records the replay corpus of RolloutStoreFleet on the real dev server (the bench of
tests/support/rollouts.py: real activities and store, stand-in site installer).

Runs only with COMMERCE_RECORD_HISTORIES=1 (`make record-histories`); writes
tests/histories/rollout/*.json.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from google.protobuf.duration_pb2 import Duration

from ameide_core_proto.process.commerce.v1 import rollout_pb2
from tests.cloud.workflows.corpus import HISTORIES_DIR, write_history
from tests.support.rollouts import RolloutBench, dev_server, rollout_bench
from tests.support.stack import eventually

pytestmark = [
    pytest.mark.slow,
    pytest.mark.opt_in,
    pytest.mark.skipif(
        os.environ.get("COMMERCE_RECORD_HISTORIES") != "1",
        reason="records histories only with COMMERCE_RECORD_HISTORIES=1 (make record-histories)",
    ),
]

ROLLOUT_DIR = HISTORIES_DIR / "rollout"


async def _save(bench: RolloutBench, workflow_id: str, scenario: str) -> None:
    """Write a new scenario's history; a recorded one is kept (histories recorded before the
    batches patch replay the old commands, and a new recording would take the new path)."""
    path = ROLLOUT_DIR / f"{scenario}.json"
    if path.exists():
        return
    history = await bench.env.client.get_workflow_handle(workflow_id).fetch_history()
    write_history(path, history.to_json())


async def test_record_rollout_histories(temporal_cli: Path, tmp_path: Path) -> None:
    async with dev_server(temporal_cli) as env:
        async with rollout_bench(env, tmp_path / "a") as bench:
            bench.add_sites(5)
            done = await bench.rollouts.execute_rollout_store_fleet(
                bench.request("ring-done", step_size=2, observe_for=Duration(seconds=1))
            )
            assert done.phase == rollout_pb2.ROLLOUT_PHASE_COMPLETED
            await _save(bench, "rollout-store-fleet/ring-done", "completed")

        async with rollout_bench(env, tmp_path / "b") as bench:
            sites = bench.add_sites(6)
            bench.installer.failing = {sites[1], sites[2]}
            halted = await bench.rollouts.execute_rollout_store_fleet(
                bench.request("ring-halt", step_size=3, min_failures=2)
            )
            assert halted.phase == rollout_pb2.ROLLOUT_PHASE_ROLLED_BACK
            await _save(bench, "rollout-store-fleet/ring-halt", "halted_rolled_back")

        async with rollout_bench(env, tmp_path / "c") as bench:
            bench.add_sites(4)
            handle = await bench.rollouts.start_rollout_store_fleet(
                bench.request("ring-ops", step_size=1, require_approval=True)
            )

            async def waiting_at(step: int) -> bool:
                status = await handle.get_rollout_status(rollout_pb2.GetRolloutStatusRequest())
                return (
                    status.phase == rollout_pb2.ROLLOUT_PHASE_AWAITING_APPROVAL
                    and status.step == step
                )

            await eventually(lambda: waiting_at(1))
            await handle.pause_rollout_signal(rollout_pb2.PauseRollout(reason="drill"))
            await handle.approve_rollout_step_update(rollout_pb2.ApproveRolloutStep(step=1))
            await handle.resume_rollout_signal(rollout_pb2.ResumeRollout())
            await eventually(lambda: waiting_at(2))
            await handle.abort_rollout_update(rollout_pb2.AbortRollout(reason="drill over"))
            aborted = await handle.result()
            assert aborted.phase == rollout_pb2.ROLLOUT_PHASE_ABORTED
            await _save(bench, "rollout-store-fleet/ring-ops", "approve_pause_abort")


async def test_record_batched_rollout_histories(temporal_cli: Path, tmp_path: Path) -> None:
    """Runs started with the `rollout-batch-children` patch: steps in RolloutSiteBatch
    children, a halt as soon as failures pass the threshold, a rollout that reaches no site."""
    async with dev_server(temporal_cli) as env:
        async with rollout_bench(env, tmp_path / "a") as bench:
            bench.add_sites(5)
            done = await bench.rollouts.execute_rollout_store_fleet(
                bench.request(
                    "ring-batched", step_size=2, batch_size=1,
                    observe_for=Duration(seconds=2), observe_every=Duration(seconds=1),
                )
            )  # fmt: skip
            assert done.phase == rollout_pb2.ROLLOUT_PHASE_COMPLETED
            await _save(bench, "rollout-store-fleet/ring-batched", "batched_completed")
            await _save(bench, "rollout-store-fleet/ring-batched/step-1/batch-0", "batch_install")

        async with rollout_bench(env, tmp_path / "b") as bench:
            sites = bench.add_sites(6)
            bench.installer.failing = {sites[1], sites[2], sites[3]}
            halted = await bench.rollouts.execute_rollout_store_fleet(
                bench.request("ring-batched-halt", step_size=5, batch_size=2, min_failures=2)
            )
            assert halted.phase == rollout_pb2.ROLLOUT_PHASE_ROLLED_BACK
            await _save(bench, "rollout-store-fleet/ring-batched-halt", "batched_halted")
            await _save(
                bench, "rollout-store-fleet/ring-batched-halt/rollback/step-1/batch-0",
                "batch_rollback",
            )  # fmt: skip

        async with rollout_bench(env, tmp_path / "c") as bench:
            bench.installer.offline = set(bench.add_sites(2))
            dark = await bench.rollouts.execute_rollout_store_fleet(bench.request("ring-dark"))
            assert dark.phase == rollout_pb2.ROLLOUT_PHASE_NOT_REACHED
            await _save(bench, "rollout-store-fleet/ring-dark", "not_reached")
