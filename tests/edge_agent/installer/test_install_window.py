"""An install waits for the store: never during trading hours in the store's own time, never
under an open POS basket (real agent process, real gateway, real POS API on loopback)."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import grpc

from ameide_core_proto.process.commerce.v1 import edge_pb2, pos_pb2, pos_pb2_grpc, store_site_pb2
from cloud.gateway.server import EdgeGateway
from tests.edge_agent.edge_fake_gateway import site_config_command
from tests.edge_agent.edge_process import agent_log, agent_process
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.installer.bundles import build_release
from tests.edge_agent.installer.test_install_restart import (
    BUNDLE,
    env,
    install_command,
    publisher,
    result_of,
    started_versions,
)
from tests.edge_agent.real_gateway import CloudSide
from tests.support.stack import eventually


async def retryable_failure(cloud: CloudSide, command_id: str) -> str:
    """The message of a retryable failure: the command stays open in the cloud (the rollout's
    activity queues it again later) with the agent's message as its last error."""
    found: list[str] = []

    def arrived() -> bool:
        record = cloud.command(command_id)
        assert not record.finished, record
        if record.error:
            found.append(record.error)
        return bool(found)

    await eventually(arrived, timeout=60, interval=0.2)
    return found[0]


def pos_port(data_dir: Path) -> int:
    found = re.findall(r"POS API listening on 127\.0\.0\.1:(\d+)", agent_log(data_dir))
    return int(found[-1])


async def test_no_install_during_trading_hours_nor_under_an_open_basket(
    cloud: CloudSide, real_gateway: EdgeGateway, site_dir: Path
) -> None:
    build_release(site_dir.parent / "bundles", BUNDLE, publisher(site_dir), version="0.1.1")
    today = dt.datetime.now(ZoneInfo("Europe/Amsterdam")).isoweekday()
    trading_today = site_config_command("config-1", SITE, 1)
    trading_today.apply_site_config.trading_calendar.hours.append(
        store_site_pb2.TradingHours(weekday=today, opens="00:00", closes="24:00")
    )
    closed_today = site_config_command("config-2", SITE, 2)
    closed_today.apply_site_config.trading_calendar.closed_dates.append(
        dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date().isoformat()
    )
    async with agent_process(
        site_dir, env(site_dir, COMMERCE_EDGE_INSTALL_QUIESCE_MAX_SECONDS="1")
    ) as proc:
        await eventually(lambda: real_gateway.sessions.connected(SITE), timeout=20)
        await asyncio.to_thread(cloud.enqueue, trading_today, SITE)
        await result_of(cloud, "config-1", site_dir)

        await asyncio.to_thread(cloud.enqueue, install_command("install-1"), SITE)
        deferred = await retryable_failure(cloud, "install-1")
        assert "the store trades now" in deferred
        assert "next window outside trading hours (from " in deferred
        assert not (site_dir / "releases" / "current").exists()

        await asyncio.to_thread(cloud.enqueue, closed_today, SITE)
        await result_of(cloud, "config-2", site_dir)
        async with grpc.aio.insecure_channel(f"127.0.0.1:{pos_port(site_dir)}") as channel:
            pos = pos_pb2_grpc.PosServiceStub(channel)
            lease = await pos.AcquireBasketLease(
                pos_pb2.AcquireBasketLeaseRequest(register_id="register-1", ttl_seconds=300)
            )
            await asyncio.to_thread(cloud.enqueue, install_command("install-2"), SITE)
            busy = await retryable_failure(cloud, "install-2")
            assert "1 POS basket(s) stayed open" in busy
            assert "an open basket is never interrupted" in busy
            assert started_versions(site_dir) == ["0.1.0"]  # never restarted under the basket
            await pos.ReleaseBasketLease(pos_pb2.ReleaseBasketLeaseRequest(lease_id=lease.lease_id))

        await asyncio.to_thread(cloud.enqueue, install_command("install-3"), SITE)
        done = await result_of(cloud, "install-3", site_dir)
        assert done.bundle_install.outcome == edge_pb2.BUNDLE_INSTALL_OUTCOME_INSTALLED, done
        assert started_versions(site_dir) == ["0.1.0", "0.1.1"]
        assert proc.returncode is None
