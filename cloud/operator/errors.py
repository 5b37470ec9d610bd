"""The operator's errors, each saying whether retrying can help.

Operator room: pure declarations.

    CommerceError (shared.errors)
    └── OperatorError              `retryable` tells the one retry mapping (handlers.py)
        ├── KubeUnavailable        the API server did not answer or answered 5xx/429 (retry)
        ├── KubeRejected           the API server refused a request (4xx): fix the input
        └── InvalidResource        the resource's spec cannot be reconciled: fix the spec
"""

from __future__ import annotations

from shared.errors import CommerceError


class OperatorError(CommerceError):
    """Base of the operator's errors; `retryable` says whether trying again can help."""

    retryable = False


class KubeUnavailable(OperatorError):
    """The Kubernetes API server could not be reached or was overloaded; retry later."""

    retryable = True


class KubeRejected(OperatorError):
    """The Kubernetes API server refused a request; retrying the same request will not help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class InvalidResource(OperatorError):
    """A CommerceProcess spec that cannot be reconciled; the message names the field."""
