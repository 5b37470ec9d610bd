"""VerifyDomainClaim: check a claim's DNS on a bounded backoff until it verifies or its
deadline passes; a Recheck signal checks at once; a query shows conditions and next check.

Workflow room: deterministic. It imports envelopes, pure helpers and activity references
only; every DNS question and store write is an activity.

Patching convention: a change that alters the commands this workflow emits is wrapped in
`if workflow.patched("<yyyy-mm>-<what>")` so recorded histories still replay.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from ameide_core_proto.process.commerce.v1 import (
        conditions_pb2,
        domains_pb2,
        facts_pb2,
    )
    from cloud.activities.domain_messages import (
        CheckDomainClaim,
        DomainCheckOutcome,
        FailDomainClaim,
        RecordDomainVerified,
    )
    from cloud.activities.domains import (
        CLAIM_NO_LONGER_PENDING,
        UNKNOWN_DOMAIN_CLAIM,
        DomainClaimActivities,
    )
    from cloud.domains.records import CLAIM_PENDING, ConditionRecord
    from cloud.workflows.domain_schedule import DEFAULT_DEADLINE_SECONDS, next_check_at
    from shared.timestamps import to_timestamp

_STATUS = {
    "True": conditions_pb2.CONDITION_STATUS_TRUE,
    "False": conditions_pb2.CONDITION_STATUS_FALSE,
    "Unknown": conditions_pb2.CONDITION_STATUS_UNKNOWN,
}
_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=[UNKNOWN_DOMAIN_CLAIM, CLAIM_NO_LONGER_PENDING],
)
# Each DNS question is bounded by the resolver's lifetime; this covers three and a write.
_CHECK_TIMEOUT = timedelta(seconds=60)
_STORE_TIMEOUT = timedelta(seconds=30)
# Since 2026-11: the check (DNS questions and one store write) and the verified or failed end
# (store writes) run as local activities inside the workflow task: no task dispatch for the
# server to lose, and two workflow tasks fewer per step.
_LOCAL_STEPS = "2026-11-local-claim-steps"


def _condition_pb(record: ConditionRecord) -> conditions_pb2.Condition:
    condition = conditions_pb2.Condition(
        type=record.type,
        status=_STATUS.get(record.status, conditions_pb2.CONDITION_STATUS_UNKNOWN),
        reason=record.reason,
        message=record.message,
    )
    if record.last_transition_time is not None:
        condition.last_transition_time.CopyFrom(to_timestamp(record.last_transition_time))
    return condition


@workflow.defn(name="VerifyDomainClaim")
class VerifyDomainClaimWorkflow:
    """Proves a tenant controls a hostname through its TXT challenge and routing records."""

    def __init__(self) -> None:
        self._status = domains_pb2.DomainClaimStatus()
        self._recheck_by = ""
        self._local = False

    @workflow.run
    async def run(
        self, input: domains_pb2.VerifyDomainClaimInput
    ) -> domains_pb2.VerifyDomainClaimResult:
        try:
            return await self._verify(input)
        finally:
            self._status.done = True
            self._status.ClearField("next_check_at")

    async def _verify(
        self, input: domains_pb2.VerifyDomainClaimInput
    ) -> domains_pb2.VerifyDomainClaimResult:
        started = workflow.now()
        deadline = started + timedelta(seconds=input.deadline_seconds or DEFAULT_DEADLINE_SECONDS)
        intervals = list(input.check_intervals_seconds)
        self._status.hostname = input.hostname
        self._status.claim_id = input.claim_id
        self._status.deadline.CopyFrom(to_timestamp(deadline))
        trigger = "schedule"
        self._local = workflow.patched(_LOCAL_STEPS)
        while True:
            self._recheck_by = ""
            checks = self._status.checks + 1
            next_at = next_check_at(workflow.now(), deadline, intervals, checks)
            check = CheckDomainClaim(
                claim_id=input.claim_id, next_check_at=next_at, trigger=trigger
            )
            if self._local:
                outcome = await workflow.execute_local_activity_method(
                    DomainClaimActivities.check_domain_claim,
                    check,
                    start_to_close_timeout=_CHECK_TIMEOUT,
                    retry_policy=_RETRY,
                )
            else:
                outcome = await workflow.execute_activity_method(
                    DomainClaimActivities.check_domain_claim,
                    check,
                    start_to_close_timeout=_CHECK_TIMEOUT,
                    retry_policy=_RETRY,
                )
            self._status.checks = checks
            self._set_conditions(outcome)
            if outcome.claim_state != CLAIM_PENDING:
                # Superseded by an override, or released: nothing left to verify.
                return self._result(input, verified=False)
            if outcome.verified:
                return await self._verified(input, outcome)
            if next_at is None:
                return await self._give_up(input, outcome)
            self._status.next_check_at.CopyFrom(to_timestamp(next_at))
            try:
                await workflow.wait_condition(
                    lambda: self._recheck_by != "", timeout=next_at - workflow.now()
                )
                trigger = f"recheck by {self._recheck_by}"
            except TimeoutError:
                trigger = "schedule"

    async def _verified(
        self, input: domains_pb2.VerifyDomainClaimInput, outcome: DomainCheckOutcome
    ) -> domains_pb2.VerifyDomainClaimResult:
        info = workflow.info()
        verified_at = workflow.now()
        fact = facts_pb2.ProcessFact(
            fact_id=f"{info.workflow_id}/{input.claim_id}/DomainVerified",
            type="DomainVerified",
            subject=f"domain/{input.hostname}",
            occurred_at=to_timestamp(verified_at),
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            domain_verified=facts_pb2.DomainVerified(
                tenant_id=input.tenant_id,
                hostname=input.hostname,
                claim_id=input.claim_id,
                storefront_id=input.storefront_id,
            ),
        )
        record = RecordDomainVerified(
            claim_id=input.claim_id, fact=fact.SerializeToString(deterministic=True)
        )
        if self._local:
            await workflow.execute_local_activity_method(
                DomainClaimActivities.record_domain_verified,
                record,
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_RETRY,
            )
        else:
            await workflow.execute_activity_method(
                DomainClaimActivities.record_domain_verified,
                record,
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_RETRY,
            )
        self._status.verified = True
        result = self._result(input, verified=True)
        result.verified_at.CopyFrom(to_timestamp(verified_at))
        return result

    async def _give_up(
        self, input: domains_pb2.VerifyDomainClaimInput, outcome: DomainCheckOutcome
    ) -> domains_pb2.VerifyDomainClaimResult:
        failed = FailDomainClaim(
            claim_id=input.claim_id,
            reason="the records were not all correct by the deadline",
            conditions=outcome.conditions,
        )
        if self._local:
            await workflow.execute_local_activity_method(
                DomainClaimActivities.fail_domain_claim,
                failed,
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_RETRY,
            )
        else:
            await workflow.execute_activity_method(
                DomainClaimActivities.fail_domain_claim,
                failed,
                start_to_close_timeout=_STORE_TIMEOUT,
                retry_policy=_RETRY,
            )
        return self._result(input, verified=False)

    def _set_conditions(self, outcome: DomainCheckOutcome) -> None:
        del self._status.conditions[:]
        self._status.conditions.extend(_condition_pb(c) for c in outcome.conditions)

    def _result(
        self, input: domains_pb2.VerifyDomainClaimInput, *, verified: bool
    ) -> domains_pb2.VerifyDomainClaimResult:
        return domains_pb2.VerifyDomainClaimResult(
            hostname=input.hostname, verified=verified, conditions=self._status.conditions
        )

    @workflow.signal(name="Recheck")
    def recheck(self, request: domains_pb2.RecheckDomainClaimRequest) -> None:
        """Check DNS now instead of at the next scheduled time."""
        self._recheck_by = request.requested_by or "someone"

    @workflow.query(name="GetDomainClaimStatus")
    def get_domain_claim_status(
        self, request: domains_pb2.GetDomainClaimStatusRequest
    ) -> domains_pb2.DomainClaimStatus:
        """Conditions of the last check, and when the next one is."""
        return self._status
