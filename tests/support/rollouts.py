"""A rollout test bench: the real Temporal dev server, a real cloud store with ready sites and
a published, signed bundle, and a worker running RolloutStoreFleet with its real activities.

The sites' installer and health probe are stand-ins (named as such): the agent side of an
install is the edge installer's, so here each site's outcome is scripted per test.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from temporalio.common import SearchAttributeKey
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Worker

from ameide_core_proto.process.commerce.v1 import facts_pb2, rollout_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import RolloutWorkflowServiceClient
from cloud.activities.rollout_messages import (
    FAILED,
    INSTALLED,
    OFFLINE,
    ROLLED_BACK,
    ObservedSites,
    SiteOutcome,
    SiteSignals,
)
from cloud.adapters.store import CloudStore
from cloud.config import CloudConfig
from cloud.fleet_assembly import fleet_versions, trusted_keys_dir
from cloud.fleet_records import PublishedBundle
from cloud.rollout_wiring import rollout_activities, rollout_workflows
from cloud.temporal.search_attributes import SEARCH_ATTRIBUTES
from shared.bundles import BundleSpec, StepSource, build_bundle, generate_key_pair, load_signing_key
from tests.support.stack import cloud_config

BUNDLE_ID = "2026.11.1"
CHANNEL = "web-eu"


@dataclass
class StandInInstaller:
    """Stand-in for the agents' installer: answers per site as the test scripted it."""

    failing: set[str] = field(default_factory=set)
    offline: set[str] = field(default_factory=set)
    # Offline at their first install, back for the next.
    returning: set[str] = field(default_factory=set)
    installs: list[str] = field(default_factory=list)
    rollbacks: list[str] = field(default_factory=list)
    # Set by a test to hold installs until it lets them go.
    gate: asyncio.Event | None = None
    # Sites whose installs wait for `held_until` (the others answer at once).
    held: set[str] = field(default_factory=set)
    held_until: asyncio.Event = field(default_factory=asyncio.Event)

    async def install(self, site_id: str, bundle: PublishedBundle) -> SiteOutcome:
        if self.gate is not None:
            await self.gate.wait()
        if site_id in self.held:
            await self.held_until.wait()
        self.installs.append(site_id)
        if site_id in self.offline or (
            site_id in self.returning and self.installs.count(site_id) == 1
        ):
            return SiteOutcome(site_id, OFFLINE, "no control stream", "")
        if site_id in self.failing:
            return SiteOutcome(site_id, FAILED, "health gate: new build did not reconnect", "base")
        return SiteOutcome(site_id, INSTALLED, "", "base")

    async def roll_back(
        self, site_id: str, bundle: PublishedBundle, restore_bundle_id: str
    ) -> SiteOutcome:
        self.rollbacks.append(site_id)
        return SiteOutcome(site_id, ROLLED_BACK, f"restored {restore_bundle_id}", "")


@dataclass
class StandInHealth:
    """Stand-in for the sites' health signals after an install."""

    unhealthy: dict[str, str] = field(default_factory=dict)
    # The agents' own signals, as the cloud store would report them.
    signals: dict[str, SiteSignals] = field(default_factory=dict)
    # Sites whose agents report this many more errors at every observation.
    errors_per_observation: dict[str, int] = field(default_factory=dict)
    observations: int = 0

    async def observe(self, site_ids: list[str], bundle_id: str) -> ObservedSites:
        self.observations += 1
        signals = {s: v for s, v in self.signals.items() if s in site_ids}
        for site_id, step in self.errors_per_observation.items():
            if site_id in site_ids:
                signals[site_id] = SiteSignals(
                    "ready", error_counts={"pos": step * self.observations}, last_error="boom"
                )
        return ObservedSites(
            unhealthy={s: w for s, w in self.unhealthy.items() if s in site_ids}, signals=signals
        )


