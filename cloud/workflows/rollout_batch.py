"""RolloutSiteBatch: one child of RolloutStoreFleet installs on (or rolls back) at most
`batch_size` sites of one step, so no single history grows with the ring.

Workflow room: deterministic. Its id is the parent's id plus the step and the batch
(`rollout-store-fleet/<ring>/step-1/batch-0`), so a parent replayed after a cloud restart finds
its children instead of starting them again. A failed install is signalled to the parent as
soon as it is known (`ReportRolloutSite`), so the parent halts as soon as failures pass its
threshold; it then signals `StopRolloutBatch` and no further install starts here (installs
already directed finish, so the parent knows every site it must roll back). Rollbacks are never
stopped.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from ameide_core_proto.process.commerce.v1 import rollout_pb2
    from cloud.activities.rollout import RolloutActivities
    from cloud.activities.rollout_messages import (
        FAILED,
        INSTALLED,
        OFFLINE,
        ROLLED_BACK,
        SKIPPED,
        InstallSiteBundle,
        RollBackSiteBundle,
        SiteOutcome,
    )
    from cloud.workflows.rollout_retries import (
        SITE_HEARTBEAT_TIMEOUT,
        SITE_RETRY,
        site_timeout,
    )

State = rollout_pb2.SiteRolloutState
REPORT_SIGNAL = "ReportRolloutSite"
_STATES = {
    INSTALLED: State.SITE_ROLLOUT_STATE_INSTALLED,
    OFFLINE: State.SITE_ROLLOUT_STATE_OFFLINE,
    ROLLED_BACK: State.SITE_ROLLOUT_STATE_ROLLED_BACK,
    SKIPPED: State.SITE_ROLLOUT_STATE_SKIPPED,
}


def site_report(outcome: SiteOutcome, batch: str) -> rollout_pb2.RolloutSiteReport:
    """The parent's view of one site's install or rollback outcome."""
    state = _STATES.get(outcome.state, State.SITE_ROLLOUT_STATE_FAILED)
    return rollout_pb2.RolloutSiteReport(
        site_id=outcome.site_id,
        state=state,
        reason=outcome.reason,
        previous_bundle_id=outcome.previous_bundle_id,
        bundle_installed=outcome.state == INSTALLED,
        batch=batch,
    )


@workflow.defn(name="RolloutSiteBatch")
class RolloutSiteBatchWorkflow:
    """Install on (or roll back) one batch of a rollout's sites."""

    def __init__(self) -> None:
        self._stopped = ""

    @workflow.signal(name="StopRolloutBatch")
    def stop_rollout_batch(self, request: rollout_pb2.StopRolloutBatch) -> None:
        self._stopped = request.reason or "the rollout halted"

    @workflow.run
    async def run(
        self, input: rollout_pb2.RolloutSiteBatchInput
    ) -> rollout_pb2.RolloutSiteBatchResult:
        gate = asyncio.Semaphore(max(1, input.concurrency))
        timeout = site_timeout(input.site_timeout.ToTimedelta())
        parent = workflow.info().parent

        async def one(site: rollout_pb2.RolloutBatchSite) -> rollout_pb2.RolloutSiteReport:
            async with gate:
                if self._stopped and not input.roll_back:
                    return rollout_pb2.RolloutSiteReport(
                        site_id=site.site_id,
                        state=State.SITE_ROLLOUT_STATE_NOT_REACHED,
                        reason=f"not installed: {self._stopped}",
                        batch=input.batch,
                    )
                report = site_report(await self._direct(input, site, timeout), input.batch)
            if parent is not None and report.state == State.SITE_ROLLOUT_STATE_FAILED:
                # The parent counts a failure at once (it may halt on it); the result repeats
                # every report, and the parent applies both.
                # A parent gone (terminated) reads nothing more: the result is what is left.
                with contextlib.suppress(ApplicationError):
                    await workflow.get_external_workflow_handle(parent.workflow_id).signal(
                        REPORT_SIGNAL, report
                    )
            return report

        reports = await asyncio.gather(*(one(s) for s in input.sites))
        return rollout_pb2.RolloutSiteBatchResult(sites=reports)

    async def _direct(
        self,
        input: rollout_pb2.RolloutSiteBatchInput,
        site: rollout_pb2.RolloutBatchSite,
        timeout: timedelta,
    ) -> SiteOutcome:
        try:
            if input.roll_back:
                return await workflow.execute_activity_method(
                    RolloutActivities.roll_back_site_bundle,
                    RollBackSiteBundle(
                        site_id=site.site_id, bundle_id=input.bundle_id,
                        restore_bundle_id=site.restore_bundle_id, ring=input.ring,
                    ),
                    start_to_close_timeout=timeout,
                    heartbeat_timeout=SITE_HEARTBEAT_TIMEOUT,
                    retry_policy=SITE_RETRY,
                )  # fmt: skip
            return await workflow.execute_activity_method(
                RolloutActivities.install_site_bundle,
                InstallSiteBundle(
                    site_id=site.site_id, bundle_id=input.bundle_id, sha256=input.sha256,
                    size=input.size, ring=input.ring, step=input.step,
                ),
                start_to_close_timeout=timeout,
                heartbeat_timeout=SITE_HEARTBEAT_TIMEOUT,
                retry_policy=SITE_RETRY,
            )  # fmt: skip
        except ActivityError as err:
            what = "rollback failed" if input.roll_back else "install could not be directed"
            return SiteOutcome(site.site_id, FAILED, f"{what}: {err.cause}")
