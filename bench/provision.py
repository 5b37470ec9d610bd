"""Provisioning benchmark: N sites provisioned at once, then many agents held by one gateway.

Bench room: runs `commerce-cloud serve` as a child process (loopback, temporary data dir, free
ports), drives it as ops would (`Ops` + a Temporal client) and plays the store agents: the
first few as real `commerce-edge` processes, the rest in this process with the agent's own
enrollment and control-stream code over real gRPC + mTLS. Prints a table; asserts no timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import os
import platform
import re
import resource
import shutil
import socket
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import click
from rich.console import Console
from rich.table import Table
from temporalio.client import Client

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from cloud.adapters.store import CloudStore
from cloud.config import CloudConfig
from cloud.ops import Enrollment, Ops
from cloud.runtime import temporal_client
from edge_agent.control import ControlClient
from edge_agent.identity import enroll
from edge_agent.projection import Projection
from shared.errors import CommerceError
from shared.logging import configure_logging
from shared.version import package_version

logger = logging.getLogger(__name__)

CHANNEL = "bench-web"
RESULT_PATH = Path(__file__).resolve().parent / "results" / "provision.json"
TARGETS = ("200 sites ready in under 60 s", "1,000 connected agents under 300 MB gateway RSS")
AWAITING = store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT
CLOUD_START_TIMEOUT = 120.0
STOP_TIMEOUT = 30.0
# Sites provisioned only to reach the held-agent count are not timed; bounding them keeps
# the status polling of ops from dominating the dev server.
HOLD_PROVISION_CONCURRENCY = 200
_SESSION_LINE = re.compile(r" cloud\.gateway\.control: site (\S+) (connected|disconnected)\b")
_READY_LINE = "commerce cloud running"


class BenchFailed(CommerceError):
    """The benchmark could not complete; the message says which step and where the logs are."""


@dataclass(frozen=True)
class BenchOptions:
    """What to run."""

    sites: int = 200
    agents_held: int = 1000
    real_agents: int = 3
    hold_seconds: float = 20.0
    # Ops.wait_for_step polls a Temporal query; at 0.5 s (its default) 200 sites at once send
    # 400 queries/s, the worker's query path falls behind and queries time out after 30 s.
    poll_seconds: float = 2.0
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


def percentile(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100.0 * len(ordered)))
    return ordered[rank - 1]


# --- the machine and the process limits -------------------------------------------------------


def raise_fd_limit() -> int:
    """Raise the soft open-files limit to the hard one (children inherit it); return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def _proc_field(path: str, key: str) -> str | None:
    with contextlib.suppress(OSError):
        for line in Path(path).read_text().splitlines():
            name, sep, value = line.partition(":")
            if sep and name.strip() == key:
                return value.strip()
    return None


def machine_info() -> dict[str, Any]:
    """CPU model, cores, memory, Python and OS of this machine."""
    mem_kb = _proc_field("/proc/meminfo", "MemTotal")
    os_name = platform.platform()
    with contextlib.suppress(OSError):
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} (Linux {platform.release()})"
    return {
        "cpu_model": _proc_field("/proc/cpuinfo", "model name") or platform.processor(),
        "cores": os.cpu_count() or 0,
        "memory_gb": round(int(mem_kb.split()[0]) / 1024 / 1024, 1) if mem_kb else None,
        "python": platform.python_version(),
        "os": os_name,
    }


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    """Resident memory of `pid` from /proc (VmRSS, or VmHWM for the peak), in MB."""
    value = _proc_field(f"/proc/{pid}/status", key)
    if value is None:
        raise BenchFailed(f"cannot read {key} of process {pid}; did the cloud process exit?")
    return int(value.split()[0]) / 1024.0


def established_connections(port: int) -> int:
    """TCP connections in ESTABLISHED state whose local port is `port` (server side)."""
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                parts = line.split()
                if int(parts[1].rsplit(":", 1)[1], 16) == port and parts[3] == "01":
                    count += 1
    return count


def free_ports(count: int) -> list[int]:
    """Distinct loopback ports free right now (all held open while choosing)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _dying_with_us(argv: Sequence[str]) -> list[str]:
    """`argv` under `setpriv --pdeathsig TERM` when available: the child gets SIGTERM if this
    process dies, so nothing outlives the bench. Not a preexec_fn: forking this process and
    running Python in the child while gRPC threads are busy aborts the child in gRPC core."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *argv] if setpriv else list(argv)


def _script(name: str) -> str:
    beside = Path(sys.executable).with_name(name)
    return str(beside) if beside.exists() else (shutil.which(name) or name)


async def _stop_process(proc: asyncio.subprocess.Process, grace: float) -> None:
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.terminate()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(proc.wait(), grace)
    if proc.returncode is None:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


