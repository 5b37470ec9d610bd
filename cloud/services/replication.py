"""Directing a store's replication as ops do it: refuse what cannot run, then run it to its end.

Service room: checks the site through the store's port (so a typo or an unready site is
refused before Temporal is reached) and runs the workflow through the `ReplicationWorkflows`
port; the reconciliation itself happens in the workflows.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from ameide_core_proto.process.commerce.v1 import replication_pb2
from cloud.ports import SitesPort
from cloud.services.ports import FleetSchedules, FleetScheduleView, ReplicationWorkflows
from shared.errors import InvalidInput, NotFound
from shared.identity import validate_site_id

__all__ = ["FleetService", "ReplicationService"]


class ReplicationService:
    """Runs RunDownsync, RunUpsync and RebuildStoreSiteProjection for one site."""

    def __init__(self, sites: SitesPort, workflows: ReplicationWorkflows) -> None:
        self._sites = sites
        self._workflows = workflows

    def check_site(self, site_id: str) -> None:
        """Refuse a site that does not exist or is not ready, saying what to do."""
        validate_site_id(site_id)
        site = self._sites.get(site_id)
        if site is None:
            raise NotFound(f"site {site_id} does not exist; see `commerce-cloud sites list`")
        if site.status != "ready":
            raise InvalidInput(
                f"site {site_id} is {site.status}, not ready: replication needs an enrolled, "
                "configured site (`commerce-cloud sites provision`)"
            )

    async def downsync(
        self, site_id: str, streams: list[str] | None = None
    ) -> replication_pb2.RunDownsyncResult:
        await asyncio.to_thread(self.check_site, site_id)
        return await self._workflows.downsync(
            replication_pb2.RunDownsyncInput(site_id=site_id, streams=streams or [])
        )

    async def upsync(self, site_id: str) -> replication_pb2.RunUpsyncResult:
        await asyncio.to_thread(self.check_site, site_id)
        return await self._workflows.upsync(replication_pb2.RunUpsyncInput(site_id=site_id))

    async def rebuild(
        self, site_id: str, reason: str, streams: list[str] | None = None
    ) -> replication_pb2.RebuildStoreSiteProjectionResult:
        if not reason.strip():
            raise InvalidInput("say why the projection is rebuilt (--reason), for the fact log")
        await asyncio.to_thread(self.check_site, site_id)
        return await self._workflows.rebuild(
            replication_pb2.RebuildStoreSiteProjectionInput(
                site_id=site_id, streams=streams or [], reason=reason
            )
        )


class FleetService:
    """Reconciles the whole fleet: now, or on a schedule."""

    def __init__(self, workflows: ReplicationWorkflows, schedules: FleetSchedules) -> None:
        self._workflows = workflows
        self._schedules = schedules

    @staticmethod
    def _check(every: timedelta, jitter: timedelta, concurrency: int) -> None:
        if every < timedelta(seconds=1):
            raise InvalidInput("--every must be at least 1s (e.g. 1h, 15m)")
        if jitter < timedelta() or jitter >= every:
            raise InvalidInput("--jitter must be at least 0 and shorter than --every")
        if not 1 <= concurrency <= 200:
            raise InvalidInput("--concurrency must be 1 to 200 sites at a time")

    async def schedule(self, every: timedelta, jitter: timedelta, concurrency: int) -> None:
        """Create or change the schedule (a pass every `every`, started up to `jitter` late)."""
        self._check(every, jitter, concurrency)
        await self._schedules.ensure(every, jitter, concurrency)

    async def describe(self) -> FleetScheduleView | None:
        return await self._schedules.describe()

    async def reconcile_now(self, concurrency: int) -> replication_pb2.ReconcileFleetResult:
        """Run one pass now and wait for it (attaches to a pass already running)."""
        self._check(timedelta(hours=1), timedelta(), concurrency)
        return await self._workflows.reconcile_fleet(
            replication_pb2.ReconcileFleetInput(concurrency=concurrency)
        )
