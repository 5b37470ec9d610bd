"""Test support: the whole cloud (Temporal dev server, worker, edge gateway) on free loopback
ports, and real `commerce-edge` agent processes enrolled against it.

Touches a temporary data dir, loopback ports and child processes; skips the calling test when
no Temporal CLI binary is available (`make temporal-cli` provides one).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    PROVISION_STORE_SITE,
    ProvisionStoreSiteHandle,
)
from cloud.adapters.store import CloudStore
from cloud.config import CloudConfig
from cloud.ops import Enrollment, Ops
from cloud.runtime import Running, running_cloud
from cloud.temporal.cli_binary import default_cache_dir, resolve_temporal_cli

logger = logging.getLogger(__name__)

# Generous bounds for a loaded 2-core machine; they only stop a hung test, they time nothing.
ENROLL_TIMEOUT = 60.0
STOP_GRACE = 15.0


def free_ports(count: int) -> list[int]:
    """`count` distinct loopback ports that were free a moment ago."""
    ports: list[int] = []
    while len(ports) < count:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind(("127.0.0.1", 0))
            port = int(probe.getsockname()[1])
        if port not in ports:
            ports.append(port)
    return ports


def require_temporal_cli() -> Path:
    """The Temporal CLI the dev server runs; skips the test when there is none."""
    cli = resolve_temporal_cli(default_cache_dir(), allow_build=False)
    if cli is None:
        pytest.skip("no Temporal CLI binary found; run `make temporal-cli` or set TEMPORAL_CLI")
    return cli


@dataclass
class CloudStack(Running):
    """A running cloud plus what tests need to drive it: its config, a store and ops."""

    config: CloudConfig = field(kw_only=True)
    store: CloudStore = field(kw_only=True)

    @property
    def ops(self) -> Ops:
        """The ops service (the CLI's backend) over this cloud's store."""
        return Ops(self.config, self.store)

    def log_path(self) -> Path:
        """The dev server's log, worth printing when a test fails."""
        return self.config.data_dir / "temporal" / "temporal.log"


def stack_config(tmp_path: Path, **overrides: Any) -> CloudConfig:
    """A cloud config on a tmp data dir and free ports; `overrides` are CloudConfig fields."""
    dev, ui, discovery, enroll, control = free_ports(5)
    settings: dict[str, Any] = {
        "data_dir": tmp_path / "cloud",
        "temporal_dev_port": dev,
        "temporal_ui_port": ui,
        "temporal_ui": False,
        "discovery_port": discovery,
        "enroll_port": enroll,
        "control_port": control,
        "heartbeat_interval_seconds": 1,
    }
    settings.update(overrides)
    return CloudConfig(**settings)


@contextlib.asynccontextmanager
async def cloud_stack(tmp_path: Path, **overrides: Any) -> AsyncIterator[CloudStack]:
    """Start dev server, worker and gateway in this process; stop them in reverse on exit.

    `overrides` are CloudConfig fields, e.g. `enrollment_timeout_hours=0.001`.
    """
    require_temporal_cli()
    config = stack_config(tmp_path, **overrides)
    async with running_cloud(config) as running:
        store = await asyncio.to_thread(CloudStore.open, config.store_url)
        try:
            yield CloudStack(
                client=running.client,
                ui_url=running.ui_url,
                gateway=running.gateway,
                ports=running.ports,
                config=config,
                store=store,
            )
        finally:
            await asyncio.to_thread(store.close)


async def wait_until_awaiting_enrollment(
    stack: CloudStack, handle: ProvisionStoreSiteHandle
) -> store_site_pb2.ProvisionStoreSiteStatus:
    """Poll the status query until the workflow waits for the agent (or has ended)."""

    def enrolling_or_later(status: store_site_pb2.ProvisionStoreSiteStatus) -> bool:
        return status.step >= store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT

    return await stack.ops.wait_for_step(handle, enrolling_or_later, interval=0.2)


# Edge agent processes


def edge_binary() -> str:
    """The venv's `commerce-edge` script (the one an installer would run)."""
    beside = Path(sys.executable).with_name("commerce-edge")
    found = str(beside) if beside.exists() else shutil.which("commerce-edge")
    if found is None:
        pytest.skip("commerce-edge is not installed in this environment (pip install -e .)")
    return found


@dataclass
class EdgeAgent:
    """A `commerce-edge run` child process serving one site."""

    site_id: str
    data_dir: Path
    health_address: str
    process: asyncio.subprocess.Process

    @property
    def log(self) -> Path:
        return self.data_dir / "agent.log"

    def log_tail(self, chars: int = 4000) -> str:
        """The end of the agent's log, for assertion messages."""
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def _edge_env(health_address: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_EDGE_")}
    env["COMMERCE_EDGE_HEALTH_ADDRESS"] = health_address
    env["COMMERCE_EDGE_RECONNECT_INITIAL_SECONDS"] = "0.2"
    env["COMMERCE_EDGE_RECONNECT_MAX_SECONDS"] = "2"
    return env


async def current_enrollment(stack: CloudStack, site_id: str) -> Enrollment:
    """The enrollment line of the token the site's provisioning workflow is waiting on.

    Read from the workflow's status query, as the demo does.
    """
    handle = ProvisionStoreSiteHandle(
        stack.client.get_workflow_handle(PROVISION_STORE_SITE.id_template.format(site_id=site_id))
    )
    status = await handle.get_provision_status()
    if not status.bootstrap_token_id:
        raise AssertionError(
            f"site {site_id} has no bootstrap token yet (step "
            f"{store_site_pb2.ProvisionStep.Name(status.step)}); wait for AWAITING_ENROLLMENT"
        )
    expires_at = status.bootstrap_token_expires_at.ToDatetime(tzinfo=UTC)
    return await asyncio.to_thread(
        stack.ops.enrollment, site_id, status.bootstrap_token_id, expires_at
    )


async def enroll_edge(stack: CloudStack, site_id: str, data_dir: Path) -> str:
    """Run `commerce-edge enroll` with the site's current bootstrap token; return its output.

    Raises AssertionError with the agent's output when enrollment fails.
    """
    enrollment = await current_enrollment(stack, site_id)
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        edge_binary(), "enroll",
        "--cloud", enrollment.cloud_address,
        "--token", enrollment.token,
        "--ca-fingerprint", enrollment.ca_fingerprint,
        "--data-dir", str(data_dir),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
        env=_edge_env(""),
    )
    out, _ = await asyncio.wait_for(process.communicate(), ENROLL_TIMEOUT)
    text = out.decode(errors="replace")
    if process.returncode != 0:
        raise AssertionError(f"commerce-edge enroll exited {process.returncode}:\n{text}")
    return text


async def _stop(process: asyncio.subprocess.Process) -> None:
    if process.returncode is not None:
        return
    process.terminate()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(process.wait(), STOP_GRACE)
    if process.returncode is None:
        process.kill()
        await process.wait()


@contextlib.asynccontextmanager
async def edge_agent(
    stack: CloudStack, site_id: str, data_dir: Path, *, enroll: bool = True
) -> AsyncIterator[EdgeAgent]:
    """Enroll `data_dir` as `site_id` (unless `enroll=False`), then run the agent until exit.

    The agent's health page listens on a free loopback port (`EdgeAgent.health_address`);
    its log is `data_dir / "agent.log"`.
    """
    if enroll:
        await enroll_edge(stack, site_id, data_dir)
    (health_port,) = free_ports(1)
    health_address = f"127.0.0.1:{health_port}"
    log = (data_dir / "agent.log").open("ab")
    try:
        process = await asyncio.create_subprocess_exec(
            edge_binary(), "run", "--data-dir", str(data_dir),
            stdout=log, stderr=asyncio.subprocess.STDOUT, env=_edge_env(health_address),
        )
        try:
            yield EdgeAgent(site_id, data_dir, health_address, process)
        finally:
            await _stop(process)
    finally:
        log.close()
