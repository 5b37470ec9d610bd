"""Errors of domain claims.

Domain room: pure. `InvalidHostname` (cloud.domains.hostnames) is the bad-input error;
`HostnameUnavailable` says another tenant holds the name, or will until a date.

    CommerceError
    ├── InvalidInput
    │   └── InvalidHostname       the name cannot be claimed at all (not retryable)
    └── HostnameUnavailable       another tenant holds it (retry after `claimable_at`, if set)
"""

from __future__ import annotations

from datetime import datetime

from shared.errors import CommerceError


class HostnameUnavailable(CommerceError):
    """Another tenant holds the hostname: claimed, verified or in its cooldown."""

    def __init__(self, message: str, *, reason: str, claimable_at: datetime | None) -> None:
        super().__init__(message)
        self.reason = reason
        # None: held until its owner releases it.
        self.claimable_at = claimable_at
