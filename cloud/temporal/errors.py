"""Errors of the cloud's Temporal connection room; extends the tree in `shared.errors`.

CommerceError
└── TemporalUnavailable        Temporal cannot be reached or started
    └── DevServerError         the embedded dev server failed to start or keeps dying
"""

from __future__ import annotations

from shared.errors import CommerceError


class TemporalUnavailable(CommerceError):
    """Temporal cannot be reached (wrong address, TLS settings or credentials, server down)."""


class DevServerError(TemporalUnavailable):
    """The embedded Temporal dev server did not come up or could not be kept running."""
