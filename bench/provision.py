"""Provisioning benchmark: N sites provisioned at once, then many agents held by one gateway.

Bench room: runs `commerce-cloud serve` as a child process (loopback, temporary data dir, free
ports), drives it as ops would (the ops services over a Temporal client) and plays the store
agents: the first few as real `commerce-edge` processes, the rest in this process with the
agent's own enrollment and control-stream code over real gRPC + mTLS. Prints a table;
asserts no timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from bench._agents import Agent, Fleet, fast_scratch
from bench._cloud_process import (
    AWAITING,
    CHANNEL,
    CloudProcess,
    bench_config,
)
from bench._errors import BenchFailed
from bench._machine import established_connections, machine_info, percentile, raise_fd_limit, rss_mb
from cloud.composition.assembly import open_ops
from cloud.services import FactService, ProvisioningService
from cloud.temporal.connect import TemporalSettings, connect_client
from shared.errors import CommerceError
from shared.logging import configure_logging
from shared.version import package_version

logger = logging.getLogger(__name__)

RESULT_PATH = Path(__file__).resolve().parent / "results" / "provision.json"
TARGETS = ("200 sites ready in under 60 s", "1,000 connected agents under 300 MB gateway RSS")
# Sites provisioned only to reach the held-agent count are not timed; bounding them keeps
# their workflows from crowding out the timed ones on the dev server.
HOLD_PROVISION_CONCURRENCY = 200


@dataclass(frozen=True)
class BenchOptions:
    """What to run."""

    sites: int = 200
    agents_held: int = 1000
    real_agents: int = 3
    hold_seconds: float = 20.0
    timeout_seconds: float = 1200.0


@dataclass
class BenchResult:
    """What was measured."""

    options: BenchOptions
    site_latencies: dict[str, float]
    seconds_to_all_ready: float
    hold_sites_seconds: float
    connected_agents: int
    control_tcp_connections: int
    gateway_rss_mb: float
    gateway_peak_rss_mb: float
    idle_rss_mb: float
    ready_facts: int
    fd_limit: int
    machine: dict[str, Any]
    measured_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def percentile_ms(self, p: float) -> float:
        return percentile(list(self.site_latencies.values()), p) * 1000.0

    def as_json(self) -> dict[str, Any]:
        """The committed result: exactly these top-level keys."""
        return {
            "sites": len(self.site_latencies),
            "seconds_to_all_ready": round(self.seconds_to_all_ready, 3),
            "latency_ms_p50": round(self.percentile_ms(50), 1),
            "latency_ms_p99": round(self.percentile_ms(99), 1),
            "connected_agents": self.connected_agents,
            "gateway_rss_mb": round(self.gateway_rss_mb, 1),
            "machine": self.machine,
            "measured_at": self.measured_at.isoformat(timespec="seconds"),
        }


async def provision_site(provisioning: ProvisioningService, agent: Agent) -> float:
    """Provision one site as ops would and let its agent enroll; seconds from start to result."""
    request = store_site_pb2.ProvisionStoreSiteInput(
        site_id=agent.site_id,
        sales_channel_id=CHANNEL,
        name=f"Bench {agent.site_id}",
        timezone="Europe/Amsterdam",
        agent_version=package_version(),
    )
    started = time.perf_counter()
    run = await provisioning.start(request)
    status = await provisioning.wait_for_step(run, AWAITING)
    enrollment = await provisioning.enrollment(status)
    if enrollment is None:
        raise BenchFailed(
            f"{agent.site_id} stopped at step {store_site_pb2.ProvisionStep.Name(status.step)} "
            "instead of waiting for enrollment; see the cloud log"
        )
    await agent.enroll(enrollment)
    await agent.start()
    result = await run.result()
    if result.site_id != agent.site_id:
        raise BenchFailed(f"workflow of {agent.site_id} returned a result for {result.site_id}")
    return time.perf_counter() - started


async def provision_many(
    provisioning: ProvisioningService,
    agents: Sequence[Agent],
    *,
    concurrency: int | None = None,
) -> dict[str, float]:
    """Provision all `agents`' sites at once (or `concurrency` at a time); latency per site."""
    gate = asyncio.Semaphore(concurrency or max(1, len(agents)))

    async def one(agent: Agent) -> tuple[str, float]:
        async with gate:
            return agent.site_id, await provision_site(provisioning, agent)

    try:
        async with asyncio.TaskGroup() as group:  # one failure cancels the rest
            tasks = [group.create_task(one(agent)) for agent in agents]
    except ExceptionGroup as failures:
        first = failures.exceptions[0]
        logger.error("first provisioning failure", exc_info=first)
        raise BenchFailed(
            f"{len(failures.exceptions)} of {len(agents)} sites failed to provision; "
            f"the first: {type(first).__name__}: {first}"
        ) from first
    return dict(task.result() for task in tasks)


