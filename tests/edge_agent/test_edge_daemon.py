"""The daemon against the real gateway: renew on start, redial with the new certificate,
health page, stop; a second stop request forces the exit."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from cloud.gateway.server import EdgeGateway
from edge_agent.config import AgentConfig
from edge_agent.daemon import AgentDaemon
from edge_agent.errors import NotEnrolled
from edge_agent.identity import load_identity
from edge_agent.projection import Projection
from tests.edge_agent.edge_fake_gateway import site_config_command
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.real_gateway import CloudSide, enroll_at, running_gateway
from tests.support.stack import eventually


def _config(data_dir: Path) -> AgentConfig:
    return AgentConfig(
        data_dir=data_dir,
        health_address="127.0.0.1:0",
        pos_address="127.0.0.1:0",
        reconnect_initial_seconds=0.05,
        reconnect_max_seconds=0.3,
        renew_check_seconds=3600,
        agent_version="1.2.3",
    )


@pytest.fixture
async def short_lived(tmp_path: Path) -> AsyncIterator[tuple[CloudSide, EdgeGateway]]:
    """A gateway issuing 9 s certificates: due for renewal a few seconds after enrollment."""
    side = await asyncio.to_thread(
        CloudSide.under,
        tmp_path / "cloud",
        certificate_lifetime_days=9 / 86400,
        heartbeat_interval_seconds=1,
    )
    try:
        async with running_gateway(side) as gateway:
            yield side, gateway
    finally:
        await asyncio.to_thread(side.close)


def stream_opens(caplog: pytest.LogCaptureFixture) -> int:
    return sum(f"site {SITE} connected" in r.getMessage() for r in caplog.records)


async def test_daemon_renews_on_start_and_redials_with_the_new_certificate(
    short_lived: tuple[CloudSide, EdgeGateway],
    data_dir: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="cloud.gateway.control")
    cloud, gateway = short_lived
    await enroll_at(cloud, data_dir, SITE)
    old = load_identity(data_dir).certificate
    await eventually(old.due_for_renewal, timeout=15)
    daemon = AgentDaemon(_config(data_dir))
    running = asyncio.ensure_future(daemon.run(handle_signals=False))
    try:
        await eventually(lambda: len(cloud.store.certificates.for_site(SITE)) == 2, timeout=15)
        new_serial = load_identity(data_dir).certificate.serial_hex
        assert new_serial != old.serial_hex
        assert new_serial in {c.serial for c in cloud.store.certificates.for_site(SITE)}
        # The stream is opened again after the renewal, and works.
        await eventually(lambda: stream_opens(caplog) >= 2 and gateway.sessions.connected(SITE), 15)
        await asyncio.to_thread(cloud.enqueue, site_config_command("cmd-1", SITE, 3), SITE)
        await eventually(lambda: cloud.result("cmd-1") is not None, timeout=10)
    finally:
        daemon.request_stop()
        await asyncio.wait_for(running, 10)


async def test_daemon_serves_health_and_stops(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    daemon = AgentDaemon(_config(site_dir))
    running = asyncio.ensure_future(daemon.run(handle_signals=False))
    await asyncio.to_thread(cloud.enqueue, site_config_command("cmd-1", SITE, 3), SITE)
    await eventually(lambda: cloud.result("cmd-1") is not None, timeout=10)
    result = cloud.result("cmd-1")
    assert result is not None and result.ok
    assert daemon.control is not None
    await asyncio.wait_for(daemon.control.connected.wait(), 10)

    assert daemon.health is not None
    base = f"http://127.0.0.1:{daemon.health.port}"
    async with httpx.AsyncClient() as http:
        health = await http.get(f"{base}/health.json")
        page = await http.get(f"{base}/")
    assert health.status_code == 200, health.text
    body = health.json()
    assert body["site_id"] == SITE
    assert body["connection_state"] == "connected"
    assert body["config_generation"] == 3
    assert body["healthy"] is True
    assert SITE in page.text and "Connected to the cloud" in page.text

    daemon.request_stop()
    await asyncio.wait_for(running, 10)
    projection = await Projection.open(site_dir)
    try:
        assert projection.connection_state().state == "stopped"
    finally:
        await projection.close()


async def test_second_stop_request_forces_exit(real_gateway: EdgeGateway, site_dir: Path) -> None:
    daemon = AgentDaemon(_config(site_dir))
    running = asyncio.ensure_future(daemon.run(handle_signals=False))
    await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=10)
    daemon.request_stop()
    daemon.request_stop()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 10)


async def test_daemon_refuses_to_start_unenrolled(data_dir: Path) -> None:
    with pytest.raises(NotEnrolled, match="commerce-edge enroll"):
        await AgentDaemon(_config(data_dir)).run(handle_signals=False)
