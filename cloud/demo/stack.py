"""The local demo: cloud on embedded defaults, one channel, one store with a real agent.

Composition room: starts the cloud in this process and the `commerce-edge` agent as a
child process with its own data dir, as an installer would on a store server; shows
replication here, then the steps of `demo_realtime`, `demo_domains` (with the local DNS, CA
and gateway of `cloud.adapters.demo_servers`) and `demo_bundles`, in that order.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

import grpc
from temporalio.client import Client, WorkflowFailureError

from ameide_core_proto.process.commerce.v1 import (
    conditions_pb2,
    pos_pb2,
    pos_pb2_grpc,
    records_pb2,
    store_site_pb2,
)
from cloud.adapters.demo_servers import (
    DomainServers,
    DomainServersFailed,
    missing_tools,
    running_domain_servers,
)
from cloud.cli.output import console
from cloud.composition.assembly import OpsServices, open_ops
from cloud.composition.runtime import running_cloud
from cloud.config import CloudConfig
from cloud.demo.bundles import bundle_step
from cloud.demo.domains import domain_step, with_domain_servers
from cloud.demo.realtime import realtime_step
from shared.version import package_version

logger = logging.getLogger(__name__)

DEMO_CHANNEL = "demo-web"
DEMO_SITE = "store-001"
DEMO_ITEMS = 1000
DEMO_POS_ADDRESS = "127.0.0.1:8481"
READY_TIMEOUT = 300.0


def _edge_binary() -> str:
    beside = Path(sys.executable).with_name("commerce-edge")
    return str(beside) if beside.exists() else (shutil.which("commerce-edge") or "commerce-edge")


async def _run_edge(*args: str, log: Path | None = None) -> asyncio.subprocess.Process:
    stdout = log.open("ab") if log else None
    return await asyncio.create_subprocess_exec(
        _edge_binary(),
        *args,
        stdout=stdout,
        stderr=asyncio.subprocess.STDOUT if log else None,
        env={
            **os.environ,
            "COMMERCE_EDGE_HEALTH_ADDRESS": "127.0.0.1:8480",
            "COMMERCE_EDGE_POS_ADDRESS": DEMO_POS_ADDRESS,
        },
    )


def _demo_sale(unit: int) -> records_pb2.SalesTransaction:
    """One sale of two units of the first synthetic item at `unit` cents, paid in cash."""
    sale = records_pb2.SalesTransaction(
        transaction_id=f"{DEMO_SITE}-demo-{datetime.now(UTC):%Y%m%d%H%M%S%f}",
        receipt=records_pb2.ReceiptRef(
            site_id=DEMO_SITE,
            register_id="r1",
            business_day=f"{datetime.now(UTC):%Y-%m-%d}",
            receipt_number="1",
        ),
        lines=[
            records_pb2.TransactionLine(
                line_number=1,
                sku="SKU-0000001",
                quantity=2,
                unit_price=records_pb2.Money(currency="EUR", minor_units=unit),
                discount=records_pb2.Money(currency="EUR", minor_units=0),
                tax=records_pb2.Money(currency="EUR", minor_units=0),
                line_total=records_pb2.Money(currency="EUR", minor_units=2 * unit),
            )
        ],
        tenders=[
            records_pb2.Tender(
                tender_type="cash", amount=records_pb2.Money(currency="EUR", minor_units=2 * unit)
            )
        ],
        total=records_pb2.Money(currency="EUR", minor_units=2 * unit),
    )
    sale.occurred_at.FromDatetime(datetime.now(UTC))
    return sale


async def _show_replication(ops: OpsServices, client: Client) -> bool:
    """Publish a small catalog, downsync it, sell once at the store's POS API, upsync."""
    replication = ops.replication_through(client)
    try:
        with console.status(f"publishing a {DEMO_ITEMS}-item catalog and syncing {DEMO_SITE}"):
            await asyncio.to_thread(ops.data.publish_synthetic, DEMO_ITEMS, DEMO_CHANNEL)
            down = await asyncio.wait_for(replication.downsync(DEMO_SITE), READY_TIMEOUT)
        rows = ", ".join(f"{c.table} {c.rows}" for c in down.checksums if c.rows)
        console.print(f"downsync: {rows} rows at the store; {_verdicts(down.conditions)}")
        async with grpc.aio.insecure_channel(DEMO_POS_ADDRESS) as channel:
            pos: Any = cast(Any, pos_pb2_grpc).PosServiceStub(channel)
            price = await pos.GetPrice(pos_pb2.GetPriceRequest(sku="SKU-0000001"), timeout=10)
            sale = _demo_sale(price.price.unit_price.minor_units)
            await pos.RecordSale(pos_pb2.RecordSaleRequest(sale=sale), timeout=10)
        console.print(
            f"POS API: SKU-0000001 costs {price.price.unit_price.minor_units / 100:.2f} EUR; "
            f"recorded sale {sale.transaction_id}"
        )
        up = await asyncio.wait_for(replication.upsync(DEMO_SITE), READY_TIMEOUT)
        console.print(
            f"upsync: {up.records_ingested} records in the cloud; {_verdicts(up.conditions)}"
        )
        return True
    except (grpc.aio.AioRpcError, TimeoutError, WorkflowFailureError) as exc:
        console.print(f"[red]replication demo failed: {exc}[/red]")
        return False