def count_ready_facts(facts: FactService) -> int:
    """StoreSiteReady facts in the cloud's fact log (each site once)."""
    seq, ready = 0, 0
    while batch := facts.tail(after_seq=seq, limit=500):
        ready += sum(1 for fact in batch if fact.fact_type == "StoreSiteReady")
        seq = batch[-1].seq
    return ready


async def _sample_rss(pid: int, seconds: float) -> float:
    """Highest VmRSS of `pid` sampled once a second over `seconds`."""
    highest = rss_mb(pid)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        highest = max(highest, rss_mb(pid))
    return highest


def _keep_on_failure(work: Path) -> Callable[..., bool]:
    """Exit callback: remove the cloud's data dir, unless the run failed (then say where)."""

    def exit_(exc_type: type[BaseException] | None, *_: object) -> bool:
        if exc_type is None:
            shutil.rmtree(work, ignore_errors=True)
        else:
            logger.error("kept the cloud's data dir and log for inspection: %s", work)
        return False

    return exit_


async def run_benchmark(options: BenchOptions) -> BenchResult:
    """Run both phases against a cloud child process; everything is stopped on return."""
    if options.sites < 1 or options.agents_held < 0 or options.real_agents < 0:
        raise BenchFailed("--sites must be at least 1; --agents-held and --real-agents at least 0")
    fd_limit = raise_fd_limit()
    held_target = max(options.sites, options.agents_held)
    if fd_limit < held_target + 256:
        logger.warning("open-files limit %d is low for %d agents", fd_limit, held_target)
    async with asyncio.timeout(options.timeout_seconds), contextlib.AsyncExitStack() as stack:
        work = Path(tempfile.mkdtemp(prefix="commerce-bench-"))
        stack.push(_keep_on_failure(work))
        agents_root = Path(
            stack.enter_context(
                tempfile.TemporaryDirectory(prefix="commerce-bench-agents-", dir=fast_scratch())
            )
        )
        config = bench_config(work / "cloud")
        cloud = await stack.enter_async_context(CloudProcess(config, work / "cloud.log"))
        idle_rss = rss_mb(cloud.pid)
        client = await connect_client(TemporalSettings.from_cloud_config(config))
        ops = await asyncio.to_thread(open_ops, config, actor="bench")
        stack.callback(ops.close)
        provisioning = ops.provisioning_through(client)
        await asyncio.to_thread(ops.channels.create, CHANNEL, "Benchmark web shop", [])
        fleet = Fleet(agents_root, options.real_agents)
        stack.push_async_callback(fleet.stop)  # agents stop before the cloud does
        agents = [fleet.new_agent(i, f"bench-{i:05d}") for i in range(held_target)]

        started = time.perf_counter()
        latencies = await provision_many(provisioning, agents[: options.sites])
        all_ready = time.perf_counter() - started
        logger.info("%d sites ready in %.1f s", len(latencies), all_ready)

        started = time.perf_counter()
        await provision_many(
            provisioning,
            agents[options.sites :],
            concurrency=HOLD_PROVISION_CONCURRENCY,
        )
        hold_sites = time.perf_counter() - started
        connected = await cloud.wait_for_sessions(held_target, timeout=120.0)
        if connected < held_target:
            raise BenchFailed(
                f"only {connected} of {held_target} agents hold a control stream after 120 s; "
                f"see {cloud.log_path}"
            )
        rss = await _sample_rss(cloud.pid, options.hold_seconds)
        result = BenchResult(
            options=options,
            site_latencies=latencies,
            seconds_to_all_ready=all_ready,
            hold_sites_seconds=hold_sites,
            connected_agents=cloud.sessions(),
            control_tcp_connections=established_connections(config.control_port),
            gateway_rss_mb=rss,
            gateway_peak_rss_mb=rss_mb(cloud.pid, "VmHWM"),
            idle_rss_mb=idle_rss,
            ready_facts=await asyncio.to_thread(count_ready_facts, ops.facts),
            fd_limit=fd_limit,
            machine=machine_info(),
        )
        if result.ready_facts != held_target:
            raise BenchFailed(
                f"{result.ready_facts} StoreSiteReady facts for {held_target} sites; "
                f"see {cloud.log_path}"
            )
        return result


