"""Starts and follows ProvisionStoreSite runs in Temporal for the provisioning service.

Adapter room: the one place the ops services reach Temporal. Starts with the site's search
attributes and its input in the memo (readable without a workflow task), waits for steps with
the WaitForProvisionStep update and reads a closed run's status with the status query.
"""

from __future__ import annotations

import logging

from google.protobuf import json_format
from temporalio.client import Client
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.service import RPCError, RPCStatusCode

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    ProvisionStoreSiteHandle,
    StoreSiteWorkflowServiceClient,
)
from cloud.temporal.search_attributes import SALES_CHANNEL_ID, SITE_ID

__all__ = ["TemporalProvisionRun", "TemporalProvisioning"]

logger = logging.getLogger(__name__)

_MEMO_INPUT = "input"


class TemporalProvisionRun:
    """A ProvisionStoreSite run (`ProvisionRun`) behind its typed Temporal handle."""

    def __init__(
        self, handle: ProvisionStoreSiteHandle, started_with: store_site_pb2.ProvisionStoreSiteInput
    ) -> None:
        self.handle = handle
        self._started_with = started_with

    @property
    def id(self) -> str:
        return self.handle.id

    @property
    def started_with(self) -> store_site_pb2.ProvisionStoreSiteInput:
        return self._started_with

    async def wait_for_step(
        self, step: store_site_pb2.ProvisionStep
    ) -> store_site_pb2.ProvisionStoreSiteStatus:
        try:
            return await self.handle.wait_for_provision_step(
                store_site_pb2.WaitForProvisionStepRequest(step=step)
            )
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            # The run closed before the update arrived: its last status is still queryable.
            logger.debug("run %s already closed (%s); reading its status", self.id, exc)
            return await self.handle.get_provision_status()

    async def result(self) -> store_site_pb2.ProvisionStoreSiteResult:
        return await self.handle.result()


class TemporalProvisioning:
    """`ProvisioningWorkflows` over a Temporal client."""

    def __init__(self, client: Client) -> None:
        self._sites = StoreSiteWorkflowServiceClient(client)

    async def start(self, request: store_site_pb2.ProvisionStoreSiteInput) -> TemporalProvisionRun:
        """Start the site's run, or attach to the one already going (its input may differ)."""
        handle = await self._sites.start_provision_store_site(
            request,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            memo={
                _MEMO_INPUT: json_format.MessageToDict(request, preserving_proto_field_name=True)
            },
            search_attributes=TypedSearchAttributes(
                [
                    SearchAttributePair(SITE_ID, request.site_id),
                    SearchAttributePair(SALES_CHANNEL_ID, request.sales_channel_id),
                ]
            ),
        )
        described = await handle.raw.describe()
        started_with = store_site_pb2.ProvisionStoreSiteInput()
        json_format.ParseDict(await described.memo_value(_MEMO_INPUT, default={}), started_with)
        return TemporalProvisionRun(handle, started_with)
