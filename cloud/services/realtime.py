"""Real-time operations as ops see them: the kinds and their offline policies, compensation
cases (list, resolve) and per-kind figures.

Service room: reads and resolves cases through the ports it is given; resolving also signals
the case's workflow (through its port), which closes it in the store and tells the store.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol

from cloud.adapters.store.realtime_records import ExceptionCase, KindStats
from shared.errors import InvalidInput
from shared.realtime import DEFAULT_POLICIES, KindPolicy

__all__ = ["CompensationSignals", "RealtimeCasesPort", "RealtimeOpsService"]

logger = logging.getLogger(__name__)

RESOLVE_WAIT_SECONDS = 30.0
"""How long `resolve` waits for the workflow to record the resolution."""


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
        """Close a case through its workflow (which records it and tells the store); a case
        without a workflow is closed in the store directly. Nothing changes when Temporal
        cannot be reached. Returns the case and whether a workflow was signalled."""
        if not resolution.strip():
            raise InvalidInput("--resolution: say what was done (e.g. 'customer paid cash')")
        case = self._cases.get(exception_id)
        if case.status == "resolved":
            if case.resolution != resolution:
                raise InvalidInput(
                    f"case {exception_id} was already resolved ({case.resolution!r}); "
                    "nothing changed"
                )
            return case, False
        signals = await self._signals()
        if not await signals.resolve(exception_id, resolution, self._actor):
            logger.warning("case %s has no compensation workflow; closing it here", exception_id)
            closed = self._cases.resolve(exception_id, resolution, self._actor, datetime.now(UTC))
            return closed, False
        for _ in range(int(RESOLVE_WAIT_SECONDS / 0.2)):
            case = self._cases.get(exception_id)
            if case.status == "resolved":
                break
            await asyncio.sleep(0.2)
        return case, True

    def stats(self) -> list[KindStats]:
        return self._cases.stats()