# --- report -----------------------------------------------------------------------------------


def report_table(result: BenchResult) -> Table:
    """The figures, the machine and the targets (for reference, not pass/fail)."""
    opts = result.options
    sites = len(result.site_latencies)
    table = Table(title="Provisioning benchmark", show_header=False)
    table.add_column("what", style="bold")
    table.add_column("value")
    table.add_row("sites", f"{sites} ({min(opts.real_agents, sites)} real commerce-edge processes)")
    table.add_row("seconds_to_all_ready", f"{result.seconds_to_all_ready:.1f}")
    table.add_row("sites/s", f"{sites / result.seconds_to_all_ready:.2f}")
    table.add_row("latency p50 (ms)", f"{result.percentile_ms(50):.0f}")
    table.add_row("latency p99 (ms)", f"{result.percentile_ms(99):.0f}")
    table.add_row("connected agents", str(result.connected_agents))
    table.add_row("control TCP connections", str(result.control_tcp_connections))
    table.add_row(
        "gateway RSS (MB)",
        f"{result.gateway_rss_mb:.1f} (gateway process alone, highest over "
        f"{opts.hold_seconds:.0f} s; peak since start {result.gateway_peak_rss_mb:.1f}; "
        f"{result.idle_rss_mb:.1f} when up with no agent)",
    )
    table.add_row(
        "sites added to reach the held count",
        f"{max(0, result.connected_agents - sites)} in {result.hold_sites_seconds:.1f} s",
    )
    machine = result.machine
    table.add_row(
        "machine", f"{machine['cpu_model']}, {machine['cores']} cores, {machine['memory_gb']} GB"
    )
    table.add_row("python / os", f"{machine['python']} / {machine['os']}")
    table.add_row("open-files limit", str(result.fd_limit))
    table.add_row("targets (reference)", "; ".join(TARGETS))
    return table


def write_result(result: BenchResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.as_json(), indent=2) + "\n")


@click.command()
@click.option(
    "--sites",
    default=BenchOptions.sites,
    show_default=True,
    type=click.IntRange(1),
    help="Sites provisioned concurrently and timed.",
)
@click.option(
    "--agents-held",
    default=BenchOptions.agents_held,
    show_default=True,
    type=click.IntRange(0),
    help="Agents connected at once for the RSS figure.",
)
@click.option(
    "--real-agents",
    default=BenchOptions.real_agents,
    show_default=True,
    type=click.IntRange(0),
    help="Sites whose agent is a real commerce-edge process.",
)
@click.option(
    "--hold-seconds",
    default=BenchOptions.hold_seconds,
    show_default=True,
    type=click.FloatRange(0),
    help="How long the held agents are sampled for RSS.",
)
@click.option(
    "--timeout",
    "timeout_seconds",
    default=BenchOptions.timeout_seconds,
    show_default=True,
    type=click.FloatRange(1),
    help="Upper bound of the whole run.",
)
@click.option(
    "--output",
    type=click.Path(path_type=Path),
    default=RESULT_PATH,
    show_default=True,
    help="Where the JSON result goes.",
)
@click.option("--log-level", default="WARNING", show_default=True, help="Logging level.")
def main(
    sites: int,
    agents_held: int,
    real_agents: int,
    hold_seconds: float,
    timeout_seconds: float,
    output: Path,
    log_level: str,
) -> None:
    """Provision N sites with N agents over mTLS, then hold many agents on one gateway."""
    configure_logging(log_level)
    options = BenchOptions(
        sites=sites,
        agents_held=agents_held,
        real_agents=real_agents,
        hold_seconds=hold_seconds,
        timeout_seconds=timeout_seconds,
    )
    console = Console()
    try:
        with console.status(
            f"provisioning {sites} sites, then holding {max(sites, agents_held)} agents"
        ):
            result = asyncio.run(run_benchmark(options))
    except TimeoutError:
        console.print(f"[red]error:[/red] the benchmark did not finish within {timeout_seconds} s")
        sys.exit(1)
    except CommerceError as exc:
        console.print(f"[red]error:[/red] {exc}", highlight=False)
        sys.exit(1)
    console.print(report_table(result))
    write_result(result, output)
    console.print(f"written {output}", highlight=False)


if __name__ == "__main__":
    main()
