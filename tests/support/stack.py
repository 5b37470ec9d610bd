"""Test support: the real cloud stack (dev server, worker, gateway) and real agent processes.

Everything binds free loopback ports and lives under the given directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from temporalio.client import Client

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import ProvisionStoreSiteHandle
from cloud.adapters.store import CloudStore
from cloud.adapters.temporal_provisioning import TemporalProvisionRun
from cloud.composition.assembly import OpsServices, open_ops
from cloud.composition.runtime import Running, running_cloud
from cloud.config import CloudConfig
from cloud.services import Enrollment, ProvisioningService
from shared.timestamps import from_timestamp
from tests.support.servers import require_temporal_cli

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cloud_config(data_dir: Path, **overrides: Any) -> CloudConfig:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "temporal_dev_port": free_port(),
        "temporal_ui_port": free_port(),
        "temporal_ui": False,
        "discovery_port": free_port(),
        "enroll_port": free_port(),
        "control_port": free_port(),
        "publish_port": free_port(),
        "heartbeat_interval_seconds": 2,
        "command_timeout_seconds": 60,
    }
    values.update(overrides)
    return CloudConfig(**values)


def cloud_env(config: CloudConfig) -> dict[str, str]:
    """Environment for a `commerce-cloud` child process with the same settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COMMERCE_")}
    for key, value in config.model_dump(mode="json").items():
        if value is None:
            continue
        if isinstance(value, list):
            value = ",".join(value)
        elif isinstance(value, dict):
            value = json.dumps(value)
        env[f"COMMERCE_CLOUD_{key.upper()}"] = str(value)
    return env


