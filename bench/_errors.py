"""The bench's own error: a run that could not measure what it set out to."""

from __future__ import annotations

from shared.errors import CommerceError


class BenchFailed(CommerceError):
    """The benchmark could not complete; the message says which step and where the logs are."""
