"""Custom-domain benchmark: N hostnames claimed and provisioned at once against a real Pebble CA,
pebble-challtestsrv DNS and an nginx storefront gateway, with DNS already correct.

Bench room: starts those servers and the cloud worker (`commerce-cloud worker`, its own
process, which starts the embedded dev server) on loopback under a temporary directory,
plays the merchants (claim, set the records) and ops (provision), and measures
claim-to-serving time per hostname until an HTTPS request with its SNI gets its certificate
and the storefront's answer, and where that time went (bench steps, and activity and
workflow-task waits read from the workflow histories). Prints tables and writes
bench/results/domains.json; asserts no timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from temporalio.client import Client

from ameide_core_proto.process.commerce.v1 import domains_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    PROVISION_DOMAIN_MAPPING,
    DomainWorkflowServiceClient,
)
from bench._cloud_process import _CloudChild
from bench._machine import machine_info, percentile, rss_mb
from bench._phases import history_phases, merge, summary
from cloud.adapters.https_probe import probe_https
from cloud.adapters.store import CloudStore
from cloud.adapters.temporal_domains import verify_workflow_id
from cloud.composition.assembly import open_ops
from cloud.composition.domain_assembly import domain_service
from cloud.config import CloudConfig
from cloud.domains.gateway import GatewayNotServing
from cloud.temporal.connect import TemporalSettings, connect_client
from shared.logging import configure_logging
from tests.support.challtestsrv import ChallTestSrvClient, running_challtestsrv
from tests.support.domain_mapping import GATEWAY, domains_overrides, mapping_overrides
from tests.support.nginx import NginxHome, running_nginx, running_storefront
from tests.support.pebble import running_pebble
from tests.support.servers import require_temporal_cli
from tests.support.stack import cloud_config, cloud_env

logger = logging.getLogger(__name__)

RESULT_PATH = Path(__file__).resolve().parent / "results" / "domains.json"
ProvisionResult = domains_pb2.ProvisionDomainMappingResult
TARGETS = "all serving, p50 under 10 s, p99 under 30 s, reloads batched"


def _connected(client: Client) -> Callable[[], Awaitable[Client]]:
    async def connect() -> Client:
        return client

    return connect


def _nginx_rss_mb(home: NginxHome) -> float:
    """Resident memory of the nginx master and its workers."""
    master = int(home.pid_file.read_text().strip())
    total = rss_mb(master)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == master:
            total += rss_mb(int(entry.name))
    return total


def _keep_logs(run_dir: Path) -> None:
    """Copy the worker's and the dev server's logs out of the run's directory (removed at the
    end) for a look."""
    for log, name in (
        (run_dir / "worker.log", "worker"),
        (run_dir / "cloud" / "temporal" / "temporal.log", "temporal"),
    ):
        if log.exists():
            kept = Path(tempfile.gettempdir()) / f"commerce-bench-domains-{name}-{os.getpid()}.log"
            shutil.copyfile(log, kept)
            logger.warning("not every hostname served; the %s log is kept in %s", name, kept)


def _load_average() -> list[float]:
    """1, 5 and 15 minute load averages of the machine, as the run ends."""
    return [round(x, 2) for x in os.getloadavg()]


def _reloads(home: NginxHome) -> int:
    return home.error_log.read_text(errors="replace").count("(SIGHUP) received")


@dataclass
class _Hostname:
    """One hostname's way from claim to serving; `phases` in ms, `serving_ms` when it served."""

    name: str
    phases: dict[str, float] = field(default_factory=dict)
    workflow_ids: list[str] = field(default_factory=list)
    serving_ms: float | None = None


async def _one(stack: _Cloud, dns: ChallTestSrvClient, home: NginxHome, index: int) -> _Hostname:
    one = _Hostname(f"shop{index:03d}.bench-domains.example")
    try:
        await _claim_to_serving(stack, dns, home, index, one)
    except Exception as error:  # one hostname failing is a figure, not the end of the bench
        logger.warning("%s: %s: %s", one.name, type(error).__name__, error)
    return one


async def _claim_to_serving(
    stack: _Cloud, dns: ChallTestSrvClient, home: NginxHome, index: int, one: _Hostname
) -> None:
    hostname = one.name
    service = domain_service(stack.config, stack.store, _connected(stack.client), actor="bench")
    started = mark = time.monotonic()

    def lap(phase: str) -> None:
        nonlocal mark
        now = time.monotonic()
        one.phases[phase] = (now - mark) * 1000.0
        mark = now

    claim = await service.claim(f"tenant-{index:03d}", hostname, f"tenant-{index:03d}-web")
    lap("claim")
    await dns.set_txt(claim.challenge_name, claim.challenge_value)
    await dns.set_a(hostname, [GATEWAY])
    lap("merchant sets DNS")
    verify_id = verify_workflow_id(hostname)
    one.workflow_ids.append(verify_id)
    await stack.client.get_workflow_handle(verify_id).result()
    lap("verified")
    one.workflow_ids.append(PROVISION_DOMAIN_MAPPING.id_template.format(hostname=hostname))
    result = await _provision(stack, hostname, f"tenant-{index:03d}")
    lap("provisioned")
    if not result.certificate_serial:
        logger.warning("%s not served: %s", hostname, result.conditions)
        return
    try:
        seen = await probe_https(hostname, GATEWAY, home.https_port)
    except GatewayNotServing as error:
        logger.warning("%s: %s", hostname, error)
        return
    lap("probe")
    if seen.certificate_serial_hex != result.certificate_serial or seen.status != 200:
        return
    one.serving_ms = (time.monotonic() - started) * 1000.0