# --- the cloud, in its own process ------------------------------------------------------------


def bench_config(data_dir: Path) -> CloudConfig:
    """A cloud on free loopback ports with its own data dir (never collides with a demo)."""
    dev, ui, discovery, enroll_port, control = free_ports(5)
    return CloudConfig(
        data_dir=data_dir,
        temporal_dev_port=dev,
        temporal_ui_port=ui,
        temporal_ui=False,
        gateway_host="127.0.0.1",
        gateway_public_names=["127.0.0.1", "localhost"],
        discovery_port=discovery,
        enroll_port=enroll_port,
        control_port=control,
        log_level="INFO",
    )


def child_environment(config: CloudConfig) -> dict[str, str]:
    """This process's environment without any cloud or Temporal setting, plus `config`'s."""
    env = {
        k: v for k, v in os.environ.items()
        if not k.startswith(("COMMERCE_CLOUD_", "TEMPORAL_"))
    }
    fields: dict[str, object] = {
        "temporal_dev_port": config.temporal_dev_port,
        "temporal_ui_port": config.temporal_ui_port,
        "temporal_ui": str(config.temporal_ui).lower(),
        "gateway_host": config.gateway_host,
        "gateway_public_names": ",".join(config.gateway_public_names),
        "discovery_port": config.discovery_port,
        "enroll_port": config.enroll_port,
        "control_port": config.control_port,
        "log_level": config.log_level,
    }
    env.update({f"COMMERCE_CLOUD_{name.upper()}": str(value) for name, value in fields.items()})
    return env


class CloudProcess:
    """`commerce-cloud serve` (worker + gateway; it starts the dev server) as a child process.

    Its log goes to `log_path`; the gateway's live sessions are counted from the log lines
    it writes when a stream opens and closes.
    """

    def __init__(self, config: CloudConfig, log_path: Path) -> None:
        self.config = config
        self.log_path = log_path
        self._proc: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._streams: Counter[str] = Counter()

    @property
    def pid(self) -> int:
        assert self._proc is not None
        return self._proc.pid

    def sessions(self) -> int:
        """Sites with an open control stream, as the gateway logged them."""
        return sum(1 for open_streams in self._streams.values() if open_streams > 0)

    async def __aenter__(self) -> CloudProcess:
        self._proc = await asyncio.create_subprocess_exec(
            *_dying_with_us(
                [_script("commerce-cloud"), "--data-dir", str(self.config.data_dir), "serve"]
            ),
            env=child_environment(self.config),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        self._reader = asyncio.create_task(self._read_log(), name="cloud-log")
        exited = asyncio.ensure_future(self._proc.wait())
        ready = asyncio.ensure_future(self._ready.wait())
        try:
            await asyncio.wait(
                {exited, ready}, timeout=CLOUD_START_TIMEOUT, return_when=asyncio.FIRST_COMPLETED
            )
        finally:
            exited.cancel()
            ready.cancel()
        if not self._ready.is_set():
            await self.stop()
            raise BenchFailed(
                f"commerce-cloud serve did not come up within {CLOUD_START_TIMEOUT:.0f} s "
                f"(exit code {self._proc.returncode}); see {self.log_path}"
            )
        logger.info("cloud process %d is up; log %s", self._proc.pid, self.log_path)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def stop(self) -> None:
        if self._proc is not None:
            await _stop_process(self._proc, STOP_TIMEOUT)
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(self._reader, 5.0)

    async def _read_log(self) -> None:
        assert self._proc is not None and self._proc.stderr is not None
        with self.log_path.open("wb") as log:
            async for raw in self._proc.stderr:
                log.write(raw)
                line = raw.decode(errors="replace")
                match = _SESSION_LINE.search(line)
                if match is not None:
                    self._streams[match.group(1)] += 1 if match.group(2) == "connected" else -1
                elif _READY_LINE in line:
                    self._ready.set()

    async def wait_for_sessions(self, count: int, timeout: float) -> int:
        """Wait until `count` sessions are open (or `timeout`); return how many are."""
        deadline = time.monotonic() + timeout
        while self.sessions() < count and time.monotonic() < deadline:
            if self._proc is not None and self._proc.returncode is not None:
                raise BenchFailed(f"the cloud process exited; see {self.log_path}")
            await asyncio.sleep(0.2)
        return self.sessions()


# --- store agents -----------------------------------------------------------------------------


class Agent(Protocol):
    """One store server's agent: enroll with the token, then keep the control stream."""

    site_id: str

    async def enroll(self, enrollment: Enrollment) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class SimulatedAgent:
    """An agent in this process: the agent's own `enroll` and `ControlClient`, own data dir."""

    def __init__(self, site_id: str, data_dir: Path) -> None:
        self.site_id = site_id
        self.data_dir = data_dir
        self._stopping = asyncio.Event()
        self._projection: Projection | None = None
        self._task: asyncio.Task[None] | None = None

    async def enroll(self, enrollment: Enrollment) -> None:
        await enroll(
            data_dir=self.data_dir,
            cloud=enrollment.cloud_address,
            token=enrollment.token,
            ca_fingerprint=enrollment.ca_fingerprint,
            agent_version=package_version(),
        )

    async def start(self) -> None:
        self._projection = Projection.open(self.data_dir)
        client = ControlClient(
            data_dir=self.data_dir, projection=self._projection, agent_version=package_version()
        )
        self._task = asyncio.create_task(client.run(self._stopping), name=f"agent-{self.site_id}")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task is not None:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(self._task), 10.0)
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._projection is not None:
            self._projection.close()


