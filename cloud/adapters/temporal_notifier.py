"""Carries gateway events into Temporal: enrollment signals and async activity completion.

Adapter room: the gateway's only contact with Temporal; maps Temporal RPC errors to logs
(a finished workflow or a timed-out activity is not the agent's fault).
"""

from __future__ import annotations

import logging

from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from ameide_core_proto.process.commerce.v1 import edge_pb2, store_site_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import StoreSiteWorkflowServiceClient
from cloud.activities.command_outcomes import command_failure

logger = logging.getLogger(__name__)


class TemporalNotifier:
    """`WorkflowNotifier` backed by a Temporal client."""

    def __init__(self, client: Client) -> None:
        self._client = client
        self._sites = StoreSiteWorkflowServiceClient(client)

    async def enrollment_completed(
        self, workflow_id: str, event: store_site_pb2.EnrollmentCompleted
    ) -> None:
        handle = self._sites.get_provision_store_site_handle(workflow_id)
        try:
            await handle.notify_enrollment_completed(event)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            logger.warning("workflow %s is no longer running; enrollment noted only", workflow_id)

    async def command_finished(self, task_token: bytes, result: edge_pb2.CommandResult) -> None:
        handle = self._client.get_async_activity_handle(task_token=task_token)
        failure = command_failure(result)
        try:
            if failure is None:
                await handle.complete(result)
            else:
                await handle.fail(failure)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            logger.warning(
                "command %s finished after its activity closed (timed out or retried)",
                result.command_id,
            )
