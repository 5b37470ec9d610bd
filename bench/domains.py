"""Custom-domain benchmark: N hostnames claimed and provisioned at once against a real Pebble CA,
pebble-challtestsrv DNS and an nginx storefront gateway, with DNS already correct.

Bench room: starts those servers and the cloud (dev server + worker in this process) on
loopback under a temporary directory, plays the merchants (claim, set the records) and ops
(provision), and measures claim-to-serving time per hostname until an HTTPS request with its
SNI gets its certificate and the storefront's answer. Prints a table and writes
bench/results/domains.json; asserts no timings.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from temporalio.client import Client

from bench._machine import machine_info, percentile, rss_mb
from cloud.adapters.https_probe import probe_https
from cloud.domain_assembly import domain_service
from cloud.domains.gateway import GatewayNotServing
from shared.logging import configure_logging
from tests.support.challtestsrv import ChallTestSrvClient, running_challtestsrv
from tests.support.domain_mapping import (
    GATEWAY,
    domains_overrides,
    mapping_overrides,
    provision,
)
from tests.support.nginx import NginxHome, running_nginx, running_storefront
from tests.support.pebble import running_pebble
from tests.support.stack import Stack, cloud_stack

logger = logging.getLogger(__name__)

RESULT_PATH = Path(__file__).resolve().parent / "results" / "domains.json"
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


def _reloads(home: NginxHome) -> int:
    return home.error_log.read_text(errors="replace").count("(SIGHUP) received")


async def _one(
    stack: Stack, dns: ChallTestSrvClient, home: NginxHome, index: int
) -> tuple[str, float | None]:
    hostname = f"shop{index:03d}.bench-domains.example"
    try:
        return hostname, await _claim_to_serving(stack, dns, home, index, hostname)
    except Exception as error:  # one hostname failing is a figure, not the end of the bench
        logger.warning("%s: %s: %s", hostname, type(error).__name__, error)
        return hostname, None


async def _claim_to_serving(
    stack: Stack, dns: ChallTestSrvClient, home: NginxHome, index: int, hostname: str
) -> float | None:
    service = domain_service(stack.config, stack.store, _connected(stack.client), actor="bench")
    started = time.monotonic()
    claim = await service.claim(f"tenant-{index:03d}", hostname, f"tenant-{index:03d}-web")
    await dns.set_txt(claim.challenge_name, claim.challenge_value)
    await dns.set_a(hostname, [GATEWAY])
    handle = stack.client.get_workflow_handle(f"verify-domain-claim/{hostname}")
    await handle.result()
    result = await provision(stack, hostname, tenant=f"tenant-{index:03d}")
    if not result.certificate_serial:
        logger.warning("%s not served: %s", hostname, result.conditions)
        return None
    try:
        seen = await probe_https(hostname, GATEWAY, home.https_port)
    except GatewayNotServing as error:
        logger.warning("%s: %s", hostname, error)
        return None
    if seen.certificate_serial_hex != result.certificate_serial or seen.status != 200:
        return None
    return (time.monotonic() - started) * 1000.0


async def run(domains: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory(prefix="commerce-bench-domains-") as tmp,
        running_challtestsrv() as challtestsrv,
        running_nginx() as nginx,
        running_pebble(dns_server=challtestsrv.dns_server, http01_port=nginx.http_port) as pebble,
    ):
        dns = ChallTestSrvClient(challtestsrv.client.management_url)
        await dns.set_default_ipv4("")
        await dns.set_default_ipv6("")
        async with running_storefront("bench") as storefront:
            overrides: dict[str, Any] = {
                "domains": domains_overrides(challtestsrv),
                "domain_mapping": mapping_overrides(challtestsrv, pebble, nginx, storefront),
            }
            async with cloud_stack(Path(tmp) / "cloud", **overrides) as stack:
                reloads_before = _reloads(nginx)
                started = time.monotonic()
                outcomes = await asyncio.gather(
                    *(_one(stack, dns, nginx, i) for i in range(domains))
                )
                wall = time.monotonic() - started
                times = [ms for _, ms in outcomes if ms is not None]
                return {
                    "domains": domains,
                    "serving": len(times),
                    "claim_to_serving_ms_p50": round(percentile(times, 50), 1) if times else None,
                    "claim_to_serving_ms_p99": round(percentile(times, 99), 1) if times else None,
                    "domains_per_minute": round(len(times) / wall * 60.0, 1),
                    "wall_seconds": round(wall, 1),
                    "nginx_reloads": _reloads(nginx) - reloads_before,
                    "gateway_rss_mb": round(_nginx_rss_mb(nginx), 1),
                    "targets": TARGETS,
                    "machine": machine_info(),
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
    ):
        grid.add_row(key, str(result[key]))
    Console().print(grid)


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
