"""The agent's hello carries its release state, so the cloud can show it per site. The fake
gateway is used because the real one does not surface the hello's fields."""

from __future__ import annotations

import asyncio
from pathlib import Path

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.control import ControlClient
from edge_agent.projection import Projection
from tests.edge_agent.edge_fake_gateway import FakeGateway


async def test_hello_reports_current_last_known_good_and_last_install(
    gateway: FakeGateway, enrolled: Path
) -> None:
    installed = edge_pb2.InstalledBundles(
        current_bundle="2026.11.1",
        last_known_good="2026.11.1",
        last_install=edge_pb2.BundleInstallReport(
            bundle_id="2026.11.1", outcome=edge_pb2.BUNDLE_INSTALL_OUTCOME_INSTALLED
        ),
    )
    projection = await Projection.open(enrolled)
    client = ControlClient(
        data_dir=enrolled,
        projection=projection,
        agent_version="0.1.1",
        reconnect_initial_seconds=0.05,
        installed=lambda: installed,
    )
    stopping = asyncio.Event()
    task = asyncio.ensure_future(client.run(stopping))
    try:
        await gateway.wait_for_connections(1)
    finally:
        stopping.set()
        await asyncio.wait_for(task, 10)
        await projection.close()
    assert gateway.connections[0].hello.installed_bundles == installed
