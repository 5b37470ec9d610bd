"""Starts and signals CompensateOfflineOperation: the gateway opens cases, operators resolve.

Adapter room: the one place the real-time side talks to Temporal; a workflow already started
for a case is that case's workflow (starting is idempotent per exception id).
"""

from __future__ import annotations

import logging

from temporalio.client import Client
from temporalio.common import WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError
from temporalio.service import RPCError, RPCStatusCode

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    COMPENSATE_OFFLINE_OPERATION,
    RealtimeWorkflowServiceClient,
)

logger = logging.getLogger(__name__)


def compensation_workflow_id(exception_id: str) -> str:
    return COMPENSATE_OFFLINE_OPERATION.id_template.format(exception_id=exception_id)


class TemporalCompensations:
    """`Compensations` (gateway port) and the operators' resolve, over a Temporal client."""

    def __init__(self, client: Client) -> None:
        self._workflows = RealtimeWorkflowServiceClient(client)

    async def open(self, rejection: realtime_pb2.OfflineOperationRejected) -> None:
        try:
            await self._workflows.start_compensate_offline_operation(
                realtime_pb2.CompensateOfflineOperationInput(
                    exception_id=rejection.exception_id, rejection=rejection
                ),
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            )
            logger.info("compensation workflow of %s started", rejection.exception_id)
        except WorkflowAlreadyStartedError:
            logger.debug("compensation workflow of %s runs already", rejection.exception_id)

    async def resolve(self, exception_id: str, resolution: str, resolved_by: str) -> bool:
        """Signal the case's workflow; False when it has none (the store alone holds it)."""
        handle = self._workflows.get_compensate_offline_operation_handle(
            compensation_workflow_id(exception_id)
        )
        try:
            await handle.resolve_offline_operation(
                realtime_pb2.ResolveOfflineOperationRequest(
                    resolution=resolution, resolved_by=resolved_by
                )
            )
        except RPCError as exc:
            if exc.status == RPCStatusCode.NOT_FOUND:
                return False
            raise
        return True