def _verdicts(conditions: Sequence[conditions_pb2.Condition]) -> str:
    return "; ".join(f"{c.type}: {c.reason}" for c in conditions)


async def run_demo(config: CloudConfig, *, check: bool) -> int:
    """Bring the demo store to ready and show each capability; with `check`, stop there and
    return 0 when every step succeeded (1 with the reason printed when one failed)."""
    missing = missing_tools()
    if missing:
        return await _run_demo(config, None, check=check)
    try:
        async with running_domain_servers(config.data_dir.parent / "domains") as servers:
            return await _run_demo(with_domain_servers(config, servers), servers, check=check)
    except DomainServersFailed as exc:
        console.print(f"[red]domains demo failed: {exc}[/red]")
        return 1


async def _run_demo(config: CloudConfig, servers: DomainServers | None, *, check: bool) -> int:
    edge_dir = config.data_dir.parent / DEMO_SITE
    edge_dir.mkdir(parents=True, exist_ok=True)
    agent: asyncio.subprocess.Process | None = None
    async with running_cloud(config) as cloud:
        ops = await asyncio.to_thread(open_ops, config, actor="demo")
        provisioning = ops.provisioning_through(cloud.client)
        try:
            await asyncio.to_thread(ops.channels.create, DEMO_CHANNEL, "Demo web shop", [])
            request = store_site_pb2.ProvisionStoreSiteInput(
                site_id=DEMO_SITE,
                sales_channel_id=DEMO_CHANNEL,
                name="Demo store 001",
                timezone="Europe/Amsterdam",
                agent_version=package_version(),
            )
            run = await provisioning.start(request)
            status = await provisioning.wait_for_step(
                run, store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT
            )
            enrollment = await provisioning.enrollment(status)
            if enrollment is not None and not (edge_dir / "identity" / "site.crt").exists():
                console.print(f"enrolling the demo store: {enrollment.command}", highlight=False)
                enroll = await _run_edge(*enrollment.arguments, "--data-dir", str(edge_dir))
                if await enroll.wait() != 0:
                    console.print("[red]enrollment failed; see the message above[/red]")
                    return 1
            agent = await _run_edge("run", "--data-dir", str(edge_dir), log=edge_dir / "agent.log")
            with console.status(f"waiting for {DEMO_SITE} to apply its configuration"):
                result = await asyncio.wait_for(run.result(), READY_TIMEOUT)
            console.print(
                f"\n[green]{DEMO_SITE} is ready[/green] at {datetime.now(UTC):%H:%M:%S} UTC "
                f"(certificate {result.certificate_serial})\n"
            )
            if not await _show_replication(ops, cloud.client):
                return 1
            if not (
                await realtime_step(DEMO_POS_ADDRESS)
                and await domain_step(config, ops.store, cloud.client, servers, check=check)
                and await bundle_step(config, ops.store, DEMO_SITE)
            ):
                return 1
            cli = f"commerce-cloud --data-dir {config.data_dir}"
            console.print("Where to look:", highlight=False)
            if cloud.ui_url:
                console.print(f"  Temporal Web UI   {cloud.ui_url}", highlight=False)
            console.print(f"  fact log          {cli} facts tail", highlight=False)
            console.print(f"  sites             {cli} sites list", highlight=False)
            console.print(
                f"  replication       {cli} sites downsync {DEMO_SITE} | sites upsync {DEMO_SITE}",
                highlight=False,
            )
            console.print(f"  POS API (gRPC)    {DEMO_POS_ADDRESS} (pos.proto)", highlight=False)
            console.print(
                f"  agent status      commerce-edge status --data-dir {edge_dir}", highlight=False
            )
            console.print("  store health page http://127.0.0.1:8480/", highlight=False)
            console.print(f"  agent log         {edge_dir / 'agent.log'}", highlight=False)
            console.print(f"  real-time calls   {cli} realtime stats", highlight=False)
            console.print(
                f"  domains           {cli} domains status shop.demo.test", highlight=False
            )
            console.print(f"  bundles           {cli} bundles list | compat show", highlight=False)
            if check:
                return 0
            console.print("\nRunning; press Ctrl-C to stop.")
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            await stop.wait()
            return 0
        finally:
            if agent is not None and agent.returncode is None:
                agent.terminate()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(agent.wait(), 15)
                if agent.returncode is None:
                    agent.kill()
            await asyncio.to_thread(ops.close)
