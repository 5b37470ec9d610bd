"""ProvisionDomainMapping and RevokeDomainMapping: a verified hostname gets a certificate from
the ACME CA and a route in the storefront gateway; revoking removes both and starts the
hostname's cooldown.

Workflow room: deterministic. It imports envelopes, pure helpers and activity references
only; every ACME, gateway, DNS and store call is an activity.

Crash safety: the certificate order is keyed by this run (`<workflow id>/<run id>`); a worker
killed after the CA finalized the order replays to the same key, and the order activity finds
the issued certificate (or resumes the order by URL) instead of ordering a second one.

Patching convention: a change that alters the commands a workflow emits is wrapped in
`if workflow.patched("<yyyy-mm>-<what>")` so recorded histories still replay.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, WorkflowAlreadyStartedError
from temporalio.workflow import ParentClosePolicy

with workflow.unsafe.imports_passed_through():
    from ameide_core_proto.process.commerce.v1 import conditions_pb2, domains_pb2, facts_pb2
    from cloud.activities.acme_retries import (
        DOMAIN_NOT_MAPPABLE,
        GATEWAY_REJECTED,
        MERCHANT_ACTION_TYPES,
        NOT_CONFIGURED,
    )
    from cloud.activities.domain_mapping import DomainMappingActivities
    from cloud.activities.domain_mapping_messages import (
        CertificateIssued,
        OrderCertificate,
        PlanRenewal,
        PreflightMapping,
        RecordMappingFact,
        ReleaseHostname,
        RemoveCertificates,
        RenewalPlan,
        ServingVerified,
        StartRenewal,
        UnwireGateway,
        VerifyServing,
        WireGateway,
    )
    from cloud.domains.records import ConditionRecord
    from shared.timestamps import to_timestamp

_STATUS = {
    "True": conditions_pb2.CONDITION_STATUS_TRUE,
    "False": conditions_pb2.CONDITION_STATUS_FALSE,
    "Unknown": conditions_pb2.CONDITION_STATUS_UNKNOWN,
}
_STOP_TYPES = [*MERCHANT_ACTION_TYPES, DOMAIN_NOT_MAPPABLE, GATEWAY_REJECTED, NOT_CONFIGURED]
# ACME: transient failures back off up to ten minutes; a rate limit waits for its Retry-After
# (the activity's error carries it); merchant-action failures stop at once.
_ACME_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(minutes=10),
    non_retryable_error_types=_STOP_TYPES,
)
# Gateway: nginx not running heals when it is back; a refused config stops.
_GATEWAY_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=_STOP_TYPES,
)
_VERIFY_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=500),
    backoff_coefficient=1.5,
    maximum_interval=timedelta(seconds=10),
    maximum_attempts=40,
    non_retryable_error_types=_STOP_TYPES,
)
_STORE_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=30))
_ORDER_TIMEOUT = timedelta(minutes=5)
_STEP_TIMEOUT = timedelta(minutes=2)

# Since 2026-11 (`_QUICK_STEPS`): cheap store reads and writes (pre-flight, renewal plan, the
# fact) run as local activities inside the workflow task, which saves the server a task
# dispatch and two workflow tasks each; the steps that wait on the CA, nginx or the outside
# probe heartbeat, so an attempt the server marked started but that never reached a worker (an
# overloaded server can lose one) is retried after `_HEARTBEAT_TIMEOUT`, not after minutes.
_QUICK_STEPS = "2026-11-quick-steps"
# Since `_LOCAL_SERVING` (with `_QUICK_STEPS`): wiring the gateway and the outside check run as
# local activities too, in the workflow task that follows the order, with the fact: one task
# dispatch and one workflow task per step fewer on the way to serving.
_LOCAL_SERVING = "2026-11-local-serving"
# Since `_RENEWAL_BY_ACTIVITY` (with `_QUICK_STEPS`): the renewal workflow is started by a local
# activity instead of as a child, so provisioning ends without a workflow task that only waits
# for the child to start. The renewal was abandoned by its parent anyway.
_RENEWAL_BY_ACTIVITY = "2026-11-renewal-by-activity"
_HEARTBEAT_TIMEOUT = timedelta(seconds=20)
_LOCAL_TIMEOUT = timedelta(seconds=30)
# Wiring waits for a shared nginx test-and-reload; the outside check may also ask the CA for
# renewal info (its own network timeout is 30 s).
_LOCAL_SERVING_TIMEOUT = timedelta(seconds=90)

_Arg = TypeVar("_Arg")
_Out = TypeVar("_Out")


async def _step(
    method: Callable[[Any, _Arg], Awaitable[_Out]],
    arg: _Arg,
    *,
    quick: bool,
    local: bool = False,
    timeout: timedelta = _STEP_TIMEOUT,
    local_timeout: timedelta = _LOCAL_TIMEOUT,
    retry: RetryPolicy,
) -> _Out:
    """One activity: local when `quick` and `local`; heartbeat-checked when `quick` only."""
    if quick and local:
        return await workflow.execute_local_activity_method(
            method, arg, start_to_close_timeout=local_timeout, retry_policy=retry
        )
    return await workflow.execute_activity_method(
        method,
        arg,
        start_to_close_timeout=timeout,
        heartbeat_timeout=_HEARTBEAT_TIMEOUT if quick else None,
        retry_policy=retry,
    )


def _condition(type_: str, status: str, reason: str, message: str) -> conditions_pb2.Condition:
    return conditions_pb2.Condition(
        type=type_,
        status=_STATUS.get(status, conditions_pb2.CONDITION_STATUS_UNKNOWN),
        reason=reason,
        message=message,
        last_transition_time=to_timestamp(workflow.now()),
    )


def _from_record(record: ConditionRecord) -> conditions_pb2.Condition:
    return _condition(record.type, record.status, record.reason, record.message)


def _stopped_by(error: ActivityError | ApplicationError) -> ApplicationError | None:
    # A failed activity arrives as ActivityError(cause=ApplicationError); a failed local
    # activity as the ApplicationError itself.
    cause = error.cause if isinstance(error, ActivityError) else error
    if isinstance(cause, ApplicationError) and cause.type in _STOP_TYPES:
        return cause
    return None


@workflow.defn(name="ProvisionDomainMapping")
class ProvisionDomainMappingWorkflow:
    """CAA pre-flight, ACME order, certificate stored, gateway wired, checked from outside."""

    @workflow.run
    async def run(
        self, input: domains_pb2.ProvisionDomainMappingInput
    ) -> domains_pb2.ProvisionDomainMappingResult:
        result = domains_pb2.ProvisionDomainMappingResult(hostname=input.hostname)
        try:
            return await self._provision(input, result)
        except (ActivityError, ApplicationError) as error:
            stop = _stopped_by(error)
            if stop is None:
                raise
            result.conditions.append(
                _condition("Serving", "False", stop.type or "Failed", stop.message)
            )
            return result

    async def _provision(
        self,
        input: domains_pb2.ProvisionDomainMappingInput,
        result: domains_pb2.ProvisionDomainMappingResult,
    ) -> domains_pb2.ProvisionDomainMappingResult:
        quick = workflow.patched(_QUICK_STEPS)
        preflight = await _step(
            DomainMappingActivities.preflight_domain_mapping,
            PreflightMapping(input.tenant_id, input.hostname, input.storefront_id),
            quick=quick,
            local=True,
            retry=_GATEWAY_RETRY,
        )
        result.conditions.extend(_from_record(c) for c in preflight.conditions)
        if not preflight.may_order:
            result.conditions.append(
                _condition(
                    "Serving", "False", "CAABlocked", "no certificate ordered: see CAABlocked"
                )
            )
            return result
        issued, serving = await _issue_and_serve(
            input.tenant_id,
            input.storefront_id,
            input.hostname,
            preflight.upstream_url,
            preflight.challenge_method,
            renewal=False,
            quick=quick,
        )
        result.certificate_serial = issued.serial_hex
        result.certificate_not_after.CopyFrom(to_timestamp(issued.not_after))
        result.route = f"https://{input.hostname}/ -> {preflight.upstream_url}"
        result.conditions.append(
            _condition(
                "Serving",
                "True",
                "CertificateServed",
                f"https://{input.hostname}/ presents certificate {issued.serial_hex} and the "
                f"storefront answered HTTP {serving.status}",
            )
        )
        result.conditions.append(
            _condition(
                "RenewalScheduled",
                "True",
                "RenewAt",
                f"renew at {serving.renew_at.isoformat()} (ARI window, else 2/3 of the lifetime)",
            )
        )
        if workflow.patched("2026-11-renewal-child"):
            if quick and workflow.patched(_RENEWAL_BY_ACTIVITY):
                await _step(
                    DomainMappingActivities.start_domain_renewal,
                    StartRenewal(input.tenant_id, input.storefront_id, input.hostname),
                    quick=quick,
                    local=True,
                    retry=_STORE_RETRY,
                )
            else:
                await _start_renewal(input)
        return result


async def _issue_and_serve(
    tenant_id: str,
    storefront_id: str,
    hostname: str,
    upstream_url: str,
    challenge_method: str,
    *,
    renewal: bool,
    quick: bool,
) -> tuple[CertificateIssued, ServingVerified]:
    """Order (keyed by this run), wire, check from outside, record the fact."""
    info = workflow.info()
    order_key = f"{info.workflow_id}/{info.run_id}"
    issued = await _step(
        DomainMappingActivities.order_domain_certificate,
        OrderCertificate(order_key, tenant_id, hostname, challenge_method),
        quick=quick,
        timeout=_ORDER_TIMEOUT,
        retry=_ACME_RETRY,
    )
    local_serving = quick and workflow.patched(_LOCAL_SERVING)
    await _step(
        DomainMappingActivities.wire_domain_gateway,
        WireGateway(order_key, upstream_url),
        quick=quick,
        local=local_serving,
        local_timeout=_LOCAL_SERVING_TIMEOUT,
        retry=_GATEWAY_RETRY,
    )
    serving = await _step(
        DomainMappingActivities.verify_domain_serving,
        VerifyServing(order_key, hostname, issued.serial_hex),
        quick=quick,
        local=local_serving,
        local_timeout=_LOCAL_SERVING_TIMEOUT,
        retry=_VERIFY_RETRY,
    )
    fact = facts_pb2.ProcessFact(
        fact_id=f"{info.workflow_id}/{info.run_id}/DomainMappingProvisioned",
        type="DomainMappingProvisioned",
        subject=f"domain/{hostname}",
        occurred_at=to_timestamp(workflow.now()),
        workflow_id=info.workflow_id,
        run_id=info.run_id,
        domain_mapping_provisioned=facts_pb2.DomainMappingProvisioned(
            tenant_id=tenant_id,
            hostname=hostname,
            storefront_id=storefront_id,
            certificate_serial=issued.serial_hex,
            certificate_not_after=to_timestamp(issued.not_after),
            renewal=renewal,
        ),
    )
    await _step(
        DomainMappingActivities.record_domain_mapping_fact,
        RecordMappingFact(fact.SerializeToString(deterministic=True)),
        quick=quick,
        local=True,
        retry=_STORE_RETRY,
    )
    return issued, serving


def _renewal_id(hostname: str) -> str:
    return f"renew-domain-mapping/{hostname}"


async def _start_renewal(input: domains_pb2.ProvisionDomainMappingInput) -> None:
    """Start (or leave running) the mapping's RenewDomainMapping, outliving this run."""
    try:
        await workflow.start_child_workflow(
            "RenewDomainMapping",
            domains_pb2.RenewDomainMappingInput(
                tenant_id=input.tenant_id,
                storefront_id=input.storefront_id,
                hostname=input.hostname,
            ),
            id=_renewal_id(input.hostname),
            result_type=domains_pb2.RenewDomainMappingResult,
            parent_close_policy=ParentClosePolicy.ABANDON,
        )
    except WorkflowAlreadyStartedError:
        workflow.logger.info("renewal of %s already runs", input.hostname)


