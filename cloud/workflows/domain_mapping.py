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

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

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
        OrderCertificate,
        PreflightMapping,
        RecordMappingFact,
        ReleaseHostname,
        RemoveCertificates,
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


def _stopped_by(error: ActivityError) -> ApplicationError | None:
    cause = error.cause
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
        except ActivityError as error:
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
        info = workflow.info()
        preflight = await workflow.execute_activity_method(
            DomainMappingActivities.preflight_domain_mapping,
            PreflightMapping(input.tenant_id, input.hostname, input.storefront_id),
            start_to_close_timeout=_STEP_TIMEOUT,
            retry_policy=_GATEWAY_RETRY,
        )
        result.conditions.extend(_from_record(c) for c in preflight.conditions)
        if not preflight.may_order:
            result.conditions.append(
                _condition(
                    "Serving", "False", "CAABlocked", "no certificate ordered: see CAABlocked"
                )
            )
            return result
        order_key = f"{info.workflow_id}/{info.run_id}"
        issued = await workflow.execute_activity_method(
            DomainMappingActivities.order_domain_certificate,
            OrderCertificate(
                order_key, input.tenant_id, input.hostname, preflight.challenge_method
            ),
            start_to_close_timeout=_ORDER_TIMEOUT,
            retry_policy=_ACME_RETRY,
        )
        await workflow.execute_activity_method(
            DomainMappingActivities.wire_domain_gateway,
            WireGateway(order_key, preflight.upstream_url),
            start_to_close_timeout=_STEP_TIMEOUT,
            retry_policy=_GATEWAY_RETRY,
        )
        serving = await workflow.execute_activity_method(
            DomainMappingActivities.verify_domain_serving,
            VerifyServing(order_key, input.hostname, issued.serial_hex),
            start_to_close_timeout=_STEP_TIMEOUT,
            retry_policy=_VERIFY_RETRY,
        )
        fact = facts_pb2.ProcessFact(
            fact_id=f"{info.workflow_id}/{info.run_id}/DomainMappingProvisioned",
            type="DomainMappingProvisioned",
            subject=f"domain/{input.hostname}",
            occurred_at=to_timestamp(workflow.now()),
            workflow_id=info.workflow_id,
            run_id=info.run_id,
            domain_mapping_provisioned=facts_pb2.DomainMappingProvisioned(
                tenant_id=input.tenant_id,
                hostname=input.hostname,
                storefront_id=input.storefront_id,
                certificate_serial=issued.serial_hex,
                certificate_not_after=to_timestamp(issued.not_after),
            ),
        )
        await workflow.execute_activity_method(
            DomainMappingActivities.record_domain_mapping_fact,
            RecordMappingFact(fact.SerializeToString(deterministic=True)),
            start_to_close_timeout=_STEP_TIMEOUT,
            retry_policy=_STORE_RETRY,
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
        return result


@workflow.defn(name="RevokeDomainMapping")
class RevokeDomainMappingWorkflow:
    """Route and certificate out of the gateway, certificates removed, hostname in cooldown."""

    @workflow.run
    async def run(
        self, input: domains_pb2.RevokeDomainMappingInput
    ) -> domains_pb2.RevokeDomainMappingResult:
        info = workflow.info()
        actor = input.requested_by or "revoke-domain-mapping"
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
