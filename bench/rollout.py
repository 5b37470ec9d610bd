"""Benchmark room: RolloutStoreFleet over a simulated fleet on the real Temporal dev server.

Prints a table (never pass/fail) and writes bench/results/rollout.json (`--output`): SITES
ready sites (1,000) in RINGS rings (4) rolled out one ring after the other with no
observation wait (canaries, then steps), `seconds_to_complete`, `max_history_events` (the
largest single workflow history, over every run of every ring), and `halt_seconds` of a
second rollout whose canaries fail: from the install outcome that crosses the failure
threshold to the rollout's rolled-back result, with a real observation window (`--observe`).

The workflow, its activities, the cloud store (SQLite) and the published signed bundle are
real; the sites' installer and health probe are simulated in this process (they answer
every install at once). Touches a temporary directory, the dev server it starts, and the JSON
it writes. `python -m bench.rollout`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from google.protobuf.duration_pb2 import Duration
from temporalio.client import Client
from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ameide_core_proto.process.commerce.v1 import rollout_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import RolloutWorkflowServiceClient
from bench._errors import BenchFailed
from bench._machine import machine_info
from cloud.activities.rollout_messages import (
    FAILED,
    INSTALLED,
    ROLLED_BACK,
    ObservedSites,
    SiteOutcome,
)
from cloud.adapters.store import CloudStore
from cloud.composition.fleet_assembly import fleet_versions, trusted_keys_dir
from cloud.composition.rollout_wiring import rollout_activities, rollout_workflows
from cloud.config import CloudConfig
from cloud.fleet_records import PublishedBundle
from cloud.temporal.cli_binary import default_cache_dir, resolve_temporal_cli
from cloud.temporal.search_attributes import SEARCH_ATTRIBUTES
from shared.bundles import BundleSpec, StepSource, build_bundle, generate_key_pair, load_signing_key

BUNDLE_ID = "2026.11.1"


@dataclass
class SimulatedInstaller:
    """Answers installs at once; sites in `failing` fail. Notes when a failure happened."""

    failing: set[str] = field(default_factory=set)
    failures_at: list[float] = field(default_factory=list)

    async def install(self, site_id: str, bundle: PublishedBundle) -> SiteOutcome:
        if site_id in self.failing:
            self.failures_at.append(time.perf_counter())
            return SiteOutcome(site_id, FAILED, "simulated health gate failure", "base")
        return SiteOutcome(site_id, INSTALLED, "", "base")

    async def roll_back(
        self, site_id: str, bundle: PublishedBundle, restore_bundle_id: str
    ) -> SiteOutcome:
        return SiteOutcome(site_id, ROLLED_BACK, "", "")


class HealthySites:
    async def observe(self, site_ids: list[str], bundle_id: str) -> ObservedSites:
        return ObservedSites()


def _prepare_store(root: Path, sites: int, rings: int) -> tuple[CloudStore, list[str]]:
    config = CloudConfig(data_dir=root / "cloud")
    store = CloudStore.open(config.store_url)
    channels = [f"ring-{n}" for n in range(1, rings + 1)]
    for channel in channels:
        store.channels.create(channel, channel, [])
    for n in range(sites):
        site_id = f"store-{n:05d}"
        store.sites.create_or_get(site_id, channels[n % rings], site_id, "Europe/Berlin", "0.1.0")
        store.sites.mark_ready(site_id, f"serial-{n}", 1, [])
    keys = trusted_keys_dir(config)
    keys.mkdir(parents=True)
    generate_key_pair(root / "publisher.key", keys / "publisher.pem")
    ui = root / "pos-ui"
    ui.mkdir()
    (ui / "index.html").write_text("<html>POS</html>\n")
    archive = root / "bundle.tar.gz"
    build_bundle(
        BundleSpec(BUNDLE_ID, {"edge-agent": "0.1.0", "pos-ui": "1.0.0"}, {},
                   (StepSource("pos-ui", "pos-ui", "static-site", True, ui),)),
        [load_signing_key(root / "publisher.key")],
        archive,
    )  # fmt: skip
    fleet_versions(config, store).publish(archive, "bench")
    return store, channels


async def _largest_history(client: Client, workflow_ids: list[str]) -> int:
    largest = 0
    for workflow_id in workflow_ids:
        async for run in client.list_workflows(f"WorkflowId = '{workflow_id}'"):
            history = await client.get_workflow_handle(
                workflow_id, run_id=run.run_id
            ).fetch_history()
            largest = max(largest, len(history.events))
    return largest


def _request(
    ring: str, channel: str, observe: float, **extra: object
) -> rollout_pb2.RolloutStoreFleetInput:
    return rollout_pb2.RolloutStoreFleetInput(
        bundle=rollout_pb2.VersionBundle(bundle_id=BUNDLE_ID),
        ring=ring,
        selector=rollout_pb2.RingSelector(sales_channel_id=channel),
        canary_size=5,
        step_size=50,
        max_failure_ratio=0.2,
        min_failures=2,
        observe_for=Duration(seconds=int(observe)),
        **extra,  # type: ignore[arg-type]
    )


async def run_bench(sites: int, rings: int, observe: float) -> dict[str, object]:
    cli = resolve_temporal_cli(default_cache_dir(), allow_build=False)
    if cli is None:
        raise BenchFailed("no Temporal CLI binary: run `make temporal-cli` first")
    with tempfile.TemporaryDirectory(prefix="bench-rollout-") as tmp:
        root = Path(tmp)
        store, channels = await asyncio.to_thread(_prepare_store, root, sites, rings)
        env = await WorkflowEnvironment.start_local(
            dev_server_existing_path=str(cli), ip="127.0.0.1", ui=False,
            dev_server_log_level="error",
            search_attributes=[SearchAttributeKey.for_keyword(n) for n in SEARCH_ATTRIBUTES],
        )  # fmt: skip
        installer = SimulatedInstaller()
        task_queue = f"bench-rollouts-{uuid.uuid4()}"
        try:
            async with Worker(
                env.client, task_queue=task_queue, workflows=rollout_workflows(),
                activities=rollout_activities(store, installer, HealthySites()),
                max_concurrent_activities=200,
            ):  # fmt: skip
                rollouts = RolloutWorkflowServiceClient(env.client, task_queue=task_queue)
                started = time.perf_counter()
                for channel in channels:
                    result = await rollouts.execute_rollout_store_fleet(
                        _request(channel, channel, 0)
                    )
                    if result.phase != rollout_pb2.ROLLOUT_PHASE_COMPLETED:
                        raise BenchFailed(f"ring {channel} ended {result.phase}: {result.reason}")
                seconds = time.perf_counter() - started
                ids = [f"rollout-store-fleet/{c}" for c in channels]
                largest = await _largest_history(env.client, ids)

                # The halt run: the first ring again under another name, its canaries fail.
                canaries = sorted(s.site_id for s in store.sites.list("ready")
                                  if s.sales_channel_id == channels[0])[:5]  # fmt: skip
                installer.failing = set(canaries)
                installer.failures_at.clear()
                result = await rollouts.execute_rollout_store_fleet(
                    _request("halt-drill", channels[0], observe)
                )
                halted = time.perf_counter()
                if result.phase != rollout_pb2.ROLLOUT_PHASE_ROLLED_BACK:
                    raise BenchFailed(f"the halt drill ended {result.phase}, not rolled back")
                # The threshold is crossed by the second failure (min_failures = 2).
                halt_seconds = halted - sorted(installer.failures_at)[1]
        finally:
            await env.shutdown()
            store.close()
    return {
        "sites": sites,
        "rings": rings,
        "seconds_to_complete": round(seconds, 2),
        "max_history_events": largest,
        "halt_seconds": round(halt_seconds, 2),
        "observe_seconds": observe,
        "machine": machine_info(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sites", type=int, default=1000)
    parser.add_argument("--rings", type=int, default=4)
    parser.add_argument("--observe", type=float, default=2.0,
                        help="Observation window (s) of the halt drill.")  # fmt: skip
    parser.add_argument("--output", type=Path, default=Path("bench/results/rollout.json"))
    args = parser.parse_args()
    figures = asyncio.run(run_bench(args.sites, args.rings, args.observe))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"{'sites':<22}{figures['sites']:>10}")
    print(f"{'rings':<22}{figures['rings']:>10}")
    print(f"{'seconds_to_complete':<22}{figures['seconds_to_complete']:>10}")
    print(f"{'max_history_events':<22}{figures['max_history_events']:>10}")
    print(f"{'halt_seconds':<22}{figures['halt_seconds']:>10}  (observe {args.observe} s)")
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