@workflow.defn(name="RenewDomainMapping")
class RenewDomainMappingWorkflow:
    """Sleeps until the served certificate is due, renews it, continues as new."""

    @workflow.run
    async def run(
        self, input: domains_pb2.RenewDomainMappingInput
    ) -> domains_pb2.RenewDomainMappingResult:
        result = domains_pb2.RenewDomainMappingResult(hostname=input.hostname)
        quick = workflow.patched(_QUICK_STEPS)
        plan = await self._plan(input, quick)
        if not plan.serving:
            return self._gone(result)
        if not input.renew_now and plan.renew_at is not None:
            wait = plan.renew_at - workflow.now()
            if wait > timedelta(0):
                await workflow.sleep(wait)
            plan = await self._plan(input, quick)
            if not plan.serving:
                return self._gone(result)
        try:
            await _issue_and_serve(
                input.tenant_id,
                input.storefront_id,
                input.hostname,
                plan.upstream_url,
                plan.challenge_method,
                renewal=True,
                quick=quick,
            )
        except (ActivityError, ApplicationError) as error:
            stop = _stopped_by(error)
            if stop is None:
                raise
            result.conditions.append(
                _condition("Renewed", "False", stop.type or "Failed", stop.message)
            )
            return result
        workflow.continue_as_new(
            domains_pb2.RenewDomainMappingInput(
                tenant_id=input.tenant_id,
                storefront_id=input.storefront_id,
                hostname=input.hostname,
            )
        )

    async def _plan(self, input: domains_pb2.RenewDomainMappingInput, quick: bool) -> RenewalPlan:
        return await _step(
            DomainMappingActivities.plan_domain_renewal,
            PlanRenewal(input.tenant_id, input.hostname, input.storefront_id),
            quick=quick,
            local=True,
            retry=_STORE_RETRY,
        )

    @staticmethod
    def _gone(
        result: domains_pb2.RenewDomainMappingResult,
    ) -> domains_pb2.RenewDomainMappingResult:
        result.conditions.append(
            _condition("Renewed", "False", "MappingGone", "the hostname is no longer served")
        )
        return result


