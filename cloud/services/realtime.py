"""Real-time operations as ops see them: the kinds and their offline policies, compensation
cases (list, resolve) and per-kind figures.

Service room: reads and resolves cases through the ports it is given; resolving also signals
the case's workflow (through its port), so the store is told the case is closed.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from cloud.adapters.store.realtime_records import ExceptionCase, KindStats
from shared.realtime import DEFAULT_POLICIES, KindPolicy

__all__ = ["CompensationSignals", "RealtimeCasesPort", "RealtimeOpsService"]

logger = logging.getLogger(__name__)


class RealtimeCasesPort(Protocol):
    def cases(self, status: str | None = ..., site_id: str | None = ...) -> list[ExceptionCase]: ...

    def get(self, exception_id: str) -> ExceptionCase: ...

    def resolve(
        self, exception_id: str, resolution: str, actor: str, now: datetime
    ) -> ExceptionCase: ...

    def stats(self) -> list[KindStats]: ...


class CompensationSignals(Protocol):
    async def resolve(self, exception_id: str, resolution: str, resolved_by: str) -> bool: ...


class RealtimeOpsService:
    """What `commerce-cloud realtime` does."""

    def __init__(
        self,
        cases: RealtimeCasesPort,
        signals: Callable[[], Awaitable[CompensationSignals]],
        *,
        actor: str,
    ) -> None:
        self._cases = cases
        self._signals = signals
        self._actor = actor

    @staticmethod
    def kinds() -> list[KindPolicy]:
        """Every operation kind with its default offline policy (from realtime.proto)."""
        return [DEFAULT_POLICIES[k] for k in sorted(DEFAULT_POLICIES)]

    def exceptions(
        self, status: str | None = "open", site_id: str | None = None
    ) -> list[ExceptionCase]:
        return self._cases.cases(status, site_id)

    async def resolve(self, exception_id: str, resolution: str) -> tuple[ExceptionCase, bool]:
        """Close the case in the store, then tell its workflow (which tells the store).
        Returns the case and whether a workflow was signalled."""
        case = self._cases.resolve(exception_id, resolution, self._actor, datetime.now(UTC))
        signals = await self._signals()
        signalled = await signals.resolve(exception_id, resolution, self._actor)
        if not signalled:
            logger.warning("case %s has no compensation workflow to signal", exception_id)
        return case, signalled

    def stats(self) -> list[KindStats]:
        return self._cases.stats()
