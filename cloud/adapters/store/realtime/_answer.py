"""What an embedded provider answers: approved with an outcome, or refused with a reason.

Adapter room, pure: dataclasses and constructors; no I/O.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from ameide_core_proto.process.commerce.v1 import realtime_pb2


@dataclass(frozen=True)
class ProviderAnswer:
    """A provider's decision on one operation."""

    approved: bool
    reason: str
    message: str
    outcome: realtime_pb2.OperationOutcome = field(default_factory=realtime_pb2.OperationOutcome)


Provider = Callable[[sa.Connection, str, realtime_pb2.RealtimeOperation, datetime], ProviderAnswer]
"""Decides and applies one operation of its family inside the caller's transaction:
(connection, acting site, operation, now) -> answer. Refusals change nothing."""


def approve(message: str, outcome: realtime_pb2.OperationOutcome | None = None) -> ProviderAnswer:
    return ProviderAnswer(True, "Approved", message, outcome or realtime_pb2.OperationOutcome())


def refuse(reason: str, message: str) -> ProviderAnswer:
    return ProviderAnswer(False, reason, message)
