"""Values the real-time ledger hands out: decisions as settled, compensation cases, per-kind
figures. Plain data that services, the gateway and activities may import.

Adapter room, pure: dataclasses over generated protobuf types; no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.adapters.store.errors import StoreError

__all__ = ["ExceptionCase", "KindStats", "ProviderRefusedUs", "Settled"]


class ProviderRefusedUs(StoreError):
    """An external provider refuses the cloud itself (credentials, contract): retrying the
    same call cannot help; operations must fix the configuration."""


@dataclass(frozen=True)
class Settled:
    """The cloud's decision on an operation, and whether it disagrees with the store's."""

    decision: realtime_pb2.RealtimeDecision
    replayed: bool
    """True when the decision was made before (this call changed nothing)."""
    exception_id: str = ""
    """The compensation case of this operation, when one is open."""
    opened: bool = False
    """True when this call opened the case."""


@dataclass(frozen=True)
class ExceptionCase:
    """One compensation case."""

    exception_id: str
    site_id: str
    operation_id: str
    kind: int
    status: str
    opened_at: datetime
    rejection: realtime_pb2.OfflineOperationRejected
    resolved_at: datetime | None = None
    resolution: str | None = None
    resolved_by: str | None = None


@dataclass(frozen=True)
class KindStats:
    """What happened to one operation kind."""

    kind: int
    calls: int
    cloud_decisions: int
    store_decisions: int
    in_doubt_resolutions: int
    compensations: int
    open_compensations: int
