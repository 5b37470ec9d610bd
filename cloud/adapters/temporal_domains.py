"""Starts, signals and stops VerifyDomainClaim runs in Temporal for the domain service.

Adapter room: the one place the domain service reaches Temporal (typed client generated
from workflows.proto). A run for a hostname that is already going is attached to, not
started twice.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.service import RPCError, RPCStatusCode

from ameide_core_proto.process.commerce.v1 import domains_pb2
from ameide_core_proto.process.commerce.v1.workflows_temporal import (
    VERIFY_DOMAIN_CLAIM,
    DomainWorkflowServiceClient,
)
from cloud.workflows.domain_schedule import DEFAULT_DEADLINE_SECONDS

__all__ = ["TemporalDomainRuns", "verify_workflow_id"]

logger = logging.getLogger(__name__)

_BACKSTOP = timedelta(hours=1)


def verify_workflow_id(hostname: str) -> str:
    """The VerifyDomainClaim workflow id of a hostname (the declared id template)."""
    return VERIFY_DOMAIN_CLAIM.id_template.format(hostname=hostname)


class TemporalDomainRuns:
    """`DomainVerificationRuns` over a Temporal client (connected on first use)."""

    def __init__(self, connect: Callable[[], Awaitable[Client]]) -> None:
        self._connect = connect

    async def _client(self) -> DomainWorkflowServiceClient:
        return DomainWorkflowServiceClient(await self._connect())

    async def start(self, request: domains_pb2.VerifyDomainClaimInput) -> str:
        """Start verifying the claim, or attach to the hostname's run going now."""
        client = await self._client()
        # The run's own deadline ends it; the execution timeout is only a backstop past it,
        # so the last check at the deadline always runs.
        deadline = timedelta(seconds=request.deadline_seconds or DEFAULT_DEADLINE_SECONDS)
        handle = await client.start_verify_domain_claim(
            request,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE,
            execution_timeout=deadline + _BACKSTOP,
        )
        return handle.id

    async def recheck(self, hostname: str, requested_by: str) -> None:
        """Signal the hostname's run to check DNS now."""
        client = await self._client()
        handle = client.get_verify_domain_claim_handle(verify_workflow_id(hostname))
        await handle.recheck_domain_claim(
            domains_pb2.RecheckDomainClaimRequest(requested_by=requested_by)
        )

    async def stop(self, hostname: str, reason: str) -> None:
        """End the hostname's run if one is going (an override took the name)."""
        client = await self._client()
        handle = client.get_verify_domain_claim_handle(verify_workflow_id(hostname))
        try:
            described = await handle.raw.describe()
            if described.status == WorkflowExecutionStatus.RUNNING:
                await handle.raw.terminate(reason=reason)
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            logger.debug("no verification run for %s to stop", hostname)

    async def status(self, hostname: str) -> domains_pb2.DomainClaimStatus | None:
        """The run's status query, or None when the hostname has no run."""
        client = await self._client()
        handle = client.get_verify_domain_claim_handle(verify_workflow_id(hostname))
        try:
            return await handle.get_domain_claim_status()
        except RPCError as exc:
            if exc.status != RPCStatusCode.NOT_FOUND:
                raise
            return None
