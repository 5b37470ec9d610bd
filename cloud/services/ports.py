"""What the ops services need besides the store: tokens, the site CA, the provisioning workflow.

Port room: `typing.Protocol`s only; the composition roots (CLI, demo, bench) hand in the
adapters (`TokenMinter`, `FileCertificateAuthority`, `TemporalProvisioning`).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import replication_pb2, store_site_pb2
from cloud.ports import TokenSource

__all__ = [
    "CaFingerprint",
    "FleetScheduleView",
    "FleetSchedules",
    "ProvisionRun",
    "ProvisioningWorkflows",
    "ReplicationWorkflows",
    "TokenSource",
]


class CaFingerprint(Protocol):
    """The site CA, as far as an installer needs it: its fingerprint to pin."""

    def ca_fingerprint(self) -> str: ...


class ProvisionRun(Protocol):
    """One run of a site's ProvisionStoreSite workflow."""

    @property
    def id(self) -> str:
        """Workflow id."""
        ...

    @property
    def started_with(self) -> store_site_pb2.ProvisionStoreSiteInput:
        """The input the run was started with (another caller's, when it was running)."""
        ...

    async def wait_for_step(
        self, step: store_site_pb2.ProvisionStep
    ) -> store_site_pb2.ProvisionStoreSiteStatus:
        """The status once the run has reached `step` (or gone past it, or ended)."""
        ...

    async def result(self) -> store_site_pb2.ProvisionStoreSiteResult:
        """Waits for the run to end; raises its failure."""
        ...


class ProvisioningWorkflows(Protocol):
    """Starts (or attaches to) the provisioning workflow of a site."""

    async def start(self, request: store_site_pb2.ProvisionStoreSiteInput) -> ProvisionRun: ...


class ReplicationWorkflows(Protocol):
    """Runs a site's replication workflows to their end (Temporal behind it)."""

    async def downsync(
        self, request: replication_pb2.RunDownsyncInput
    ) -> replication_pb2.RunDownsyncResult: ...

    async def upsync(
        self, request: replication_pb2.RunUpsyncInput
    ) -> replication_pb2.RunUpsyncResult: ...

    async def rebuild(
        self, request: replication_pb2.RebuildStoreSiteProjectionInput
    ) -> replication_pb2.RebuildStoreSiteProjectionResult: ...

    async def reconcile_fleet(
        self, request: replication_pb2.ReconcileFleetInput
    ) -> replication_pb2.ReconcileFleetResult: ...


class FleetSchedules(Protocol):
    """The schedule that reconciles the fleet (Temporal Schedules behind it)."""

    async def ensure(self, every: timedelta, jitter: timedelta, concurrency: int) -> None: ...

    async def trigger(self) -> None: ...

    async def describe(self) -> FleetScheduleView | None: ...


class FleetScheduleView(Protocol):
    """How the fleet schedule stands."""

    @property
    def every(self) -> timedelta: ...

    @property
    def jitter(self) -> timedelta: ...

    @property
    def concurrency(self) -> int: ...

    @property
    def paused(self) -> bool: ...

    @property
    def overlap(self) -> str: ...

    @property
    def recent_runs(self) -> int: ...
