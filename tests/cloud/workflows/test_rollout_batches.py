"""RolloutStoreFleet's batches, early halts, health signals and skipped sites, on the real
Temporal dev server with the real activities over a real cloud store; the sites' installer and
health probe are stand-ins (see tests/support/rollouts.py). Observation windows are real."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from google.protobuf.duration_pb2 import Duration
from temporalio.api.enums.v1 import EventType
from temporalio.testing import WorkflowEnvironment

from ameide_core_proto.process.commerce.v1 import edge_pb2, rollout_pb2
from cloud.activities.rollout_messages import SiteSignals
from cloud.workflows.rollout import signal_failures
from tests.support.rollouts import RolloutBench, dev_server, publish_bundle, rollout_bench
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


def _states(sites: list[rollout_pb2.SiteRolloutStatus]) -> dict[str, str]:
    return {s.site_id: State.Name(s.state).removeprefix("SITE_ROLLOUT_STATE_") for s in sites}


async def _activities(bench: RolloutBench, workflow_id: str) -> list[str]:
    history = await bench.env.client.get_workflow_handle(workflow_id).fetch_history()
    return [
        e.activity_task_scheduled_event_attributes.activity_type.name
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


async def test_each_step_installs_in_child_batches_named_by_ring_step_and_batch(
    bench: RolloutBench,
) -> None:
    sites = bench.add_sites(25)
    result = await bench.rollouts.execute_rollout_store_fleet(
        bench.request("ring-big", step_size=0, batch_size=5)
    )
    assert result.phase == Phase.ROLLOUT_PHASE_COMPLETED and result.sites_upgraded == 25
    assert sorted(bench.installer.installs) == sites
    parent = "rollout-store-fleet/ring-big"
    assert "InstallSiteBundle" not in await _activities(bench, parent)
    # Step 0: the canary alone; step 1: the other 24 sites in batches of at most 5.
    assert await _activities(bench, f"{parent}/step-0/batch-0") == ["InstallSiteBundle"]
    for batch in range(5):
        installs = await _activities(bench, f"{parent}/step-1/batch-{batch}")
        assert installs == ["InstallSiteBundle"] * (5 if batch < 4 else 4)
    history = await bench.env.client.get_workflow_handle(parent).fetch_history()
    assert len(history.events) < 120  # the parent's history does not grow with the sites


async def test_a_step_halts_as_soon_as_its_failures_pass_the_threshold(
    bench: RolloutBench,
) -> None:
    sites = bench.add_sites(6)
    # Step 1 holds 5 sites: three fail at once, two are still installing (held) when the
    # third failure makes the halt certain (3 of 5 > 50 %).
    bench.installer.failing = set(sites[1:4])
    bench.installer.held = set(sites[4:])
    handle = await bench.rollouts.start_rollout_store_fleet(
        bench.request("ring-fast", step_size=5, batch_size=2, max_failure_ratio=0.5)
    )

    async def halted_while_installs_run() -> bool:
        status = await handle.get_rollout_status(rollout_pb2.GetRolloutStatusRequest())
        return status.phase == Phase.ROLLOUT_PHASE_ROLLING_BACK

    await eventually(halted_while_installs_run)
    assert not set(bench.installer.installs) & set(sites[4:])  # still held: not yet answered
    (halted,) = bench.facts("RolloutHalted")
    assert halted.rollout_halted.sites_failed == 3
    assert "step 1: 3 of 5 sites failed" in halted.rollout_halted.reason
    bench.installer.held_until.set()  # the installs already directed finish ...
    result = await handle.result()
    assert result.phase == Phase.ROLLOUT_PHASE_ROLLED_BACK
    # ... and the sites they upgraded are rolled back with the canary.
    assert _states(list(result.sites)) == {
        sites[0]: "ROLLED_BACK", **{s: "FAILED" for s in sites[1:4]},
        **{s: "ROLLED_BACK" for s in sites[4:]},
    }  # fmt: skip
    assert sorted(bench.installer.rollbacks) == [sites[0], *sites[4:]]


async def test_observation_reads_health_every_interval_and_halts_at_once(
    bench: RolloutBench,
) -> None:
    sites = bench.add_sites(2)
    bench.health.unhealthy = {sites[1]: "site is revoked"}
    handle = await bench.rollouts.start_rollout_store_fleet(
        bench.request(
            "ring-watch", canary_size=2,
            observe_for=Duration(seconds=600), observe_every=Duration(seconds=1),
        )
    )  # fmt: skip
    # A functional bound: the window is 10 minutes, the halt comes at the first reading.
    result = await asyncio.wait_for(handle.result(), timeout=60)
    assert result.phase == Phase.ROLLOUT_PHASE_ROLLED_BACK
    # It had installed, so it went back with the canary; its reason keeps why.
    assert _states(list(result.sites))[sites[1]] == "ROLLED_BACK"
    assert "unhealthy after install: site is revoked; rolled back" in result.sites[1].reason


async def test_the_agents_health_signals_fail_a_site_with_the_reason(
    bench: RolloutBench,
) -> None:
    sites = bench.add_sites(3)
    bench.health.signals = {
        sites[0]: SiteSignals("ready", checksum_mismatches=["sales"]),
        sites[1]: SiteSignals("ready", replication_lag=50_000),
    }
    bench.health.errors_per_observation = {sites[2]: 20}
    result = await bench.rollouts.execute_rollout_store_fleet(
        bench.request(
            "ring-signals", canary_size=3, max_failure_ratio=0.9,
            observe_for=Duration(seconds=3), observe_every=Duration(seconds=1),
        )
    )  # fmt: skip
    assert result.phase == Phase.ROLLOUT_PHASE_ROLLED_BACK
    reasons = {s.site_id: s.reason for s in result.sites}
    assert _states(list(result.sites)) == {s: "ROLLED_BACK" for s in sites}
    assert "rows do not add up to their checksums in sales" in reasons[sites[0]]
    assert "replication lags 50000 changes behind (more than 10000)" in reasons[sites[1]]
    assert "20 new errors while observed (more than 10); last: boom" in reasons[sites[2]]
    assert "step 0: 3 of 3 sites failed" in result.reason


async def test_a_site_the_matrix_may_not_move_to_the_bundle_is_skipped(
    bench: RolloutBench,
) -> None:
    sites = bench.add_sites(3)
    # store-0002 runs 2026.12.1, whose POS UI step (1.5.0) cannot be undone: 2026.11.1 would
    # take it back to 1.0.0.
    await asyncio.to_thread(
        publish_bundle, bench.store, bench.root, "1.5.0", bundle_id="2026.12.1", undoable=False
    )
    await asyncio.to_thread(
        bench.store.site_releases.record,
        sites[1],
        edge_pb2.InstalledBundles(current_bundle="2026.12.1", last_known_good="2026.12.1"),
        datetime.now(UTC),
    )
    result = await bench.rollouts.execute_rollout_store_fleet(bench.request("ring-skip"))
    assert result.phase == Phase.ROLLOUT_PHASE_COMPLETED
    assert _states(list(result.sites)) == {
        sites[0]: "INSTALLED", sites[1]: "SKIPPED", sites[2]: "INSTALLED",
    }  # fmt: skip
    skipped = result.sites[1]
    assert "not-undoable-downgrade" in skipped.reason and "2026.12.1 -> 2026.11.1" in skipped.reason
    assert sites[1] not in bench.installer.installs  # nothing was sent to it
    assert (result.sites_upgraded, result.sites_failed) == (2, 0)


@pytest.mark.parametrize(
    ("before", "counts", "failed"),
    [
        (5, {"pos": 12}, False),  # 7 new: within 10
        (5, {"pos": 16, "push": 1}, True),  # 12 new
        (40, {"control": 11}, True),  # the agent restarted: all 11 of its new process are new
        (40, {"control": 3}, False),
    ],
)
def test_new_errors_count_from_the_first_reading_or_from_a_restart(
    before: int, counts: dict[str, int], failed: bool
) -> None:
    signals = SiteSignals(status="ready", error_counts=counts)
    assert bool(signal_failures(signals, before, max_lag=10_000, max_new_errors=10)) is failed
