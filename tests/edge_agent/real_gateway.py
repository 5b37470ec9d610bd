"""Test support: the REAL edge gateway (cloud.gateway) for the agent's tests, without Temporal.

The gateway, its cloud store (a temp SQLite file) and its site CA are the product's own; only
the workflow side is replaced: `RecordingNotifier` stands in for the Temporal workflows the
gateway reports enrollments and command results to (no workflow runs in these tests: sites,
tokens and commands are put in the cloud store directly, as the provisioning activities do).

Run as `python -m tests.edge_agent.real_gateway` (configured by `COMMERCE_CLOUD_*`, see
`tests.support.stack.cloud_env`) it is a gateway process a test can freeze and kill.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ameide_core_proto.process.commerce.v1 import edge_pb2, store_site_pb2
from cloud.adapters.pki import FileCertificateAuthority
from cloud.adapters.store import CloudStore, CommandRecord
from cloud.adapters.tokens import TokenMinter, token_hash
from cloud.config import CloudConfig, load_cloud_config
from cloud.gateway.server import EdgeGateway
from edge_agent.identity import enroll
from tests.support.stack import cloud_config, cloud_env

CHANNEL = "web-eu"
UTC = dt.UTC


@dataclass
class RecordingNotifier:
    """Stands in for the Temporal workflows (not under test here): records what the gateway
    would signal to them."""

    enrollments: list[store_site_pb2.EnrollmentCompleted] = field(default_factory=list)
    results: list[edge_pb2.CommandResult] = field(default_factory=list)

    async def enrollment_completed(
        self, workflow_id: str, event: store_site_pb2.EnrollmentCompleted
    ) -> None:
        self.enrollments.append(event)

    async def command_finished(self, task_token: bytes, result: edge_pb2.CommandResult) -> None:
        self.results.append(result)


class CloudSide:
    """The cloud store and site CA the real gateway serves from, under one directory."""

    def __init__(self, config: CloudConfig) -> None:
        self.config = config
        self.store = CloudStore.open(config.store_url)
        self.ca = FileCertificateAuthority.open_or_create(config.pki_dir)
        self.minter = TokenMinter.open_or_create(config.pki_dir)
        if self.store.channels.get(CHANNEL) is None:
            self.store.channels.create(CHANNEL, "Web EU", [])

    @classmethod
    def under(cls, data_dir: Path, **overrides: Any) -> CloudSide:
        return cls(cloud_config(data_dir, **overrides))

    def close(self) -> None:
        self.store.close()

    @property
    def cloud_address(self) -> str:
        return f"127.0.0.1:{self.config.discovery_port}"

    @property
    def ca_fingerprint(self) -> str:
        return self.ca.ca_fingerprint()

    def add_site(self, site_id: str) -> str:
        """Create `site_id` (as provisioning does) and return a fresh bootstrap token."""
        self.store.sites.create_or_get(site_id, CHANNEL, f"Store {site_id}", "Europe/Amsterdam", "")
        token_id = uuid.uuid4().hex[:12]
        token = self.minter.token(site_id, token_id)
        self.store.tokens.issue(
            token_id,
            site_id,
            token_hash(token),
            f"provision/{site_id}",
            dt.datetime.now(UTC) + dt.timedelta(hours=1),
        )
        return token

    def enqueue(self, command: edge_pb2.Command, site_id: str) -> str:
        """Queue `command` for `site_id` as the SendSiteCommand activity does (no task token:
        the result is only recorded in the store)."""
        self.store.commands.enqueue(
            command.command_id,
            site_id,
            command.WhichOneof("action") or "none",
            command.SerializeToString(),
            b"",
        )
        return command.command_id

    def command(self, command_id: str) -> CommandRecord:
        record = self.store.commands.get(command_id)
        assert record is not None, command_id
        return record

    def result(self, command_id: str) -> edge_pb2.CommandResult | None:
        """The agent's result as the cloud stored it; None while the command is open."""
        record = self.command(command_id)
        if not record.finished:
            return None
        return edge_pb2.CommandResult.FromString(record.result or b"")


async def enroll_at(cloud: CloudSide, data_dir: Path, site_id: str) -> None:
    """Enroll `data_dir` as `site_id` through the real gateway (which must be running)."""
    token = await asyncio.to_thread(cloud.add_site, site_id)
    await enroll(
        data_dir=data_dir,
        cloud=cloud.cloud_address,
        token=token,
        ca_fingerprint=cloud.ca_fingerprint,
        agent_version="1.2.3",
    )


@contextlib.asynccontextmanager
async def running_gateway(
    cloud: CloudSide, notifier: RecordingNotifier | None = None
) -> AsyncIterator[EdgeGateway]:
    """The real gateway in this process, on `cloud`'s ports."""
    gateway = EdgeGateway(
        cloud.config,
        cloud.store,
        cloud.ca,
        notifier or RecordingNotifier(),
        realtime=cloud.store.realtime,
    )
    await gateway.start()
    try:
        yield gateway
    finally:
        await gateway.stop(grace=1.0)


@contextlib.contextmanager
def gateway_process(config: CloudConfig, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """The real gateway as its own process (this module's `main`), killed at the end."""
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.edge_agent.real_gateway"],
            env=cloud_env(config),
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=Path(__file__).resolve().parents[2],
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(proc.pid, signal.SIGCONT)  # a frozen one cannot handle SIGKILL late
                proc.kill()
            proc.wait(timeout=30)


async def _serve() -> None:
    config = load_cloud_config()
    cloud = CloudSide(config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        async with running_gateway(cloud):
            print("gateway ready", flush=True)
            await stop.wait()
    finally:
        cloud.close()


if __name__ == "__main__":
    logging.basicConfig(level="INFO", format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(_serve())