def cli(stack: Stack, *args: str) -> subprocess.CompletedProcess[str]:
    """Run `commerce-cloud` as ops do, configured like `stack` (call it in a thread)."""
    return subprocess.run(
        [str(BIN / "commerce-cloud"), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=cloud_env(stack.config),
    )


@dataclass
class Stack:
    config: CloudConfig
    running: Running
    ops: OpsServices
    provisioning: ProvisioningService = field(init=False)

    def __post_init__(self) -> None:
        self.provisioning = self.ops.provisioning_through(self.running.client)

    @property
    def store(self) -> CloudStore:
        return self.ops.store

    async def start(
        self, request: store_site_pb2.ProvisionStoreSiteInput
    ) -> ProvisionStoreSiteHandle:
        """Start (or attach to) provisioning as ops do; the typed handle of the run."""
        run = await self.provisioning.start(request)
        assert isinstance(run, TemporalProvisionRun)
        return run.handle

    async def provision(
        self, site_id: str, channel: str = "web-eu", **fields: str
    ) -> tuple[Any, store_site_pb2.ProvisionStoreSiteStatus]:
        request = store_site_pb2.ProvisionStoreSiteInput(
            site_id=site_id,
            sales_channel_id=channel,
            name=fields.get("name", f"Store {site_id}"),
            timezone=fields.get("timezone", "Europe/Amsterdam"),
            agent_version=fields.get("agent_version", "0.1.0"),
        )
        handle = await self.start(request)
        return handle, await self.awaiting_enrollment(handle)

    @property
    def client(self) -> Client:
        return self.running.client

    async def awaiting_enrollment(
        self, handle: ProvisionStoreSiteHandle
    ) -> store_site_pb2.ProvisionStoreSiteStatus:
        """Wait until `handle`'s provisioning has issued its token (or ended)."""
        return await self.wait_for_step(handle, store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT)

    async def wait_for_step(
        self, handle: ProvisionStoreSiteHandle, step: store_site_pb2.ProvisionStep
    ) -> store_site_pb2.ProvisionStoreSiteStatus:
        """The status once `handle`'s run reached `step` (or ended), as the services wait."""
        run = TemporalProvisionRun(handle, store_site_pb2.ProvisionStoreSiteInput())
        return await self.provisioning.wait_for_step(run, step)

    def enrollment(self, status: store_site_pb2.ProvisionStoreSiteStatus) -> Enrollment:
        """The enrollment line of the token `status` names (reads the token secret and CA)."""
        assert status.bootstrap_token_id, f"no token to enroll with at step {status.step}"
        return self.ops.sites.enrollment(
            status.site_id,
            status.bootstrap_token_id,
            from_timestamp(status.bootstrap_token_expires_at),
        )


@contextlib.asynccontextmanager
async def cloud_stack(data_dir: Path, **overrides: Any) -> AsyncIterator[Stack]:
    """The cloud on embedded defaults in this process, with the channel `web-eu`."""
    require_temporal_cli()  # stop here rather than build or download the CLI mid-test
    config = cloud_config(data_dir, **overrides)
    async with running_cloud(config) as running:
        ops = await asyncio.to_thread(open_ops, config)
        try:
            await asyncio.to_thread(ops.channels.create, "web-eu", "Web EU", [])
            yield Stack(config=config, running=running, ops=ops)
        finally:
            await asyncio.to_thread(ops.close)


def edge(
    *args: str, data_dir: Path, check: bool = False, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run `commerce-edge` to completion."""
    return subprocess.run(
        [str(BIN / "commerce-edge"), *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=check,
        env={**os.environ, "COMMERCE_EDGE_HEALTH_ADDRESS": ""},
    )


async def enroll_agent(
    enrollment: Enrollment,
    data_dir: Path,
    *,
    fingerprint: str | None = None,
    token: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run `commerce-edge enroll` (in a thread: the gateway shares this event loop)."""
    return await asyncio.to_thread(
        edge,
        "enroll",
        "--cloud",
        enrollment.cloud_address,
        "--token",
        token or enrollment.token,
        "--ca-fingerprint",
        fingerprint or enrollment.ca_fingerprint,
        data_dir=data_dir,
    )


@contextlib.asynccontextmanager
async def agent_process(
    data_dir: Path, extra_env: dict[str, str] | None = None
) -> AsyncIterator[asyncio.subprocess.Process]:
    """A running `commerce-edge run`, stopped with SIGTERM at the end."""
    log = (data_dir / "agent.log").open("ab")
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "commerce-edge"),
        "run",
        "--data-dir",
        str(data_dir),
        stdout=log,
        stderr=asyncio.subprocess.STDOUT,
        env={
            **os.environ,
            "COMMERCE_EDGE_HEALTH_ADDRESS": "",
            "COMMERCE_EDGE_POS_ADDRESS": "",
            "COMMERCE_EDGE_RECONNECT_MAX_SECONDS": "2",
            **(extra_env or {}),
        },
    )
    try:
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 15)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        log.close()


async def agent_status(data_dir: Path) -> dict[str, Any]:
    out = await asyncio.to_thread(edge, "status", "--json", data_dir=data_dir)
    return dict(json.loads(out.stdout))


async def eventually(predicate: Any, timeout: float = 30.0, interval: float = 0.2) -> None:
    """Wait until `predicate()` (sync or async) is truthy; bounded."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = predicate()
        if asyncio.iscoroutine(value):
            value = await value
        if value:
            return
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        await asyncio.sleep(interval)


def has_temporal_cli() -> bool:
    from cloud.temporal.cli_binary import default_cache_dir, resolve_temporal_cli

    return resolve_temporal_cli(default_cache_dir(), allow_build=False) is not None or bool(
        shutil.which("temporal")
    )


@contextlib.asynccontextmanager
async def enrolled_agent(
    stack: Stack, status: store_site_pb2.ProvisionStoreSiteStatus, data_dir: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """Enroll `data_dir` with the token of `status`, then run the agent until exit."""
    done = await enroll_agent(stack.enrollment(status), data_dir)
    if done.returncode != 0:
        raise AssertionError(f"commerce-edge enroll exited {done.returncode}:\n{done.stderr}")
    async with agent_process(data_dir) as process:
        yield process


def agent_log_tail(data_dir: Path, chars: int = 4000) -> str:
    """The end of an agent's log, for failure messages."""
    log = data_dir / "agent.log"
    return log.read_text(errors="replace")[-chars:] if log.exists() else ""
