"""Faults: the cloud SIGKILLed mid-provisioning, the agent killed mid-enrollment."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from temporalio.client import Client

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from cloud.composition.assembly import open_ops
from cloud.config import CloudConfig
from cloud.store import tables
from cloud.temporal.connect import TemporalSettings, connect_client
from tests.support.stack import (
    BIN,
    agent_process,
    cloud_config,
    cloud_env,
    cloud_stack,
    enroll_agent,
    eventually,
)

pytestmark = pytest.mark.usefixtures("temporal_cli")


async def _client(config: CloudConfig) -> Client:
    return await connect_client(TemporalSettings.from_cloud_config(config))


def _port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
        return True
    return False


@contextlib.asynccontextmanager
async def serve_process(
    config: CloudConfig, log: Path
) -> AsyncIterator[asyncio.subprocess.Process]:
    """`commerce-cloud serve` as its own process (so it can be SIGKILLed)."""
    out = log.open("ab")
    proc = await asyncio.create_subprocess_exec(
        str(BIN / "commerce-cloud"),
        "serve",
        env=cloud_env(config),
        stdout=out,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        await eventually(
            lambda: (
                proc.returncode is not None
                or (_port_open(config.discovery_port) and _port_open(config.temporal_dev_port))
            ),
            timeout=90,
        )
        assert proc.returncode is None, log.read_text()[-3000:]
        yield proc
    finally:
        if proc.returncode is None:
            proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(proc.wait(), 30)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        out.close()


async def _sigkill(proc: asyncio.subprocess.Process, config: CloudConfig) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    await proc.wait()
    # The dev server dies with its parent, freeing the port for the restart.
    await eventually(lambda: not _port_open(config.temporal_dev_port), timeout=30)


def _count(store_url: str, table: sa.Table, site_id: str) -> int:
    engine = sa.create_engine(store_url)
    try:
        with engine.connect() as conn:
            return int(
                conn.scalar(
                    sa.select(sa.func.count()).select_from(table).where(table.c.site_id == site_id)
                )
                or 0
            )
    finally:
        engine.dispose()


async def test_cloud_killed_mid_provisioning_completes_without_duplicates(tmp_path: Path) -> None:
    config = cloud_config(tmp_path / "cloud")
    log = tmp_path / "serve.log"
    ops = await asyncio.to_thread(open_ops, config)
    agent_dir = tmp_path / "store"
    request = store_site_pb2.ProvisionStoreSiteInput(
        site_id="store-kill",
        sales_channel_id="web-eu",
        name="Kill test",
        timezone="Europe/Amsterdam",
        agent_version="0.1.0",
    )
    try:
        await asyncio.to_thread(ops.channels.create, "web-eu", "Web EU", [])
        async with serve_process(config, log) as proc:
            provisioning = ops.provisioning_through(await _client(config))
            run = await provisioning.start(request)
            status = await provisioning.wait_for_step(
                run, store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT
            )
            enrollment = await provisioning.enrollment(status)
            assert enrollment is not None, status
            await _sigkill(proc, config)  # 1: while waiting for enrollment

        async with serve_process(config, log) as proc:
            done = await enroll_agent(enrollment, agent_dir)
            assert done.returncode == 0, done.stderr
            provisioning = ops.provisioning_through(await _client(config))
            run = await provisioning.start(request)
            status = await provisioning.wait_for_step(
                run, store_site_pb2.PROVISION_STEP_CONFIGURING
            )
            assert status.step == store_site_pb2.PROVISION_STEP_CONFIGURING, status
            await _sigkill(proc, config)  # 2: while the configuration command is queued

        async with serve_process(config, log), agent_process(agent_dir):
            provisioning = ops.provisioning_through(await _client(config))
            run = await provisioning.start(request)
            result = await asyncio.wait_for(run.result(), 120)
        assert result.site_id == "store-kill"
        assert _count(config.store_url, tables.bootstrap_tokens, "store-kill") == 1
        assert _count(config.store_url, tables.certificates, "store-kill") == 1
        assert [f.fact_type for f in ops.facts.tail(0, 100, "site/store-kill")] == [
            "StoreSiteReady"
        ]
    finally:
        await asyncio.to_thread(ops.close)


async def test_agent_killed_during_enrollment_can_enroll_again(tmp_path: Path) -> None:
    async with cloud_stack(tmp_path / "cloud") as stack:
        handle, status = await stack.provision("store-crash")
        enrollment = stack.enrollment(status)
        agent_dir = tmp_path / "store"

        # Killed at an arbitrary point: as soon as its key exists.
        proc = await asyncio.create_subprocess_exec(
            str(BIN / "commerce-edge"),
            *enrollment.arguments,
            "--data-dir",
            str(agent_dir),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        key = agent_dir / "identity" / "site.key"
        await eventually(lambda: key.exists() or proc.returncode is not None, interval=0.005)
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()
        assert key.exists()

        again = await enroll_agent(enrollment, agent_dir)
        assert again.returncode == 0, again.stderr
        first_serial = stack.store.certificates.for_site("store-crash")[0].serial

        # Killed after the cloud issued the certificate but before the agent saved it.
        (agent_dir / "identity" / "site.crt").unlink()
        (agent_dir / "identity" / "enrollment.json").unlink()
        third = await enroll_agent(enrollment, agent_dir)
        assert third.returncode == 0, third.stderr
        certs = stack.store.certificates.for_site("store-crash")
        assert [c.serial for c in certs] == [first_serial]  # the same certificate came back

        other = await enroll_agent(enrollment, tmp_path / "other-box")
        assert other.returncode == 1 and "already used by another key" in other.stderr

        async with agent_process(agent_dir):
            result = await handle.result()
        assert result.certificate_serial == first_serial
