"""What an ACME failure means for the caller: the one table from ACME problem types to classes.

Pure room: no I/O, no ACME library; the ACME adapter raises these, activities map them to
Temporal retries (the only place that does). Exception tree:

    ACMEFailure                      (reason: the condition reason; retryable: may retrying help)
     ├── ACMERetryNow                badNonce: retried at once by the adapter, a few times
     ├── ACMERateLimited             rateLimited: wait until `retry_after`, condition RateLimited
     ├── TransientACMEError          serverInternal, connection problems, timeouts: back off
     ├── MerchantActionRequired      caa, dns, unauthorized, rejectedIdentifier, ...: the
     │                               merchant must change DNS; retrying alone will not help
     └── ACMEOrderRefused            any other problem: names the type; not retried
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

ACME_ERROR_PREFIX = "urn:ietf:params:acme:error:"


class ACMEClass(enum.Enum):
    """How a failure is handled."""

    RETRY_NOW = "retry-now"
    WAIT_RETRY_AFTER = "wait-retry-after"
    BACKOFF = "backoff"
    MERCHANT_ACTION = "merchant-action"
    REFUSED = "refused"


@dataclass(frozen=True)
class ACMEErrorRule:
    """The class of one ACME problem type, the condition reason it shows, and what to do."""

    cls: ACMEClass
    reason: str
    advice: str


# The one table. Keys are RFC 8555 §6.7 problem types without the URN prefix.
ACME_ERROR_TABLE: dict[str, ACMEErrorRule] = {
    "badNonce": ACMEErrorRule(
        ACMEClass.RETRY_NOW, "TransientACMEError", "the CA rejected a nonce; retried at once"
    ),
    "rateLimited": ACMEErrorRule(
        ACMEClass.WAIT_RETRY_AFTER, "RateLimited", "the CA rate-limited us; retried after its time"
    ),
    "serverInternal": ACMEErrorRule(
        ACMEClass.BACKOFF, "TransientACMEError", "the CA failed internally; retried with backoff"
    ),
    "connection": ACMEErrorRule(
        ACMEClass.BACKOFF,
        "TransientACMEError",
        "the CA could not reach the challenge; retried with backoff (check that the hostname "
        "points at the storefront gateway if it persists)",
    ),
    "caa": ACMEErrorRule(
        ACMEClass.MERCHANT_ACTION,
        "CAABlocked",
        "a CAA record forbids the platform's CA: add an `issue` record naming it",
    ),
    "dns": ACMEErrorRule(
        ACMEClass.MERCHANT_ACTION,
        "DNSProblem",
        "the CA could not resolve the hostname's records: check the DNS zone answers",
    ),
    "unauthorized": ACMEErrorRule(
        ACMEClass.MERCHANT_ACTION,
        "ChallengeUnauthorized",
        "the CA saw a wrong challenge answer: point the hostname (or _acme-challenge CNAME) "
        "at the platform",
    ),
    "rejectedIdentifier": ACMEErrorRule(
        ACMEClass.MERCHANT_ACTION,
        "IdentifierRejected",
        "the CA will not issue for this hostname; choose another hostname",
    ),
}

# Failures below the ACME protocol (TCP, TLS, HTTP timeouts) while talking to the CA.
NETWORK_RULE = ACMEErrorRule(
    ACMEClass.BACKOFF, "TransientACMEError", "the CA could not be reached; retried with backoff"
)
_UNKNOWN_RULE = ACMEErrorRule(
    ACMEClass.REFUSED, "ACMEOrderRefused", "the CA refused the order; see the message"
)


def rule_for(problem_type: str) -> ACMEErrorRule:
    """The rule for a problem type (full URN or short name); unknown types are refusals."""
    return ACME_ERROR_TABLE.get(problem_type.removeprefix(ACME_ERROR_PREFIX), _UNKNOWN_RULE)


class ACMEFailure(Exception):
    """An ACME step failed; `reason` is the condition reason, `retryable` says if retrying can
    help, `problem_type` is the CA's short problem type ("" for network failures)."""

    retryable = False

    def __init__(self, message: str, *, reason: str, problem_type: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.problem_type = problem_type


class ACMERetryNow(ACMEFailure):
    retryable = True


class ACMERateLimited(ACMEFailure):
    retryable = True

    def __init__(self, message: str, *, retry_after: datetime, problem_type: str = "") -> None:
        super().__init__(message, reason="RateLimited", problem_type=problem_type)
        self.retry_after = retry_after


class TransientACMEError(ACMEFailure):
    retryable = True


class MerchantActionRequired(ACMEFailure):
    retryable = False


class ACMEOrderRefused(ACMEFailure):
    retryable = False


def failure_for(
    problem_type: str,
    detail: str,
    *,
    hostname: str,
    retry_after: datetime | None,
    now: datetime,
) -> ACMEFailure:
    """The exception one ACME problem maps to, with a message that says what to do."""
    short = problem_type.removeprefix(ACME_ERROR_PREFIX)
    rule = rule_for(short)
    message = f"{hostname}: ACME {short or 'failure'}: {detail} ({rule.advice})"
    if rule.cls is ACMEClass.RETRY_NOW:
        return ACMERetryNow(message, reason=rule.reason, problem_type=short)
    if rule.cls is ACMEClass.WAIT_RETRY_AFTER:
        when = retry_after if retry_after is not None and retry_after > now else now
        return ACMERateLimited(
            f"{message}; next attempt after {when.isoformat()}",
            retry_after=when,
            problem_type=short,
        )
    if rule.cls is ACMEClass.BACKOFF:
        return TransientACMEError(message, reason=rule.reason, problem_type=short)
    if rule.cls is ACMEClass.MERCHANT_ACTION:
        return MerchantActionRequired(message, reason=rule.reason, problem_type=short)
    return ACMEOrderRefused(message, reason=rule.reason, problem_type=short)
