"""The local demo: cloud on embedded defaults, one channel, one store with a real agent.

Composition room: starts the cloud in this process and the `commerce-edge` agent as a
child process with its own data dir, as an installer would on a store server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import sys
from datetime import UTC, datetime
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from cloud.assembly import open_ops
from cloud.cli.output import console
from cloud.config import CloudConfig
from cloud.runtime import running_cloud
from shared.version import package_version

logger = logging.getLogger(__name__)

DEMO_CHANNEL = "demo-web"
DEMO_SITE = "store-001"
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
        env={**os.environ, "COMMERCE_EDGE_HEALTH_ADDRESS": "127.0.0.1:8480"},
    )


async def run_demo(config: CloudConfig, *, check: bool) -> int:
    """Bring the demo store to ready; with `check`, stop there and return 0."""
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
            cli = f"commerce-cloud --data-dir {config.data_dir}"
            console.print("Where to look:", highlight=False)
            if cloud.ui_url:
                console.print(f"  Temporal Web UI   {cloud.ui_url}", highlight=False)
            console.print(f"  fact log          {cli} facts tail", highlight=False)
            console.print(f"  sites             {cli} sites list", highlight=False)
            console.print(
                f"  agent status      commerce-edge status --data-dir {edge_dir}", highlight=False
            )
            console.print("  store health page http://127.0.0.1:8480/", highlight=False)
            console.print(f"  agent log         {edge_dir / 'agent.log'}", highlight=False)
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
