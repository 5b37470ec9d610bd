"""ProvisionStoreSite: validate, issue a bootstrap token, await enrollment, configure, ready.

Workflow room: deterministic. It imports envelopes, pure helpers and activity references
only; every side effect is an activity.

Patching convention: a change that alters the commands this workflow emits is wrapped in
`if workflow.patched("<yyyy-mm>-<what>")` so histories recorded before it still replay;
once no open workflow predates it, `workflow.deprecate_patch` replaces the branch.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from google.protobuf.timestamp_pb2 import Timestamp

    from ameide_core_proto.process.commerce.v1 import (
        conditions_pb2,
        edge_pb2,
        facts_pb2,
        store_site_pb2,
    )
    from cloud.activities.command_outcomes import SITE_COMMAND_FAILED
    from cloud.activities.commands import SiteCommandActivities
    from cloud.activities.messages import (
        ConditionRecord,
        ExpireProvisioning,
        IssueBootstrapToken,
        PreparedStoreSite,
        PrepareStoreSite,
        RecordStoreSiteReady,
        SendSiteCommand,
        UpdateSiteConditions,
    )
    from cloud.activities.site_config import BuildSiteConfig, SiteConfigActivities
    from cloud.activities.store_site import StoreSiteActivities
    from cloud.workflows.bindings import derive_replication_bindings
    from shared.timestamps import from_timestamp, to_timestamp

Step = store_site_pb2.ProvisionStep
_TRUE = conditions_pb2.CONDITION_STATUS_TRUE
_FALSE = conditions_pb2.CONDITION_STATUS_FALSE

_STORE_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=[
        "InvalidSiteRequest",
        "UnknownSalesChannel",
        "SiteConflict",
        "SiteRevoked",
    ],
)
_STORE_TIMEOUT = timedelta(seconds=30)
_COMMAND_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=[SITE_COMMAND_FAILED],
)
CONFIG_GENERATION = 1


@workflow.defn(name="ProvisionStoreSite")
class ProvisionStoreSiteWorkflow:
    """Brings one store site from nothing to an enrolled, configured, ready site."""

    def __init__(self) -> None:
        self._input = store_site_pb2.ProvisionStoreSiteInput()
        self._step: store_site_pb2.ProvisionStep = Step.PROVISION_STEP_VALIDATING
        self._conditions: dict[str, conditions_pb2.Condition] = {}
        self._token_id = ""
        self._token_expires_at: Timestamp | None = None
        self._enrollment: store_site_pb2.EnrollmentCompleted | None = None
        # Set when the run is over, however it ended, so waiting updates answer.
        self._ended = False

    @workflow.run
    async def run(
        self, input: store_site_pb2.ProvisionStoreSiteInput
    ) -> store_site_pb2.ProvisionStoreSiteResult:
        self._input = input
        try:
            return await self._provision(input)
        finally:
            self._ended = True

    async def _provision(
        self, input: store_site_pb2.ProvisionStoreSiteInput
    ) -> store_site_pb2.ProvisionStoreSiteResult:
        info = workflow.info()
        try:
            prepared = await workflow.execute_activity_method(
                StoreSiteActivities.prepare_store_site,
                PrepareStoreSite(
                    site_id=input.site_id,
                    sales_channel_id=input.sales_channel_id,
                    name=input.name,
                    timezone=input.timezone,
                    agent_version=input.agent_version,
                    workflow_id=info.workflow_id,
                ),
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_STORE_RETRY,
            )
        except ActivityError as err:
            # A refused request fails the workflow with the refusal itself, not its wrapper.
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.non_retryable:
                self._step = Step.PROVISION_STEP_FAILED
                raise ApplicationError(cause.message, type=cause.type, non_retryable=True) from err
            raise
        bindings = derive_replication_bindings(
            input.site_id, input.sales_channel_id, prepared.channel_streams
        )
        if prepared.already_ready:
            return self._existing_result(prepared, bindings)

        self._step = Step.PROVISION_STEP_ISSUING_TOKEN
        token_id = "t" + workflow.uuid4().hex[:20]
        issued = await workflow.execute_activity_method(
            StoreSiteActivities.issue_bootstrap_token,
            IssueBootstrapToken(
                site_id=input.site_id, token_id=token_id, workflow_id=info.workflow_id
            ),
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )
        self._token_id = issued.token_id
        self._token_expires_at = to_timestamp(issued.expires_at)
        self._step = Step.PROVISION_STEP_AWAITING_ENROLLMENT
        self._set(
            "Enrolled",
            _FALSE,
            "AwaitingEnrollment",
            "waiting for the store agent to enroll with its bootstrap token",
        )
        await self._persist("provisioning")

        await self._await_enrollment(prepared)
        assert self._enrollment is not None
        self._set(
            "Enrolled",
            _TRUE,
            "CertificateIssued",
            f"agent enrolled with certificate {self._enrollment.certificate_serial}",
        )

        self._step = Step.PROVISION_STEP_CONFIGURING
        if workflow.patched("2026-11-site-config-with-policies"):
            # The cloud's one builder: the overrides in force, at the site's next generation.
            config = await workflow.execute_activity_method(
                SiteConfigActivities.build_site_config,
                BuildSiteConfig(site_id=input.site_id),
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_STORE_RETRY,
            )
        else:
            config = store_site_pb2.SiteConfig(
                site_id=input.site_id,
                sales_channel_id=input.sales_channel_id,
                name=input.name,
                timezone=input.timezone,
                bindings=bindings,
                generation=CONFIG_GENERATION,
            )
        if input.HasField("trading_calendar"):
            config.trading_calendar.CopyFrom(input.trading_calendar)
        self._set("Configured", _FALSE, "ConfigPushed", "site configuration sent to the agent")
        await self._persist("provisioning")
        await self._apply_config(config, prepared)
        self._set(
            "Configured",
            _TRUE,
            "AgentAcknowledged",
            f"agent applied configuration generation {config.generation}",
        )

        ready_at = workflow.now()
        fact_id = f"{info.workflow_id}/StoreSiteReady"
        fact = facts_pb2.ProcessFact(
            fact_id=fact_id,
            type="StoreSiteReady",
            subject=f"site/{input.site_id}",
            occurred_at=to_timestamp(ready_at),
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            store_site_ready=facts_pb2.StoreSiteReady(
                site_id=input.site_id,
                sales_channel_id=input.sales_channel_id,
                certificate_serial=self._enrollment.certificate_serial,
                config_generation=config.generation,
            ),
        )
        self._set("Ready", _TRUE, "StoreSiteReady", "the store site is provisioned and configured")
        await workflow.execute_activity_method(
            StoreSiteActivities.record_store_site_ready,
            RecordStoreSiteReady(
                site_id=input.site_id,
                certificate_serial=self._enrollment.certificate_serial,
                config_generation=config.generation,
                fact=fact.SerializeToString(deterministic=True),
                conditions=self._condition_records(),
                trading_calendar=(
                    input.trading_calendar.SerializeToString(deterministic=True)
                    if input.HasField("trading_calendar")
                    else b""
                ),
            ),
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )
        self._step = Step.PROVISION_STEP_READY
        return store_site_pb2.ProvisionStoreSiteResult(
            site_id=input.site_id,
            sales_channel_id=input.sales_channel_id,
            certificate_serial=self._enrollment.certificate_serial,
            bindings=bindings,
            ready_at=to_timestamp(ready_at),
            ready_fact_id=fact_id,
            conditions=list(self._conditions.values()),
        )

    async def _await_enrollment(self, prepared: PreparedStoreSite) -> None:
        timeout = timedelta(seconds=prepared.enrollment_timeout_seconds)
        try:
            await workflow.wait_condition(lambda: self._enrollment is not None, timeout=timeout)
        except TimeoutError:
            self._step = Step.PROVISION_STEP_FAILED
            message = (
                f"site {self._input.site_id} did not enroll within {timeout}; its bootstrap "
                "token was revoked. Run `commerce-cloud sites provision` again for a new token."
            )
            self._set("Ready", _FALSE, "ProvisioningTimedOut", message)
            self._set("ProvisioningTimedOut", _TRUE, "EnrollmentTimeout", message)
            await workflow.execute_activity_method(
                StoreSiteActivities.expire_provisioning,
                ExpireProvisioning(
                    site_id=self._input.site_id, conditions=self._condition_records()
                ),
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_STORE_RETRY,
            )
            raise ApplicationError(
                message, type="ProvisioningTimedOut", non_retryable=True
            ) from None

    async def _apply_config(
        self, config: store_site_pb2.SiteConfig, prepared: PreparedStoreSite
    ) -> edge_pb2.CommandResult:
        command = edge_pb2.Command(apply_site_config=config)
        try:
            return await workflow.execute_activity_method(
                SiteCommandActivities.send_site_command,
                SendSiteCommand(
                    command_id=f"{workflow.info().workflow_id}/apply-site-config/{config.generation}",
                    site_id=config.site_id,
                    kind="apply_site_config",
                    payload=command.SerializeToString(deterministic=True),
                ),
                # The command timeout bounds every delivery together: a failure the agent calls
                # retryable (a locked database, a full disk) is delivered again until it runs out.
                start_to_close_timeout=timedelta(seconds=prepared.command_timeout_seconds),
                schedule_to_close_timeout=timedelta(seconds=prepared.command_timeout_seconds),
                retry_policy=_COMMAND_RETRY,
            )
        except ActivityError as err:
            self._step = Step.PROVISION_STEP_FAILED
            cause = err.cause
            if isinstance(cause, ApplicationError) and cause.type == SITE_COMMAND_FAILED:
                # The agent refused for good: its own words end the workflow.
                reason = str(cause.details[0]) if cause.details else "AgentRefused"
                self._set(
                    "Configured",
                    _FALSE,
                    reason,
                    f"the store agent refused its configuration: {cause.message}",
                )
                await self._persist("provisioning")
                raise ApplicationError(
                    f"the store agent of site {config.site_id} refused its configuration "
                    f"({reason}): {cause.message}",
                    reason,
                    type=SITE_COMMAND_FAILED,
                    non_retryable=True,
                ) from err
            self._set(
                "Configured",
                _FALSE,
                "AgentDidNotAcknowledge",
                "the store agent did not apply its configuration; check that "
                "`commerce-edge status` shows it connected, then provision again",
            )
            await self._persist("provisioning")
            raise

    def _existing_result(
        self,
        prepared: PreparedStoreSite,
        bindings: list[store_site_pb2.ReplicationBinding],
    ) -> store_site_pb2.ProvisionStoreSiteResult:
        self._step = Step.PROVISION_STEP_READY
        self._set("Ready", _TRUE, "AlreadyProvisioned", "the store site was already provisioned")
        ready_at = to_timestamp(prepared.ready_at) if prepared.ready_at else None
        return store_site_pb2.ProvisionStoreSiteResult(
            site_id=self._input.site_id,
            sales_channel_id=self._input.sales_channel_id,
            certificate_serial=prepared.certificate_serial,
            bindings=bindings,
            ready_at=ready_at,
            conditions=list(self._conditions.values()),
        )

    @workflow.signal(name="EnrollmentCompleted")
    def notify_enrollment_completed(self, signal: store_site_pb2.EnrollmentCompleted) -> None:
        """The gateway issued the site's certificate."""
        if signal.site_id == self._input.site_id and self._enrollment is None:
            self._enrollment = signal

    @workflow.query(name="GetProvisionStatus")
    def get_provision_status(
        self, request: store_site_pb2.GetProvisionStatusRequest
    ) -> store_site_pb2.ProvisionStoreSiteStatus:
        """Where provisioning stands, for the ops CLI."""
        return self._status()

    @workflow.update(name="WaitForProvisionStep")
    async def wait_for_provision_step(
        self, request: store_site_pb2.WaitForProvisionStepRequest
    ) -> store_site_pb2.ProvisionStoreSiteStatus:
        """Answers once provisioning has reached `request.step` (or gone past it, or ended).

        Adds no commands of its own, so histories recorded before it still replay.
        """
        await workflow.wait_condition(lambda: self._step >= request.step or self._ended)
        return self._status()

    @wait_for_provision_step.validator
    def _check_wait_for_provision_step(
        self, request: store_site_pb2.WaitForProvisionStepRequest
    ) -> None:
        if request.step not in Step.values() or request.step == Step.PROVISION_STEP_UNSPECIFIED:
            raise ValueError(
                f"WaitForProvisionStep needs a provisioning step, got {request.step}; "
                "pass one of PROVISION_STEP_VALIDATING .. PROVISION_STEP_READY"
            )

    def _status(self) -> store_site_pb2.ProvisionStoreSiteStatus:
        return store_site_pb2.ProvisionStoreSiteStatus(
            site_id=self._input.site_id,
            step=self._step,
            conditions=list(self._conditions.values()),
            bootstrap_token_id=self._token_id,
            bootstrap_token_expires_at=self._token_expires_at,
            input=self._input,
        )

    def _set(
        self,
        kind: str,
        status: conditions_pb2.ConditionStatus,
        reason: str,
        message: str,
    ) -> None:
        previous = self._conditions.get(kind)
        changed = previous is None or previous.status != status
        when = (
            to_timestamp(workflow.now())
            if changed or previous is None
            else previous.last_transition_time
        )
        self._conditions[kind] = conditions_pb2.Condition(
            type=kind,
            status=status,
            reason=reason,
            message=message,
            last_transition_time=when,
            observed_generation=CONFIG_GENERATION,
        )

    def _condition_records(self) -> list[ConditionRecord]:
        return [
            ConditionRecord(
                type=c.type,
                status=conditions_pb2.ConditionStatus.Name(c.status).removeprefix(
                    "CONDITION_STATUS_"
                ),
                reason=c.reason,
                message=c.message,
                last_transition_time=from_timestamp(c.last_transition_time),
                observed_generation=c.observed_generation,
            )
            for c in self._conditions.values()
        ]

    async def _persist(self, status: str) -> None:
        await workflow.execute_activity_method(
            StoreSiteActivities.update_site_conditions,
            UpdateSiteConditions(
                site_id=self._input.site_id, status=status, conditions=self._condition_records()
            ),
            start_to_close_timeout=_STORE_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )
