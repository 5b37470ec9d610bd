"""Provisioning a store site as ops do it: refuse bad input up front, start (or attach to) the
site's workflow, follow its steps, and hand out the enrollment line.

Service room: the rules live in `cloud.validation` (shared with the workflow's activities);
the store, the compatibility policy and the workflow come in as ports. Waiting is a Temporal
update answered by the workflow when the step is reached, never a polling loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from cloud.compat import CompatibilityPolicy
from cloud.ports import ChannelsPort
from cloud.services.enrollment import Enrollment, EnrollmentIssuer
from cloud.services.ports import ProvisioningWorkflows, ProvisionRun
from cloud.trading_calendar import check_calendar
from cloud.validation import validate_provision_request
from shared.errors import InvalidInput, NotFound
from shared.timestamps import from_timestamp

__all__ = ["ProvisioningService"]

logger = logging.getLogger(__name__)

Step = store_site_pb2.ProvisionStep
# The steps a run passes through in order; FAILED ends it from any of them.
_PROGRESS = (
    Step.PROVISION_STEP_ISSUING_TOKEN,
    Step.PROVISION_STEP_AWAITING_ENROLLMENT,
    Step.PROVISION_STEP_CONFIGURING,
    Step.PROVISION_STEP_READY,
)


class ProvisioningService:
    """Starts provisioning runs and follows them."""

    def __init__(
        self,
        channels: ChannelsPort,
        compatibility: CompatibilityPolicy,
        workflows: ProvisioningWorkflows,
        enrollments: EnrollmentIssuer,
    ) -> None:
        self._channels = channels
        self._compat = compatibility
        self._workflows = workflows
        self._enrollments = enrollments

    def check_request(self, request: store_site_pb2.ProvisionStoreSiteInput) -> None:
        """Refuse bad input before anything starts, with the same rules the workflow applies."""
        validate_provision_request(
            request.site_id, request.sales_channel_id, request.name, request.timezone
        )
        self._compat.check_agent(request.agent_version)
        if request.HasField("trading_calendar"):
            check_calendar(request.trading_calendar)
        if self._channels.get(request.sales_channel_id) is None:
            raise NotFound(
                f"sales channel {request.sales_channel_id!r} does not exist; create it with "
                "`commerce-cloud channels create` first"
            )

    async def start(self, request: store_site_pb2.ProvisionStoreSiteInput) -> ProvisionRun:
        """Start ProvisionStoreSite, or attach to the run already going for this site.

        Raises `InvalidInput` when that run was started with other inputs.
        """
        await asyncio.to_thread(self.check_request, request)
        run = await self._workflows.start(request)
        started_with = run.started_with
        if started_with != request:
            raise InvalidInput(
                f"site {request.site_id} is already being provisioned with other inputs "
                f"(channel {started_with.sales_channel_id}, name {started_with.name!r}, "
                f"timezone {started_with.timezone}, agent {started_with.agent_version}); "
                "wait for it to finish or use the same values"
            )
        return run

    async def wait_for_step(
        self,
        run: ProvisionRun,
        step: store_site_pb2.ProvisionStep,
        on_status: Callable[[store_site_pb2.ProvisionStoreSiteStatus], None] | None = None,
    ) -> store_site_pb2.ProvisionStoreSiteStatus:
        """The status once `run` reached `step` or ended; `on_status` sees each step passed.

        Without `on_status` this is one update; with it, one update per step on the way, so a
        progress display shows each step as the workflow enters it.
        """
        targets = [s for s in _PROGRESS if s < step] if on_status is not None else []
        for target in [*targets, step]:
            status = await run.wait_for_step(target)
            if on_status is not None:
                on_status(status)
            if status.step >= step or status.step == Step.PROVISION_STEP_FAILED:
                return status
        return status

    async def enrollment(
        self, status: store_site_pb2.ProvisionStoreSiteStatus
    ) -> Enrollment | None:
        """The enrollment line of a run waiting for its agent, else None.

        Reads the token secret and the CA from disk, so it runs in a worker thread.
        """
        if status.step != Step.PROVISION_STEP_AWAITING_ENROLLMENT or not status.bootstrap_token_id:
            return None
        return await asyncio.to_thread(
            self._enrollments.enrollment,
            status.site_id,
            status.bootstrap_token_id,
            from_timestamp(status.bootstrap_token_expires_at),
        )
