"""Benchmark room: RolloutStoreFleet over 1,000 sites whose agents speak the real protocol.

The cloud runs as it does in production, in child processes (`bench._cloud_process`): the
Temporal dev server and the worker (RolloutStoreFleet with the production
`QueuedSiteInstaller` and health probe on the cloud store) and the edge gateway (mTLS on
loopback). SITES sites (1,000) are created with bootstrap tokens in the cloud store and their agents
enroll through the gateway (`bench._enrolled_fleet`; setup, not measured):
the first `--real-agents` (3) are real `commerce-edge` processes that really download,
verify, install and restart onto a signed bundle of this checkout's agent wheel; the others
run in this process with the agent's own enrollment and `ControlClient` (one mTLS control
stream each) and an installer that answers `install_bundle` with a real report
(`bench._installer`). Sites are labelled into RINGS rings (4).

Measured: `seconds_to_complete` (every ring rolled out one after the other, no observation
wait: canaries, then steps), `max_history_events` (the largest single workflow history of
any rollout run), and `halt_seconds` of a second rollout (another bundle, on a ring of
simulated sites whose installs fail their health gate) from the failure answer that crosses
the threshold to the rollout's rolled-back result, with an observation window of
`--observe`. Also the resident memory and CPU time of this process (the simulated agents)
and of the gateway. Prints a table, asserts no timings, writes bench/results/rollout.json
(`--output`). Touches temporary directories, the children it starts and the JSON it writes.
`python -m bench.rollout`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from google.protobuf.duration_pb2 import Duration
from temporalio.client import Client

from ameide_core_proto.process.commerce.v1 import rollout_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import RolloutWorkflowServiceClient
from bench._agents import Fleet, fast_scratch
from bench._bundles import agent_wheel, publish_bundles
from bench._cloud_process import CHANNEL, CloudProcess, bench_config
from bench._enrolled_fleet import enroll_fleet
from bench._errors import BenchFailed
from bench._installer import Failures
from bench._machine import machine_info, raise_fd_limit, rss_mb
from cloud.adapters.store import CloudStore
from cloud.composition.assembly import open_ops
from cloud.temporal.connect import TemporalSettings, connect_client
from shared.logging import configure_logging

logger = logging.getLogger(__name__)

BUNDLE_ID = "2026.11.1"
HALT_BUNDLE_ID = "2026.11.2"
MIN_FAILURES = 2
TARGETS = (
    "1,000 sites through 4 rings in under 120 s",
    "no history over 10,000 events",
    "halt within one observation interval",
)


@dataclass(frozen=True)
class Options:
    sites: int = 1000
    rings: int = 4
    real_agents: int = 3
    canary: int = 5
    step: int = 50
    observe: float = 2.0
    poll: float = 0.5
    timeout: float = 2400.0


def _request(
    bundle_id: str, ring: str, label: str, observe: float, opts: Options
) -> rollout_pb2.RolloutStoreFleetInput:
    return rollout_pb2.RolloutStoreFleetInput(
        bundle=rollout_pb2.VersionBundle(bundle_id=bundle_id),
        ring=ring,
        selector=rollout_pb2.RingSelector(label=label),
        canary_size=opts.canary,
        step_size=opts.step,
        max_failure_ratio=0.2,
        min_failures=MIN_FAILURES,
        observe_for=Duration(seconds=int(observe), nanos=int((observe % 1) * 1e9)),
    )


def _label(store: CloudStore, members: dict[str, list[str]]) -> None:
    for ring, site_ids in members.items():
        for site_id in site_ids:
            store.site_labels.add(site_id, [ring])


async def _largest_history(client: Client) -> tuple[int, int]:
    """(events of the largest history, runs looked at) over every workflow run: rollout
    runs, their continued runs and any child workflows (no other workflow runs here)."""
    largest, runs = 0, 0
    async for run in client.list_workflows():
        history = await client.get_workflow_handle(run.id, run_id=run.run_id).fetch_history()
        largest = max(largest, len(history.events))
        runs += 1
    return largest, runs


def _cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system


async def run_bench(opts: Options) -> dict[str, Any]:
    if opts.sites < opts.rings or opts.rings < 1 or opts.real_agents >= opts.sites:
        raise BenchFailed("need at least one site per ring, and fewer real agents than sites")
    raise_fd_limit()
    async with asyncio.timeout(opts.timeout), contextlib.AsyncExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-rollout-")))
        agents_root = Path(
            stack.enter_context(
                tempfile.TemporaryDirectory(prefix="bench-rollout-agents-", dir=fast_scratch())
            )
        )
        config = bench_config(work / "cloud")
        wheel = await agent_wheel(work / "wheel")
        quick = {
            "COMMERCE_CLOUD_ROLLOUT_INSTALL_POLL_SECONDS": str(opts.poll),
            "COMMERCE_CLOUD_ROLLOUT_INSTALL_RETRY_SECONDS": "5",
            "COMMERCE_CLOUD_ROLLOUT_SITE_OFFLINE_SECONDS": "120",
        }
        cloud = await stack.enter_async_context(CloudProcess(config, work / "cloud.log", quick))
        client = await connect_client(TemporalSettings.from_cloud_config(config))
        ops = await asyncio.to_thread(open_ops, config, actor="bench")
        stack.callback(ops.close)
        await asyncio.to_thread(ops.channels.create, CHANNEL, "Benchmark web shop", [])
        trust = agents_root / "trusted"
        await asyncio.to_thread(
            publish_bundles, config, ops.store, work / "bundles", wheel,
            [BUNDLE_ID, HALT_BUNDLE_ID], trust,
        )  # fmt: skip

        failures = Failures()
        process_env = {
            "COMMERCE_EDGE_HEALTH_ADDRESS": "127.0.0.1:0",  # the gate checks the POS UI there
            "COMMERCE_EDGE_POS_ADDRESS": "127.0.0.1:0",
            "COMMERCE_EDGE_TRUSTED_KEYS_DIR": str(trust),
            "COMMERCE_EDGE_INSTALL_GATE_TIMEOUT_SECONDS": "60",
        }
        fleet = Fleet(agents_root, opts.real_agents, process_env=process_env, failures=failures)
        stack.push_async_callback(fleet.stop)  # agents stop before the cloud does
        agents = [fleet.new_agent(i, f"bench-{i:05d}") for i in range(opts.sites)]
        real = {a.site_id for a in agents[: opts.real_agents]}
        setup_started = time.perf_counter()
        await enroll_fleet(config, ops.store, ops.sites, CHANNEL, agents)
        rings = [f"ring-{n}" for n in range(1, opts.rings + 1)]
        members: dict[str, list[str]] = {ring: [] for ring in rings}
        for index, agent in enumerate(agents):
            members[rings[index % opts.rings]].append(agent.site_id)
        await asyncio.to_thread(_label, ops.store, members)
        connected = await cloud.wait_for_sessions(opts.sites, timeout=180.0)
        if connected < opts.sites:
            raise BenchFailed(f"only {connected} of {opts.sites} agents hold a control stream")
        setup_seconds = time.perf_counter() - setup_started
        logger.info("%d sites enrolled and connected in %.0f s", opts.sites, setup_seconds)

        rollouts = RolloutWorkflowServiceClient(client)
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        for ring in rings:
            result = await rollouts.execute_rollout_store_fleet(
                _request(BUNDLE_ID, ring, ring, 0, opts)
            )
            if result.phase != rollout_pb2.ROLLOUT_PHASE_COMPLETED:
                raise BenchFailed(f"{ring} ended {result.phase}: {result.reason}")
            if result.sites_upgraded != len(members[ring]):
                raise BenchFailed(
                    f"{ring}: {result.sites_upgraded} of {len(members[ring])} sites upgraded "
                    f"({result.sites_failed} failed, {result.sites_offline} offline)"
                )
            logger.info("%s rolled out at %.1f s", ring, time.perf_counter() - started)
        seconds = time.perf_counter() - started
        for site_id in sorted(real):  # the real agents really run the bundle now
            release = await asyncio.to_thread(ops.store.site_releases.get, site_id)
            if release is None or release.current_bundle != BUNDLE_ID:
                raise BenchFailed(f"real agent {site_id} reports {release}, not {BUNDLE_ID}")
        agents_cpu = _cpu_seconds() - cpu_before
        agents_rss = rss_mb(os.getpid())
        gateway_rss = rss_mb(cloud.pid)

        # The halt drill: another bundle on a ring of simulated sites whose installs fail.
        drill = next((r for r in reversed(rings) if not real & set(members[r])), rings[-1])
        failures.failing = {s for s in members[drill] if s not in real}
        result = await rollouts.execute_rollout_store_fleet(
            _request(HALT_BUNDLE_ID, "halt-drill", drill, opts.observe, opts)
        )
        halted = time.perf_counter()
        if result.phase != rollout_pb2.ROLLOUT_PHASE_ROLLED_BACK:
            raise BenchFailed(f"the halt drill ended {result.phase}, not rolled back")
        if len(failures.answered_at) < MIN_FAILURES:
            raise BenchFailed(f"the halt drill saw {len(failures.answered_at)} failures")
        halt_seconds = halted - sorted(failures.answered_at)[MIN_FAILURES - 1]
        largest, runs = await _largest_history(client)
    return {
        "sites": opts.sites,
        "rings": opts.rings,
        "seconds_to_complete": round(seconds, 2),
        "max_history_events": largest,
        "halt_seconds": round(halt_seconds, 2),
        "observe_seconds": opts.observe,
        "real_agents": opts.real_agents,
        "simulated_agents": opts.sites - opts.real_agents,
        "install_poll_seconds": opts.poll,
        "workflow_runs": runs,
        "setup_seconds": round(setup_seconds, 1),
        "agents_process_rss_mb": round(agents_rss, 1),
        "agents_process_cpu_seconds": round(agents_cpu, 1),
        "gateway_rss_mb": round(gateway_rss, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "machine": machine_info(),
        "measured_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    defaults = Options()
    parser.add_argument("--sites", type=int, default=defaults.sites)
    parser.add_argument("--rings", type=int, default=defaults.rings)
    parser.add_argument("--real-agents", type=int, default=defaults.real_agents)
    parser.add_argument("--canary", type=int, default=defaults.canary)
    parser.add_argument("--step", type=int, default=defaults.step)
    parser.add_argument("--observe", type=float, default=defaults.observe,
                        help="Observation window (s) of the halt drill.")  # fmt: skip
    parser.add_argument("--poll", type=float, default=defaults.poll,
                        help="rollout_install_poll_seconds of the cloud under test.")  # fmt: skip
    parser.add_argument("--timeout", type=float, default=defaults.timeout)
    parser.add_argument("--output", type=Path, default=Path("bench/results/rollout.json"))
    args = parser.parse_args()
    configure_logging("INFO")
    # A line per command from each of a thousand in-process agents would drown the table.
    logging.getLogger("edge_agent").setLevel(logging.WARNING)
    opts = Options(
        args.sites, args.rings, args.real_agents, args.canary, args.step, args.observe,
        args.poll, args.timeout,
    )  # fmt: skip
    figures = asyncio.run(run_bench(opts))
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(figures, indent=2) + "\n")
    for key in (
        "sites", "rings", "real_agents", "simulated_agents", "seconds_to_complete",
        "max_history_events", "halt_seconds", "observe_seconds", "setup_seconds",
        "agents_process_rss_mb", "agents_process_cpu_seconds", "gateway_rss_mb", "load_average",
    ):  # fmt: skip
        print(f"{key:<28}{figures[key]!s:>16}")
    print("targets (reference, not pass/fail): " + "; ".join(TARGETS))
    print(f"written to {args.output}")


if __name__ == "__main__":
    main()
