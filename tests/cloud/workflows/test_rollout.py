"""RolloutStoreFleet on the real Temporal dev server with its real activities over a real cloud
store; the sites' installer and health probe are stand-ins (see tests/support/rollouts.py).
Observation windows are real, and short (1 s)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.client import WorkflowFailureError, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, WorkflowAlreadyStartedError
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from ameide_core_proto.process.commerce.v1 import rollout_pb2
from cloud.compatibility import packaged_matrix_text
from tests.support.rollouts import RolloutBench, dev_server, rollout_bench
from tests.support.stack import eventually

Phase = rollout_pb2.RolloutPhase
State = rollout_pb2.SiteRolloutState


@pytest.fixture(scope="module")
async def env(temporal_cli: Path) -> AsyncIterator[WorkflowEnvironment]:
    async with dev_server(temporal_cli) as running:
        yield running


@pytest.fixture
async def bench(env: WorkflowEnvironment, tmp_path: Path) -> AsyncIterator[RolloutBench]:
    async with rollout_bench(env, tmp_path) as ready:
        yield ready


def _states(result: rollout_pb2.RolloutStoreFleetResult) -> dict[str, str]:
    return {
        s.site_id: State.Name(s.state).removeprefix("SITE_ROLLOUT_STATE_") for s in result.sites
    }


def _cause(err: WorkflowFailureError) -> ApplicationError:
    cause = err.cause
    while cause is not None and not isinstance(cause, ApplicationError):
        cause = cause.__cause__
    assert isinstance(cause, ApplicationError)
    return cause


async def test_canaries_first_then_steps_until_every_site_runs_the_bundle(
    bench: RolloutBench,
) -> None:
    sites = bench.add_sites(7)
    result = await bench.rollouts.execute_rollout_store_fleet(
        bench.request(step_size=3, observe_for=Duration(seconds=1))
    )
    assert result.phase == Phase.ROLLOUT_PHASE_COMPLETED
    assert result.sites_upgraded == 7 and result.sites_failed == 0
    assert set(_states(result).values()) == {"INSTALLED"}
    assert [s.step for s in result.sites] == [0, 1, 1, 1, 2, 2, 2]
    assert bench.installer.installs[0] == sites[0]  # the canary went alone, first
    assert sorted(bench.installer.installs) == sites
    assert [f.rollout_step_advanced.step for f in bench.facts("RolloutStepAdvanced")] == [0, 1, 2]
    assert len(bench.facts("SiteBundleInstalled")) == 7
    (completed,) = bench.facts("RolloutCompleted")
    assert completed.rollout_completed.sites_installed == 7


async def test_failures_past_the_threshold_halt_and_roll_back_every_upgraded_site(
    bench: RolloutBench,
) -> None:
    sites = bench.add_sites(8)
    # Step 1 (sites 2-4): one install fails, one site is unhealthy after its install.
    bench.installer.failing = {sites[1]}
    bench.health.unhealthy = {sites[2]: "replication lag 900 s"}
    result = await bench.rollouts.execute_rollout_store_fleet(
        bench.request(step_size=3, min_failures=2, max_failure_ratio=0.5)
    )
    assert result.phase == Phase.ROLLOUT_PHASE_ROLLED_BACK
    assert "step 1: 2 of 3 sites failed" in result.reason
    assert _states(result) == {
        sites[0]: "ROLLED_BACK", sites[1]: "FAILED", sites[2]: "ROLLED_BACK",
        sites[3]: "ROLLED_BACK", **{s: "NOT_REACHED" for s in sites[4:]},
    }  # fmt: skip
    # The unhealthy site had installed: it goes back too, newest step first.
    assert set(bench.installer.rollbacks) == {sites[0], sites[2], sites[3]}
    assert bench.installer.rollbacks[-1] == sites[0]
    assert not set(bench.installer.installs) & set(sites[4:])
    (halted,) = bench.facts("RolloutHalted")
    assert (halted.rollout_halted.step, halted.rollout_halted.sites_failed) == (1, 2)
    assert len(bench.facts("SiteBundleRolledBack")) == 3
    assert len(bench.facts("RolloutRolledBack")) == 1
    assert bench.facts("RolloutCompleted") == []


async def test_one_failure_under_the_minimum_count_does_not_halt(bench: RolloutBench) -> None:
    sites = bench.add_sites(4)
    bench.installer.failing = {sites[1]}
    result = await bench.rollouts.execute_rollout_store_fleet(
        bench.request(min_failures=2, max_failure_ratio=0.1)
    )
    assert result.phase == Phase.ROLLOUT_PHASE_COMPLETED
    assert (result.sites_upgraded, result.sites_failed) == (3, 1)


async def test_offline_sites_are_tracked_apart_and_get_the_bundle_when_back(
    bench: RolloutBench,
) -> None:
    sites = bench.add_sites(5)
    bench.installer.offline = {sites[3]}
    bench.installer.returning = {sites[2]}
    result = await bench.rollouts.execute_rollout_store_fleet(bench.request(max_failure_ratio=0))
    assert result.phase == Phase.ROLLOUT_PHASE_COMPLETED
    assert (result.sites_upgraded, result.sites_offline, result.sites_failed) == (4, 1, 0)
    assert _states(result)[sites[2]] == "INSTALLED"  # back after its step: caught up
    assert _states(result)[sites[3]] == "OFFLINE"
    assert bench.installer.installs.count(sites[3]) == 2  # its step, then one catch-up round


async def test_a_site_back_late_never_gets_a_bundle_the_matrix_no_longer_allows(
    bench: RolloutBench,
) -> None:
    sites = bench.add_sites(3)
    bench.installer.returning = {sites[2]}
    handle = await bench.rollouts.start_rollout_store_fleet(
        bench.request("ring-late", step_size=2, observe_for=Duration(seconds=3))
    )

    async def offline_in_last_step() -> bool:
        status = await handle.get_rollout_status(rollout_pb2.GetRolloutStatusRequest())
        states = {s.site_id: s.state for s in status.sites}
        return states.get(sites[2]) == State.SITE_ROLLOUT_STATE_OFFLINE

    await eventually(offline_in_last_step)
    await asyncio.to_thread(
        bench.store.compat_matrices.save, 2, "x" * 64, _stricter(), datetime.now(UTC), "ops"
    )
    result = await handle.result()
    assert result.phase == Phase.ROLLOUT_PHASE_COMPLETED
    late = next(s for s in result.sites if s.site_id == sites[2])
    assert late.state == State.SITE_ROLLOUT_STATE_OFFLINE
    assert "compatibility matrix version 2 no longer allows 2026.11.1" in late.reason
    assert bench.installer.installs.count(sites[2]) == 1


def _stricter() -> str:
    return (
        packaged_matrix_text()
        .replace("version = 1\n", "version = 2\n", 1)
        .replace('versions = ">=1.0.0,<3.0.0"', 'versions = ">=2.0.0,<3.0.0"')
    )


async def test_a_bundle_the_matrix_refuses_is_refused_before_any_site_is_touched(
    bench: RolloutBench,
) -> None:
    bench.add_sites(3)
    stricter = (
        packaged_matrix_text()
        .replace("version = 1\n", "version = 2\n", 1)
        .replace('versions = ">=1.0.0,<3.0.0"', 'versions = ">=2.0.0,<3.0.0"')
    )
    now = datetime.now(UTC)
    await asyncio.to_thread(bench.store.compat_matrices.save, 2, "x" * 64, stricter, now, "ops")
    with pytest.raises(WorkflowFailureError) as refused:
        await bench.rollouts.execute_rollout_store_fleet(bench.request())
    cause = _cause(refused.value)
    assert cause.type == "BundleRefusedByMatrix"
    assert "unsupported-version: pos-ui 1.0.0" in cause.message
    assert "no site was touched" in cause.message
    assert bench.installer.installs == []


@pytest.mark.parametrize(
    ("selector", "kind", "message"),
    [
        (rollout_pb2.RingSelector(sales_channel_id="web-us"), "EmptyRing", "selects no ready site"),
        (rollout_pb2.RingSelector(site_ids=["store-0404"]), "InvalidRing", "does not exist"),
    ],
)
async def test_a_ring_that_selects_no_site_is_refused(
    bench: RolloutBench, selector: rollout_pb2.RingSelector, kind: str, message: str
) -> None:
    bench.add_sites(2)
    with pytest.raises(WorkflowFailureError) as refused:
        await bench.rollouts.execute_rollout_store_fleet(bench.request(selector=selector))
    assert _cause(refused.value).type == kind
    assert message in _cause(refused.value).message
    assert bench.installer.installs == []


async def test_operators_approve_pause_resume_and_abort(bench: RolloutBench) -> None:
    sites = bench.add_sites(6)
    handle = await bench.rollouts.start_rollout_store_fleet(
        bench.request(step_size=2, require_approval=True)
    )
    with pytest.raises(WorkflowAlreadyStartedError):
        await bench.rollouts.start_rollout_store_fleet(bench.request(step_size=2))

    async def waiting_at(step: int) -> bool:
        status = await handle.get_rollout_status(rollout_pb2.GetRolloutStatusRequest())
        return status.phase == Phase.ROLLOUT_PHASE_AWAITING_APPROVAL and status.step == step

    await eventually(lambda: waiting_at(1))
    status = await handle.get_rollout_status(rollout_pb2.GetRolloutStatusRequest())
    assert status.phase == Phase.ROLLOUT_PHASE_AWAITING_APPROVAL and status.step == 1
    assert bench.installer.installs == [sites[0]]
    with pytest.raises(WorkflowUpdateFailedError) as wrong:
        await handle.approve_rollout_step_update(rollout_pb2.ApproveRolloutStep(step=2))
    assert "step 1 waits for approval, not step 2" in str(wrong.value.cause)
    with pytest.raises(WorkflowUpdateFailedError):
        await handle.abort_rollout_update(rollout_pb2.AbortRollout(reason=" "))

    await handle.pause_rollout_signal(rollout_pb2.PauseRollout(reason="store event"))
    accepted = await handle.approve_rollout_step_update(rollout_pb2.ApproveRolloutStep(step=1))
    assert accepted.status.paused
    await asyncio.sleep(1)
    assert bench.installer.installs == [sites[0]]  # paused: the approved step waits
    await handle.resume_rollout_signal(rollout_pb2.ResumeRollout())
    await eventually(lambda: waiting_at(2))
    assert sorted(bench.installer.installs) == sites[:3]
    await handle.abort_rollout_update(rollout_pb2.AbortRollout(reason="holiday freeze"))
    result = await handle.result()
    assert result.phase == Phase.ROLLOUT_PHASE_ABORTED and result.reason == "holiday freeze"
    assert (result.sites_upgraded, result.sites_not_reached) == (3, 3)
    with pytest.raises(RPCError, match="already completed"):
        await bench.rollouts.get_rollout_store_fleet_handle(handle.id).abort_rollout_update(
            rollout_pb2.AbortRollout(reason="again")
        )


async def test_a_long_ring_continues_as_new_and_keeps_every_sites_state(
    bench: RolloutBench,
) -> None:
    sites = bench.add_sites(12)
    bench.installer.offline = {sites[5]}
    handle = await bench.rollouts.start_rollout_store_fleet(
        bench.request("ring-long", step_size=2, max_history_events=40)
    )
    result = await handle.result()
    assert result.phase == Phase.ROLLOUT_PHASE_COMPLETED
    assert (result.sites_upgraded, result.sites_offline) == (11, 1)
    assert [s.site_id for s in result.sites] == sites
    runs = [e async for e in bench.env.client.list_workflows(f"WorkflowId = '{handle.id}'")]
    assert len(runs) > 2  # the run continued as new, more than once
    for run in runs:
        history = await bench.env.client.get_workflow_handle(
            handle.id, run_id=run.run_id
        ).fetch_history()
        assert len(history.events) < 80  # each run's history stays bounded
    assert [f.rollout_step_advanced.step for f in bench.facts("RolloutStepAdvanced")] == list(
        range(7)
    )


async def test_a_ring_by_label_selects_the_ready_sites_carrying_it(bench: RolloutBench) -> None:
    sites = bench.add_sites(5)
    bench.store.site_labels.add(sites[1], ["pilot"])
    bench.store.site_labels.add(sites[3], ["pilot", "north"])
    result = await bench.rollouts.execute_rollout_store_fleet(
        bench.request("ring-pilot", selector=rollout_pb2.RingSelector(label="pilot"))
    )
    assert [s.site_id for s in result.sites] == [sites[1], sites[3]]
    assert sorted(bench.installer.installs) == [sites[1], sites[3]]
