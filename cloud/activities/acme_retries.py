"""The one place that maps ACME and gateway failures to Temporal retries.

Activity room, helper: pure translation from `cloud.acme_outcomes.ACMEFailure` and
`cloud.domains.gateway.GatewayError` to `ApplicationError`: the error type is the condition
reason, `non_retryable` follows the failure's `retryable`, and a rate limit carries the CA's
Retry-After as the next retry delay.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio.exceptions import ApplicationError

from cloud.acme_outcomes import ACMEFailure, ACMERateLimited
from cloud.domains.gateway import GatewayError

# Error types the workflows stop on (never retried).
MERCHANT_ACTION_TYPES = [
    "CAABlocked",
    "DNSProblem",
    "ChallengeUnauthorized",
    "IdentifierRejected",
    "ACMEOrderRefused",
]
GATEWAY_REJECTED = "GatewayConfigRejected"
DOMAIN_NOT_MAPPABLE = "DomainNotMappable"
NOT_CONFIGURED = "DomainMappingNotConfigured"


def acme_application_error(failure: ACMEFailure, now: datetime) -> ApplicationError:
    """The ApplicationError a failed ACME step raises."""
    delay: timedelta | None = None
    if isinstance(failure, ACMERateLimited):
        delay = max(failure.retry_after - now, timedelta(seconds=1))
    return ApplicationError(
        str(failure),
        failure.problem_type,
        type=failure.reason,
        non_retryable=not failure.retryable,
        next_retry_delay=delay,
    )


def gateway_application_error(error: GatewayError) -> ApplicationError:
    """The ApplicationError a failed gateway step raises."""
    return ApplicationError(
        str(error), type=type(error).__name__, non_retryable=not error.retryable
    )