async def _stop_renewal(hostname: str) -> None:
    """Cancel the mapping's RenewDomainMapping, if one runs."""
    try:
        await workflow.get_external_workflow_handle(_renewal_id(hostname)).cancel()
    except Exception as error:  # none runs (never provisioned, or already ended)
        workflow.logger.info("no renewal of %s to stop: %s", hostname, error)


@workflow.defn(name="RevokeDomainMapping")
class RevokeDomainMappingWorkflow:
    """Route and certificate out of the gateway, certificates removed, hostname in cooldown."""

    @workflow.run
    async def run(
        self, input: domains_pb2.RevokeDomainMappingInput
    ) -> domains_pb2.RevokeDomainMappingResult:
        info = workflow.info()
        actor = input.requested_by or "revoke-domain-mapping"
        if workflow.patched("2026-11-revoke-stops-renewal"):
            await _stop_renewal(input.hostname)
        await workflow.execute_activity_method(
            DomainMappingActivities.unwire_domain_gateway,
            UnwireGateway(input.hostname),
            start_to_close_timeout=_STEP_TIMEOUT,
            retry_policy=_GATEWAY_RETRY,
        )
        removed = await workflow.execute_activity_method(
            DomainMappingActivities.remove_domain_certificates,
            RemoveCertificates(input.hostname, False, actor, input.reason),
            start_to_close_timeout=_STEP_TIMEOUT,
            retry_policy=_ACME_RETRY,
        )
        released = await workflow.execute_activity_method(
            DomainMappingActivities.release_domain_hostname,
            ReleaseHostname(input.tenant_id, input.hostname, actor, input.reason),
            start_to_close_timeout=_STEP_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )
        revoked_at = workflow.now()
        fact = facts_pb2.ProcessFact(
            fact_id=f"{info.workflow_id}/{info.run_id}/DomainMappingRevoked",
            type="DomainMappingRevoked",
            subject=f"domain/{input.hostname}",
            occurred_at=to_timestamp(revoked_at),
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            domain_mapping_revoked=facts_pb2.DomainMappingRevoked(
                tenant_id=input.tenant_id,
                hostname=input.hostname,
                reason=input.reason,
                cooldown_until=to_timestamp(released.cooldown_until),
                revoked_at_ca=removed.revoked_at_ca,
            ),
        )
        await workflow.execute_activity_method(
            DomainMappingActivities.record_domain_mapping_fact,
            RecordMappingFact(fact.SerializeToString(deterministic=True)),
            start_to_close_timeout=_STEP_TIMEOUT,
            retry_policy=_STORE_RETRY,
        )
        return domains_pb2.RevokeDomainMappingResult(
            hostname=input.hostname,
            revoked_at=to_timestamp(revoked_at),
            cooldown_until=to_timestamp(released.cooldown_until),
            conditions=[
                _condition(
                    "Serving",
                    "False",
                    "Revoked",
                    f"route and {len(removed.serials)} certificate(s) removed"
                    + (", revoked at the CA" if removed.revoked_at_ca else ""),
                )
            ],
        )