@dataclass
class RolloutBench:
    env: WorkflowEnvironment
    store: CloudStore
    rollouts: RolloutWorkflowServiceClient
    installer: StandInInstaller
    health: StandInHealth
    root: Path

    def add_sites(self, count: int, channel: str = CHANNEL, prefix: str = "store") -> list[str]:
        ids = [f"{prefix}-{n:04d}" for n in range(1, count + 1)]
        for site_id in ids:
            self.store.sites.create_or_get(site_id, channel, site_id, "Europe/Berlin", "0.1.0")
            self.store.sites.mark_ready(site_id, f"serial-{site_id}", 1, [])
        return ids

    def facts(self, kind: str) -> list[facts_pb2.ProcessFact]:
        return [
            facts_pb2.ProcessFact.FromString(r.payload)
            for r in self.store.facts.tail(0, 10_000)
            if r.fact_type == kind
        ]

    def request(self, ring: str = "ring-1", **fields: object) -> rollout_pb2.RolloutStoreFleetInput:
        values: dict[str, object] = {
            "bundle": rollout_pb2.VersionBundle(bundle_id=BUNDLE_ID),
            "ring": ring,
            "canary_size": 1,
            "max_failure_ratio": 0.3,
            "selector": rollout_pb2.RingSelector(sales_channel_id=CHANNEL),
        }
        values.update(fields)
        return rollout_pb2.RolloutStoreFleetInput(**values)  # type: ignore[arg-type]


def publish_bundle(
    store: CloudStore,
    root: Path,
    pos_ui: str = "1.0.0",
    config: CloudConfig | None = None,
    bundle_id: str = BUNDLE_ID,
    undoable: bool = True,
) -> None:
    """Build, sign and publish a real bundle (the cloud trusts its publisher key)."""
    config = config or cloud_config(root / "cloud")
    keys = trusted_keys_dir(config)
    keys.mkdir(parents=True, exist_ok=True)
    if not (root / "publisher.key").exists():
        generate_key_pair(root / "publisher.key", keys / "publisher.pem")
    ui = root / f"pos-ui-{bundle_id}"
    ui.mkdir()
    (ui / "index.html").write_text("<html>POS</html>\n")
    archive = root / f"{bundle_id}.tar.gz"
    build_bundle(
        BundleSpec(bundle_id, {"edge-agent": "0.1.0", "pos-ui": pos_ui}, {},
                   (StepSource("pos-ui", "pos-ui", "static-site", undoable, ui),)),
        [load_signing_key(root / "publisher.key")],
        archive,
    )  # fmt: skip
    fleet_versions(config, store).publish(archive, "test")


@contextlib.asynccontextmanager
async def rollout_bench(env: WorkflowEnvironment, root: Path) -> AsyncIterator[RolloutBench]:
    """A fresh store and a worker on a task queue of its own on `env`'s dev server."""
    store = CloudStore.open(f"sqlite:///{root / 'cloud' / 'cloud.db'}")
    store.channels.create(CHANNEL, "Web EU", [])
    await asyncio.to_thread(publish_bundle, store, root)
    installer, health = StandInInstaller(), StandInHealth()
    task_queue = f"rollouts-{uuid.uuid4()}"
    try:
        async with Worker(
            env.client,
            task_queue=task_queue,
            workflows=rollout_workflows(),
            activities=rollout_activities(store, installer, health),
        ):
            yield RolloutBench(
                env, store, RolloutWorkflowServiceClient(env.client, task_queue=task_queue),
                installer, health, root,
            )  # fmt: skip
    finally:
        store.close()


@contextlib.asynccontextmanager
async def dev_server(temporal_cli: Path) -> AsyncIterator[WorkflowEnvironment]:
    """The real dev server, with the commerce search attributes registered."""
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=str(temporal_cli),
        ip="127.0.0.1",
        ui=False,
        dev_server_log_level="error",
        search_attributes=[
            SearchAttributeKey.for_keyword(name) for name, kind in SEARCH_ATTRIBUTES.items()
            if kind == "Keyword"
        ],
    )  # fmt: skip
    try:
        yield env
    finally:
        await env.shutdown()