class ProcessAgent:
    """A real `commerce-edge enroll` + `commerce-edge run`, as an installer would run them."""

    def __init__(self, site_id: str, data_dir: Path) -> None:
        self.site_id = site_id
        self.data_dir = data_dir
        self._proc: asyncio.subprocess.Process | None = None
        self._env = {**os.environ, "COMMERCE_EDGE_HEALTH_ADDRESS": ""}

    async def enroll(self, enrollment: Enrollment) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.data_dir / "enroll.log"
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(
                *_dying_with_us([
                    _script("commerce-edge"), "enroll", "--cloud", enrollment.cloud_address,
                    "--token", enrollment.token, "--ca-fingerprint", enrollment.ca_fingerprint,
                    "--data-dir", str(self.data_dir),
                ]),
                env=self._env, stdin=asyncio.subprocess.DEVNULL, stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )
            code = await proc.wait()
        if code != 0:
            raise BenchFailed(f"commerce-edge enroll for {self.site_id} exited {code}; see {log}")

    async def start(self) -> None:
        with (self.data_dir / "agent.log").open("ab") as out:
            self._proc = await asyncio.create_subprocess_exec(
                *_dying_with_us(
                    [_script("commerce-edge"), "run", "--data-dir", str(self.data_dir)]
                ),
                env=self._env, stdin=asyncio.subprocess.DEVNULL, stdout=out,
                stderr=asyncio.subprocess.STDOUT,
            )

    async def stop(self) -> None:
        if self._proc is not None:
            await _stop_process(self._proc, 15.0)


class Fleet:
    """The agents of every site, real processes first; stops them all at the end."""

    def __init__(self, root: Path, real_agents: int) -> None:
        self._root = root
        self._real = real_agents
        self.agents: list[Agent] = []

    def new_agent(self, index: int, site_id: str) -> Agent:
        data_dir = self._root / site_id
        agent: Agent = (
            ProcessAgent(site_id, data_dir) if index < self._real
            else SimulatedAgent(site_id, data_dir)
        )
        self.agents.append(agent)
        return agent

    async def stop(self) -> None:
        await asyncio.gather(*(agent.stop() for agent in self.agents), return_exceptions=True)


def _fast_scratch() -> str | None:
    """Where simulated agents keep their files: tmpfs when there is one, so their fsyncs do
    not stand in for store-server disks and load the cloud's disk instead."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


# --- provisioning -----------------------------------------------------------------------------


async def provision_site(
    ops: Ops, client: Client, agent: Agent, *, poll_seconds: float
) -> float:
    """Provision one site as ops would and let its agent enroll; seconds from start to result."""
    request = store_site_pb2.ProvisionStoreSiteInput(
        site_id=agent.site_id, sales_channel_id=CHANNEL, name=f"Bench {agent.site_id}",
        timezone="Europe/Amsterdam", agent_version=package_version(),
    )
    started = time.perf_counter()
    handle = await ops.start_provisioning(client, request)
    status = await ops.wait_for_step(handle, lambda s: s.step >= AWAITING, interval=poll_seconds)
    if status.step != AWAITING:
        raise BenchFailed(
            f"{agent.site_id} stopped at step {store_site_pb2.ProvisionStep.Name(status.step)} "
            "instead of waiting for enrollment; see the cloud log"
        )
    enrollment = ops.enrollment(
        agent.site_id, status.bootstrap_token_id,
        status.bootstrap_token_expires_at.ToDatetime(tzinfo=UTC),
    )
    await agent.enroll(enrollment)
    await agent.start()
    result = await handle.result()
    if result.site_id != agent.site_id:
        raise BenchFailed(f"workflow of {agent.site_id} returned a result for {result.site_id}")
    return time.perf_counter() - started


async def provision_many(
    ops: Ops, client: Client, agents: Sequence[Agent], *, poll_seconds: float,
    concurrency: int | None = None,
) -> dict[str, float]:
    """Provision all `agents`' sites at once (or `concurrency` at a time); latency per site."""
    gate = asyncio.Semaphore(concurrency or max(1, len(agents)))

    async def one(agent: Agent) -> tuple[str, float]:
        async with gate:
            return agent.site_id, await provision_site(
                ops, client, agent, poll_seconds=poll_seconds
            )

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


