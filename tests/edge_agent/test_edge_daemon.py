"""The daemon end to end: renew on start, redial with the new certificate, health page, stop."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import httpx
import pytest

from edge_agent.config import AgentConfig
from edge_agent.daemon import AgentDaemon
from edge_agent.errors import NotEnrolled
from edge_agent.identity import load_identity
from edge_agent.projection import Projection
from tests.edge_agent.edge_fake_gateway import FakeGateway, site_config_command
from tests.edge_agent.edge_support import SITE, enroll_site


def _config(data_dir: Path) -> AgentConfig:
    return AgentConfig(
        data_dir=data_dir,
        health_address="127.0.0.1:0",
        reconnect_initial_seconds=0.05,
        reconnect_max_seconds=0.3,
        renew_check_seconds=3600,
        agent_version="1.2.3",
    )


async def test_daemon_renews_redials_serves_health_and_stops(
    gateway: FakeGateway, data_dir: Path
) -> None:
    gateway.cert_not_before_offset = -dt.timedelta(days=25)
    await enroll_site(gateway, data_dir)
    old_serial = load_identity(data_dir).certificate.serial_hex
    daemon = AgentDaemon(_config(data_dir))
    running = asyncio.ensure_future(daemon.run())

    def on_new_certificate() -> bool:
        serials = {format(c.certificate_serial, "x") for c in gateway.connections}
        return bool(gateway.renew_requests) and bool(serials - {old_serial})

    await gateway.wait_until(on_new_certificate)
    assert load_identity(data_dir).certificate.serial_hex != old_serial

    gateway.commands.put_nowait(site_config_command("cmd-1", SITE, generation=3))
    assert (await asyncio.wait_for(gateway.results.get(), 10)).ok
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
    projection = await Projection.open(data_dir)
    try:
        assert projection.connection_state().state == "stopped"
    finally:
        await projection.close()


async def test_second_stop_request_forces_exit(gateway: FakeGateway, enrolled: Path) -> None:
    daemon = AgentDaemon(_config(enrolled))
    running = asyncio.ensure_future(daemon.run())
    await gateway.wait_for_connections(1)
    daemon.request_stop()
    daemon.request_stop()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(running, 10)


async def test_daemon_refuses_to_start_unenrolled(data_dir: Path) -> None:
    with pytest.raises(NotEnrolled, match="commerce-edge enroll"):
        await AgentDaemon(_config(data_dir)).run()