async def _phases(stack: _Cloud, outcomes: list[_Hostname]) -> dict[str, Any]:
    """Per bench step (claim, DNS, verified, provisioned, probe) and per workflow step read from
    the histories (activity queue wait and run, workflow task queue wait and run): p50/p99/max."""
    steps = merge({k: [v] for k, v in one.phases.items()} for one in outcomes)
    histories = await asyncio.gather(
        *(
            history_phases(stack.client, workflow_id)
            for one in outcomes
            for workflow_id in one.workflow_ids
        ),
        return_exceptions=True,
    )
    found = [h for h in histories if isinstance(h, dict)]
    return {"bench_steps": summary(steps), "workflow_steps": summary(merge(found))}


@dataclass
class _Cloud:
    """What the bench talks to: the worker child's settings, its store and a Temporal client."""

    config: CloudConfig
    store: CloudStore
    client: Client


@contextlib.asynccontextmanager
async def _cloud_worker(data_dir: Path, overrides: dict[str, Any]) -> AsyncIterator[_Cloud]:
    """`commerce-cloud worker` as its own process (it starts the embedded dev server), as in
    production: the load this bench generates does not share the worker's interpreter."""
    require_temporal_cli()
    config = cloud_config(data_dir, log_level="INFO", **overrides)
    worker = _CloudChild("worker", cloud_env(config), config, data_dir.parent / "worker.log")
    await worker.start()
    try:
        client = await connect_client(TemporalSettings.from_cloud_config(config))
        ops = await asyncio.to_thread(open_ops, config, actor="bench")
        try:
            yield _Cloud(config=config, store=ops.store, client=client)
        finally:
            await asyncio.to_thread(ops.close)
    finally:
        await worker.stop()


async def _provision(cloud: _Cloud, hostname: str, tenant: str) -> ProvisionResult:
    handle = await DomainWorkflowServiceClient(cloud.client).start_provision_domain_mapping(
        domains_pb2.ProvisionDomainMappingInput(
            tenant_id=tenant, storefront_id=f"{tenant}-web", hostname=hostname
        )
    )
    return await asyncio.wait_for(handle.result(), timeout=300)


async def run(domains: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="commerce-bench-domains-") as tmp,
        running_challtestsrv() as challtestsrv,
        running_nginx() as nginx,
        running_pebble(
            dns_server=challtestsrv.dns_server,
            http01_port=nginx.http_port,
            # Pebble rejects 5% of nonces by default to test clients; a production CA rarely
            # does, and tests/cloud/adapters/test_acme.py drives that path.
            environment={"PEBBLE_WFE_NONCEREJECT": "0"},
        ) as pebble,
    ):
        dns = ChallTestSrvClient(challtestsrv.client.management_url)
        await dns.set_default_ipv4("")
        await dns.set_default_ipv6("")
        async with running_storefront("bench") as storefront:
            overrides: dict[str, Any] = {
                "domains": domains_overrides(challtestsrv),
                "domain_mapping": mapping_overrides(challtestsrv, pebble, nginx, storefront),
            }
            async with _cloud_worker(Path(tmp) / "cloud", overrides) as stack:
                reloads_before = _reloads(nginx)
                started = time.monotonic()
                outcomes = await asyncio.gather(
                    *(_one(stack, dns, nginx, i) for i in range(domains))
                )
                wall = time.monotonic() - started
                times = [one.serving_ms for one in outcomes if one.serving_ms is not None]
                reloads = _reloads(nginx) - reloads_before
                phases = await _phases(stack, outcomes)
                if len(times) < domains:
                    _keep_logs(Path(tmp))
                return {
                    "domains": domains,
                    "serving": len(times),
                    "claim_to_serving_ms_p50": round(percentile(times, 50), 1) if times else None,
                    "claim_to_serving_ms_p99": round(percentile(times, 99), 1) if times else None,
                    "domains_per_minute": round(len(times) / wall * 60.0, 1),
                    "wall_seconds": round(wall, 1),
                    "nginx_reloads": reloads,
                    "gateway_rss_mb": round(_nginx_rss_mb(nginx), 1),
                    "targets": TARGETS,
                    "load_average": _load_average(),
                    "machine": machine_info(),
                    "phases": phases,
                }


def _print(result: dict[str, Any]) -> None:
    grid = Table(title=f"bench-domains ({TARGETS})", title_justify="left")
    grid.add_column("measure")
    grid.add_column("value", justify="right")
    for key in (
        "domains",
        "serving",
        "claim_to_serving_ms_p50",
        "claim_to_serving_ms_p99",
        "domains_per_minute",
        "wall_seconds",
        "nginx_reloads",
        "gateway_rss_mb",
        "load_average",
    ):
        grid.add_row(key, str(result[key]))
    Console().print(grid)
    steps = Table(title="where the time went (ms)", title_justify="left")
    for column in ("step", "p50", "p99", "max"):
        steps.add_column(column, justify="left" if column == "step" else "right")
    for group in ("bench_steps", "workflow_steps"):
        for key, figures in result["phases"][group].items():
            steps.add_row(key, *(str(figures[f]) for f in ("p50_ms", "p99_ms", "max_ms")))
    Console().print(steps)


@click.command()
@click.option("--domains", default=100, show_default=True, help="Hostnames to map at once.")
@click.option("--out", type=click.Path(path_type=Path), default=RESULT_PATH, show_default=True)
def main(domains: int, out: Path) -> None:
    """Claim and provision DOMAINS hostnames concurrently; print and write the figures."""
    configure_logging(os.environ.get("COMMERCE_LOG_LEVEL", "WARNING"))
    result = asyncio.run(run(domains))
    _print(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
