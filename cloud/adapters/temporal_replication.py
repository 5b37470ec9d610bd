"""Runs RunDownsync, RunUpsync and RebuildStoreSiteProjection in Temporal for ops.

Adapter room: starts a site's run (or attaches to the one going) with the site's search
attribute, and waits for its result.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)

from ameide_core_proto.process.commerce.v1 import replication_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    ReplicationWorkflowServiceClient,
)
from cloud.temporal.search_attributes import SITE_ID

__all__ = ["ClientSource", "TemporalReplication"]

# A second request for a site while its run goes attaches to that run.
_REUSE = WorkflowIDReusePolicy.ALLOW_DUPLICATE
_CONFLICT = WorkflowIDConflictPolicy.USE_EXISTING


def _site(site_id: str) -> TypedSearchAttributes:
    return TypedSearchAttributes([SearchAttributePair(SITE_ID, site_id)])


ClientSource = Callable[[], Awaitable[Client]]
"""Gives the Temporal client, connecting on first use (so store-only commands need none)."""


class TemporalReplication:
    """`ReplicationWorkflows` over a Temporal client: each call runs one workflow to its end."""

    def __init__(self, client: ClientSource) -> None:
        self._client = client

    async def _runs(self) -> ReplicationWorkflowServiceClient:
        return ReplicationWorkflowServiceClient(await self._client())

    async def downsync(
        self, request: replication_pb2.RunDownsyncInput
    ) -> replication_pb2.RunDownsyncResult:
        handle = await (await self._runs()).start_run_downsync(
            request,
            search_attributes=_site(request.site_id),
            id_reuse_policy=_REUSE,
            id_conflict_policy=_CONFLICT,
        )
        return await handle.result()

    async def upsync(
        self, request: replication_pb2.RunUpsyncInput
    ) -> replication_pb2.RunUpsyncResult:
        handle = await (await self._runs()).start_run_upsync(
            request,
            search_attributes=_site(request.site_id),
            id_reuse_policy=_REUSE,
            id_conflict_policy=_CONFLICT,
        )
        return await handle.result()

    async def rebuild(
        self, request: replication_pb2.RebuildStoreSiteProjectionInput
    ) -> replication_pb2.RebuildStoreSiteProjectionResult:
        handle = await (await self._runs()).start_rebuild_store_site_projection(
            request,
            search_attributes=_site(request.site_id),
            id_reuse_policy=_REUSE,
            id_conflict_policy=_CONFLICT,
        )
        return await handle.result()

    async def reconcile_fleet(
        self, request: replication_pb2.ReconcileFleetInput
    ) -> replication_pb2.ReconcileFleetResult:
        handle = await (await self._runs()).start_reconcile_fleet(
            request, id_reuse_policy=_REUSE, id_conflict_policy=_CONFLICT
        )
        return await handle.result()
