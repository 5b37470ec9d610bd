"""Activities of the compensation of real-time operations: record the fact, close the case.

Activity room: methods on a class given the fact log and the compensation cases as ports;
every store call runs in a thread. A case closed before with the same resolution closes again
without change (idempotent); with another one it fails non-retryable, naming both.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from cloud.activities.facts import append_fact
from cloud.activities.messages import RecordedFact
from cloud.activities.realtime_messages import (
    CloseCompensationCase,
    ClosedCompensationCase,
    RecordRealtimeFact,
)
from cloud.ports import FactsPort
from shared.errors import InvalidInput, NotFound

logger = logging.getLogger(__name__)


class ClosedCase(Protocol):
    @property
    def exception_id(self) -> str: ...

    @property
    def resolution(self) -> str | None: ...

    @property
    def resolved_by(self) -> str | None: ...


class CompensationCasesPort(Protocol):
    def resolve(
        self, exception_id: str, resolution: str, actor: str, now: datetime
    ) -> ClosedCase: ...


class RealtimeActivities:
    """Side effects of CompensateOfflineOperation."""

    def __init__(self, facts: FactsPort, cases: CompensationCasesPort) -> None:
        self._facts = facts
        self._cases = cases

    @activity.defn(name="RecordRealtimeFact")
    async def record_realtime_fact(self, req: RecordRealtimeFact) -> RecordedFact:
        return await asyncio.to_thread(append_fact, self._facts, req.fact)

    @activity.defn(name="CloseCompensationCase")
    async def close_compensation_case(self, req: CloseCompensationCase) -> ClosedCompensationCase:
        try:
            case = await asyncio.to_thread(
                self._cases.resolve,
                req.exception_id,
                req.resolution,
                req.resolved_by,
                datetime.now(UTC),
            )
        except (InvalidInput, NotFound) as exc:
            raise ApplicationError(
                str(exc), type="CompensationCaseRefused", non_retryable=True
            ) from exc
        return ClosedCompensationCase(
            exception_id=case.exception_id,
            resolution=case.resolution or "",
            resolved_by=case.resolved_by or "",
        )
