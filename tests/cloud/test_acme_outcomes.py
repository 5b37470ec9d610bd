"""The one table from ACME problem types to retry classes: what each class tells the caller."""

from __future__ import annotations

import datetime as dt

import pytest

from cloud.acme_outcomes import (
    ACMEOrderRefused,
    ACMERateLimited,
    ACMERetryNow,
    MerchantActionRequired,
    TransientACMEError,
    failure_for,
)

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("problem", "expected", "reason", "retryable"),
    [
        ("badNonce", ACMERetryNow, "TransientACMEError", True),
        (
            "urn:ietf:params:acme:error:serverInternal",
            TransientACMEError,
            "TransientACMEError",
            True,
        ),
        ("connection", TransientACMEError, "TransientACMEError", True),
        ("caa", MerchantActionRequired, "CAABlocked", False),
        ("dns", MerchantActionRequired, "DNSProblem", False),
        ("unauthorized", MerchantActionRequired, "ChallengeUnauthorized", False),
        ("rejectedIdentifier", MerchantActionRequired, "IdentifierRejected", False),
        ("badCSR", ACMEOrderRefused, "ACMEOrderRefused", False),
    ],
)
def test_each_problem_type_has_one_class(
    problem: str, expected: type, reason: str, retryable: bool
) -> None:
    failure = failure_for(problem, "detail", hostname="shop.example.com", retry_after=None, now=NOW)
    assert type(failure) is expected
    assert failure.reason == reason
    assert failure.retryable is retryable
    assert "shop.example.com" in str(failure)


def test_rate_limit_carries_the_cas_time_and_never_a_past_one() -> None:
    later = NOW + dt.timedelta(minutes=5)
    limited = failure_for("rateLimited", "x", hostname="h.test", retry_after=later, now=NOW)
    assert isinstance(limited, ACMERateLimited)
    assert limited.retry_after == later
    assert later.isoformat() in str(limited)
    stale = failure_for(
        "rateLimited", "x", hostname="h.test", retry_after=NOW - dt.timedelta(1), now=NOW
    )
    assert isinstance(stale, ACMERateLimited)
    assert stale.retry_after == NOW
