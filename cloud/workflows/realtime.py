"""CompensateOfflineOperation: a store decided an operation offline and the cloud decided
otherwise. Record the fact, tell the store (its health page and POS API show the case), and
keep the case open until an operator resolves it; then tell the store it is closed.

Workflow room: deterministic. Patching convention: as in `cloud.workflows.store_site`.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError

with workflow.unsafe.imports_passed_through():
    from ameide_core_proto.process.commerce.v1 import edge_pb2, facts_pb2, realtime_pb2
    from cloud.activities.commands import SiteCommandActivities
    from cloud.activities.messages import SendSiteCommand
    from cloud.activities.realtime import RealtimeActivities
    from cloud.activities.realtime_messages import CloseCompensationCase, RecordRealtimeFact
    from shared.timestamps import to_timestamp

_STORE_TIMEOUT = timedelta(seconds=30)
_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=["CompensationCaseRefused"],
)
# A store may be offline for days; the notice waits in its command queue meanwhile.
_NOTICE_TIMEOUT = timedelta(days=7)
_NOTICE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=5), maximum_interval=timedelta(minutes=10)
)


@workflow.defn(name="CompensateOfflineOperation")
class CompensateOfflineOperationWorkflow:
    def __init__(self) -> None:
        self._resolution: realtime_pb2.ResolveOfflineOperationRequest | None = None

    @workflow.run
    async def run(
        self, request: realtime_pb2.CompensateOfflineOperationInput
    ) -> realtime_pb2.CompensateOfflineOperationResult:
        rejection = request.rejection
        info = workflow.info()
        fact = facts_pb2.ProcessFact(
            fact_id=f"{info.workflow_id}/OfflineOperationRejected",
            type="OfflineOperationRejected",
            subject=f"site/{rejection.site_id}",
            occurred_at=to_timestamp(workflow.now()),
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            offline_operation_rejected=rejection,
        )
        await workflow.execute_activity_method(
            RealtimeActivities.record_realtime_fact,
            RecordRealtimeFact(fact=fact.SerializeToString(deterministic=True)),
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )
        await self._tell_store(realtime_pb2.CompensationNotice(rejection=rejection), "opened")
        await workflow.wait_condition(lambda: self._resolution is not None)
        assert self._resolution is not None
        closed = await workflow.execute_activity_method(
            RealtimeActivities.close_compensation_case,
            CloseCompensationCase(
                exception_id=request.exception_id,
                resolution=self._resolution.resolution,
                resolved_by=self._resolution.resolved_by,
            ),
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )
        await self._tell_store(
            realtime_pb2.CompensationNotice(
                rejection=rejection, resolved=True, resolution=closed.resolution
            ),
            "resolved",
        )
        return realtime_pb2.CompensateOfflineOperationResult(
            exception_id=request.exception_id,
            resolution=closed.resolution,
            resolved_by=closed.resolved_by,
            fact_id=fact.fact_id,
        )

    async def _tell_store(self, notice: realtime_pb2.CompensationNotice, step: str) -> None:
        """Queue the notice for the store; a store that never answers does not hold the case."""
        info = workflow.info()
        command = edge_pb2.Command(
            command_id=f"{info.workflow_id}/{step}", compensation_notice=notice
        )
        try:
            await workflow.execute_activity_method(
                SiteCommandActivities.send_site_command,
                SendSiteCommand(
                    command_id=command.command_id,
                    site_id=notice.rejection.site_id,
                    kind="compensation_notice",
                    payload=command.SerializeToString(deterministic=True),
                ),
                start_to_close_timeout=_NOTICE_TIMEOUT,
                schedule_to_close_timeout=_NOTICE_TIMEOUT,
                retry_policy=_NOTICE_RETRY,
            )
        except ActivityError as err:
            workflow.logger.warning(
                "store %s was not told about %s (%s): %s",
                notice.rejection.site_id,
                notice.rejection.exception_id,
                step,
                err.cause or err,
            )

    @workflow.signal(name="ResolveOfflineOperation")
    def resolve_offline_operation(
        self, request: realtime_pb2.ResolveOfflineOperationRequest
    ) -> None:
        """An operator resolved the case; the first resolution counts."""
        if self._resolution is None and request.resolution.strip():
            self._resolution = request
