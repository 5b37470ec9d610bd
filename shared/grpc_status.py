"""gRPC status codes both sides agree on: which ones mean "the cloud does not accept who you
are" and which ones mean "try again later".

Shared room: constants over `grpc.StatusCode`; no channels, no I/O. The gateway aborts with
these codes and the agent classifies the failures it gets by the same sets.
"""

from __future__ import annotations

import grpc

__all__ = ["IDENTITY_REFUSED", "IDENTITY_REJECTED", "IDENTITY_UNKNOWN", "TRANSIENT"]

# The caller presented no usable identity (no, unknown or unparsable client certificate).
IDENTITY_UNKNOWN = grpc.StatusCode.UNAUTHENTICATED
# The caller's identity is known but refused (revoked site, wrong site, bad token).
IDENTITY_REFUSED = grpc.StatusCode.PERMISSION_DENIED
# Codes that mean "the cloud does not accept who we are": retry slowly, tell a person.
IDENTITY_REJECTED = frozenset({IDENTITY_UNKNOWN, IDENTITY_REFUSED})
# Codes that mean "try again later".
TRANSIENT = frozenset(
    {
        grpc.StatusCode.UNAVAILABLE,
        grpc.StatusCode.DEADLINE_EXCEEDED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.CANCELLED,
        grpc.StatusCode.INTERNAL,
        grpc.StatusCode.UNKNOWN,
    }
)
