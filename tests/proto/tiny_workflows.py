"""A tiny ProvisionStoreSite workflow for the wiring tests.

Its own module because the worker's sandbox re-imports it: it imports nothing but the workflow API
and the messages.
"""

from __future__ import annotations

from temporalio import workflow

from ameide_core_proto.process.commerce.v1 import store_site_pb2


@workflow.defn(name="ProvisionStoreSite")
class TinyProvisionStoreSite:
    """Implements the declaration with the least code: waits for enrollment, then returns."""

    def __init__(self) -> None:
        self._enrolled: store_site_pb2.EnrollmentCompleted | None = None
        self._updates_waiting = 0

    @workflow.run
    async def run(
        self, request: store_site_pb2.ProvisionStoreSiteInput
    ) -> store_site_pb2.ProvisionStoreSiteResult:
        await workflow.wait_condition(lambda: self._enrolled is not None)
        assert self._enrolled is not None
        await workflow.wait_condition(workflow.all_handlers_finished)
        return store_site_pb2.ProvisionStoreSiteResult(
            site_id=request.site_id, certificate_serial=self._enrolled.certificate_serial
        )

    @workflow.signal(name="EnrollmentCompleted")
    def enrollment_completed(self, event: store_site_pb2.EnrollmentCompleted) -> None:
        self._enrolled = event

    @workflow.query(name="GetProvisionStatus")
    def get_provision_status(
        self, request: store_site_pb2.GetProvisionStatusRequest
    ) -> store_site_pb2.ProvisionStoreSiteStatus:
        return store_site_pb2.ProvisionStoreSiteStatus(
            site_id=workflow.info().workflow_id,
            bootstrap_token_id="waiting" if self._enrolled is None else "enrolled",
            # Tells a test that an update is admitted and waiting.
            step=(
                store_site_pb2.PROVISION_STEP_AWAITING_ENROLLMENT
                if self._updates_waiting and self._enrolled is None
                else store_site_pb2.PROVISION_STEP_UNSPECIFIED
            ),
        )

    @workflow.update(name="WaitForProvisionStep")
    async def wait_for_provision_step(
        self, request: store_site_pb2.WaitForProvisionStepRequest
    ) -> store_site_pb2.ProvisionStoreSiteStatus:
        self._updates_waiting += 1
        await workflow.wait_condition(lambda: self._enrolled is not None)
        self._updates_waiting -= 1
        return store_site_pb2.ProvisionStoreSiteStatus(
            site_id=workflow.info().workflow_id, step=request.step, bootstrap_token_id="enrolled"
        )
