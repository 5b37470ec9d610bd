"""The rollout installer inside an activity (temporalio's ActivityEnvironment, a real SQLite
cloud store; no agent answers here, the test answers the command in the store as an agent
does): it heartbeats the command it follows, and a retry after a lost worker follows the
command its last heartbeat named instead of queueing another."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from temporalio.testing import ActivityEnvironment

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.activities.rollout_messages import INSTALLED
from cloud.adapters.site_installer import QueuedSiteInstaller
from cloud.adapters.store import CloudStore
from cloud.fleet_records import PublishedBundle

BATCH = "rollout-store-fleet/ring-1/step-0/batch-0"
FIRST = f"{BATCH}/install-bundle/store-0001/2026.11.1"


def _bundle() -> PublishedBundle:
    fields = {f.name: "" for f in dataclasses.fields(PublishedBundle)}
    fields.update(bundle_id="2026.11.1", sha256="ab" * 32, size=10)
    return PublishedBundle(**fields)  # type: ignore[arg-type]


def _answer(store: CloudStore, command_id: str) -> None:
    result = edge_pb2.CommandResult(
        command_id=command_id, outcome=edge_pb2.COMMAND_OUTCOME_SUCCEEDED, ok=True,
        bundle_install=edge_pb2.BundleInstallReport(
            outcome=edge_pb2.BUNDLE_INSTALL_OUTCOME_INSTALLED, previous_bundle="2026.10.2"
        ),
    )  # fmt: skip
    store.commands.complete(
        command_id, "store-0001", True, result.SerializeToString(), "", datetime.now(UTC)
    )


async def test_heartbeats_name_the_command_and_a_retry_follows_it(tmp_path: Path) -> None:
    store = CloudStore.open(f"sqlite:///{tmp_path / 'cloud.db'}")
    try:
        store.channels.create("web-eu", "Web EU", [])
        store.sites.create_or_get("store-0001", "web-eu", "store-0001", "Europe/Berlin", "0.1.0")
        installer = QueuedSiteInstaller(store.commands, poll_seconds=0.05)
        beats: list[Any] = []
        beating = asyncio.Event()

        def on_heartbeat(*details: Any) -> None:
            beats.extend(details)
            beating.set()

        env = ActivityEnvironment()
        env.info = dataclasses.replace(env.info, workflow_id=BATCH)
        env.on_heartbeat = on_heartbeat
        first = asyncio.ensure_future(env.run(installer.install, "store-0001", _bundle()))
        await asyncio.wait_for(beating.wait(), 30)
        assert beats[0]["command_id"] == FIRST and beats[0]["status"] == "pending"
        assert beats[0]["site_id"] == "store-0001"
        first.cancel()  # the worker is lost; the command stays queued for the agent

        # The retry after a heartbeat timeout carries the last heartbeat: once the agent
        # answers that command, the retry returns its outcome; no second command is queued.
        retry = ActivityEnvironment()
        retry.info = dataclasses.replace(env.info, heartbeat_details=[beats[-1]], attempt=2)
        await asyncio.to_thread(_answer, store, FIRST)
        outcome = await asyncio.wait_for(retry.run(installer.install, "store-0001", _bundle()), 30)
        assert (outcome.state, outcome.previous_bundle_id) == (INSTALLED, "2026.10.2")
        assert store.commands.get(f"{FIRST}/1") is None
    finally:
        store.close()