def count_ready_facts(store: CloudStore) -> int:
    """StoreSiteReady facts in the cloud's fact log (each site once)."""
    seq, ready = 0, 0
    while batch := store.facts.tail(after_seq=seq, limit=500):
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
                tempfile.TemporaryDirectory(prefix="commerce-bench-agents-", dir=_fast_scratch())
            )
        )
        config = bench_config(work / "cloud")
        cloud = await stack.enter_async_context(CloudProcess(config, work / "cloud.log"))
        idle_rss = rss_mb(cloud.pid)
        client = await temporal_client(config)
        store = await asyncio.to_thread(CloudStore.open, config.store_url)
        stack.callback(store.close)
        ops = Ops(config, store)
        await asyncio.to_thread(ops.create_channel, CHANNEL, "Benchmark web shop", [])
        fleet = Fleet(agents_root, options.real_agents)
        stack.push_async_callback(fleet.stop)  # agents stop before the cloud does
        agents = [fleet.new_agent(i, f"bench-{i:05d}") for i in range(held_target)]

        started = time.perf_counter()
        latencies = await provision_many(
            ops, client, agents[: options.sites], poll_seconds=options.poll_seconds
        )
        all_ready = time.perf_counter() - started
        logger.info("%d sites ready in %.1f s", len(latencies), all_ready)

        started = time.perf_counter()
        await provision_many(
            ops, client, agents[options.sites :], poll_seconds=max(1.0, options.poll_seconds),
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
            ready_facts=await asyncio.to_thread(count_ready_facts, store),
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
        f"{result.gateway_rss_mb:.1f} (worker + gateway process, highest over "
        f"{opts.hold_seconds:.0f} s; peak since start {result.gateway_peak_rss_mb:.1f}; "
        f"{result.idle_rss_mb:.1f} when up with no agent)",
    )
    table.add_row("sites added to reach the held count",
                  f"{max(0, result.connected_agents - sites)} in {result.hold_sites_seconds:.1f} s")
    machine = result.machine
    table.add_row("machine", f"{machine['cpu_model']}, {machine['cores']} cores, "
                  f"{machine['memory_gb']} GB")
    table.add_row("python / os", f"{machine['python']} / {machine['os']}")
    table.add_row("open-files limit", str(result.fd_limit))
    table.add_row("targets (reference)", "; ".join(TARGETS))
    return table


def write_result(result: BenchResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.as_json(), indent=2) + "\n")


@click.command()
@click.option("--sites", default=BenchOptions.sites, show_default=True, type=click.IntRange(1),
              help="Sites provisioned concurrently and timed.")
@click.option("--agents-held", default=BenchOptions.agents_held, show_default=True,
              type=click.IntRange(0), help="Agents connected at once for the RSS figure.")
@click.option("--real-agents", default=BenchOptions.real_agents, show_default=True,
              type=click.IntRange(0), help="Sites whose agent is a real commerce-edge process.")
@click.option("--hold-seconds", default=BenchOptions.hold_seconds, show_default=True,
              type=click.FloatRange(0), help="How long the held agents are sampled for RSS.")
@click.option("--poll-seconds", default=BenchOptions.poll_seconds, show_default=True,
              type=click.FloatRange(0.05), help="Status query interval while waiting for a token.")
@click.option("--timeout", "timeout_seconds", default=BenchOptions.timeout_seconds,
              show_default=True, type=click.FloatRange(1), help="Upper bound of the whole run.")
@click.option("--output", type=click.Path(path_type=Path), default=RESULT_PATH,
              show_default=True, help="Where the JSON result goes.")
@click.option("--log-level", default="WARNING", show_default=True, help="Logging level.")
def main(sites: int, agents_held: int, real_agents: int, hold_seconds: float,
         poll_seconds: float, timeout_seconds: float, output: Path, log_level: str) -> None:
    """Provision N sites with N agents over mTLS, then hold many agents on one gateway."""
    configure_logging(log_level)
    options = BenchOptions(
        sites=sites, agents_held=agents_held, real_agents=real_agents,
        hold_seconds=hold_seconds, poll_seconds=poll_seconds, timeout_seconds=timeout_seconds,
    )
    console = Console()
    try:
        with console.status(f"provisioning {sites} sites, then holding "
                            f"{max(sites, agents_held)} agents"):
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
