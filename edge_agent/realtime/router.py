"""Realtime room: the operation router behind PosService.DecideOperation, and the settler that
replays offline decisions and in-doubt operations to the cloud.

Connected, the router forwards an operation to the cloud with a deadline; when the cloud does
not answer in time (or the store is offline) it decides by the offline policy in force and
records why. A decision the POS got once is the answer to every repeat of the operation id.
The settler sends each unsettled operation with RealtimeService.Reconcile on reconnect: the
cloud's earlier decision stands over the store's (an operation is never applied twice, nor a
store policy over a cloud decision it did not see), and a disagreement is a compensation case.
Touches the journal and the cloud calls through the ports below only.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ameide_core_proto.process.commerce.v1 import pos_pb2, realtime_pb2, store_site_pb2
from edge_agent.errors import AgentError
from edge_agent.realtime.calls import CloudDidNotAnswer
from edge_agent.realtime.journal import LOCAL_CASE_PREFIX, OpenCompensation, Unsettled
from edge_agent.realtime.policy import policies_in_force
from edge_agent.replication.waiting import wait_any
from shared.errors import InvalidInput
from shared.realtime import KindPolicy, kind_name, validate_operation

logger = logging.getLogger(__name__)

# When the lookup took (nearly) the whole deadline, the cloud still gets this long to answer.
_LEAST_CLOUD_WAIT_SECONDS = 0.01
# Kept from the deadline for recording the store's own decision when the cloud does not answer.
_OWN_DECISION_SECONDS = 0.05


class CloudDecisions(Protocol):
    connected: asyncio.Event

    async def decide(
        self, op: realtime_pb2.RealtimeOperation, deadline_seconds: float
    ) -> realtime_pb2.RealtimeDecision: ...

    async def reconcile(
        self,
        op: realtime_pb2.RealtimeOperation,
        store_decision: realtime_pb2.RealtimeDecision,
        timeout: float,
    ) -> realtime_pb2.ReconcileResponse: ...


class DecisionJournal(Protocol):
    async def earlier(
        self, op: realtime_pb2.RealtimeOperation
    ) -> realtime_pb2.RealtimeDecision | None: ...

    async def record_cloud(
        self,
        op: realtime_pb2.RealtimeOperation,
        decision: realtime_pb2.RealtimeDecision,
        business_day: str,
    ) -> realtime_pb2.RealtimeDecision: ...

    async def decide_offline(
        self,
        op: realtime_pb2.RealtimeOperation,
        policy: KindPolicy,
        why: str,
        business_day: str,
        *,
        in_doubt: bool,
    ) -> realtime_pb2.RealtimeDecision: ...

    async def unsettled(self, limit: int = ...) -> list[Unsettled]: ...

    async def open_compensations(self) -> list[OpenCompensation]: ...

    async def settled(
        self,
        operation_id: str,
        cloud_decision: realtime_pb2.RealtimeDecision,
        exception_id: str,
        message: str,
    ) -> None: ...


SiteConfigSource = Callable[[], Awaitable[store_site_pb2.SiteConfig | None]]


def business_day(config: store_site_pb2.SiteConfig | None, now: datetime) -> str:
    """The store's business day (its time zone's date; UTC before it is configured)."""
    zone = UTC
    if config is not None and config.timezone:
        try:
            zone = ZoneInfo(config.timezone)  # type: ignore[assignment]
        except (ZoneInfoNotFoundError, ValueError):
            logger.warning("unknown time zone %r; counting days in UTC", config.timezone)
    return now.astimezone(zone).date().isoformat()


class RealtimeRouter:
    """Decides real-time-required operations for the POS."""

    def __init__(
        self,
        cloud: CloudDecisions,
        journal: DecisionJournal,
        site_config: SiteConfigSource,
        *,
        deadline_seconds: float,
        on_offline_decision: Callable[[], None] = lambda: None,
    ) -> None:
        self._cloud = cloud
        self._journal = journal
        self._site_config = site_config
        self._deadline = deadline_seconds
        self._on_offline = on_offline_decision

    async def site_config(self) -> store_site_pb2.SiteConfig | None:
        """The site configuration applied now (its overrides take effect at once)."""
        return await self._site_config()

    async def policies(self) -> dict[int, KindPolicy]:
        """The offline policy in force per kind (defaults, then the site's overrides)."""
        config = await self.site_config()
        return policies_in_force(config.offline_policies if config is not None else [])

    async def open_compensations(self) -> list[pos_pb2.OpenCompensation]:
        """Cases of this store no operator has resolved yet (for the POS)."""
        return [
            pos_pb2.OpenCompensation(
                exception_id=c.exception_id,
                operation_id=c.operation_id,
                kind=c.kind_number,  # type: ignore[arg-type]
                message=c.message,
            )
            for c in await self._journal.open_compensations()
        ]

    @property
    def connected(self) -> bool:
        return self._cloud.connected.is_set()

    async def decide(self, op: realtime_pb2.RealtimeOperation) -> realtime_pb2.RealtimeDecision:
        """The decision on `op`; `InvalidInput` naming the field for a bad operation."""
        # The deadline is the POS's budget for the whole call: the cloud gets what is left of
        # it after the journal's lookup, less the time the store's own decision takes to be
        # recorded, so a busy journal never stretches the POS's wait past it.
        started = asyncio.get_running_loop().time()
        validate_operation(op)
        earlier = await self._journal.earlier(op)
        if earlier is not None:
            return earlier
        config = await self.site_config()
        day = business_day(config, datetime.now(UTC))
        left = (
            self._deadline - _OWN_DECISION_SECONDS - (asyncio.get_running_loop().time() - started)
        )
        try:
            decision = await self._cloud.decide(op, max(left, _LEAST_CLOUD_WAIT_SECONDS))
        except CloudDidNotAnswer as exc:
            policies = policies_in_force(config.offline_policies if config is not None else [])
            why = (
                f"the cloud did not answer within {self._deadline:g} s"
                if exc.in_doubt
                else "the store is offline"
            )
            decision = await self._journal.decide_offline(
                op, policies[op.kind], why, day, in_doubt=exc.in_doubt
            )
            logger.warning(
                "%s %s decided by store policy: %s (%s); in doubt: %s",
                kind_name(op.kind),
                op.operation_id,
                realtime_pb2.Verdict.Name(decision.verdict),
                decision.reason,
                exc.in_doubt,
            )
            self._on_offline()
            return decision
        return await self._journal.record_cloud(op, decision, day)


class Settler:
    """Sends unsettled operations to the cloud (Reconcile), oldest first, when connected."""

    def __init__(
        self,
        cloud: CloudDecisions,
        journal: DecisionJournal,
        *,
        rpc_timeout_seconds: float = 15.0,
        retry_initial_seconds: float = 0.2,
        retry_max_seconds: float = 10.0,
    ) -> None:
        self._cloud = cloud
        self._journal = journal
        self._timeout = rpc_timeout_seconds
        self._retry_initial = retry_initial_seconds
        self._retry_max = retry_max_seconds
        self._woken = asyncio.Event()
        self._lock = asyncio.Lock()

    def wake(self) -> None:
        self._woken.set()

    async def settle_pending(self) -> int:
        """Settle what is unsettled now; the number settled. Raises `CloudDidNotAnswer`."""
        done = 0
        async with self._lock:
            while True:
                batch = await self._journal.unsettled(100)
                if not batch:
                    return done
                for item in batch:
                    await self._settle(item)
                    done += 1

    async def _settle(self, item: Unsettled) -> None:
        op = item.operation
        try:
            response = await self._cloud.reconcile(op, item.store_decision, self._timeout)
        except InvalidInput as exc:
            # The cloud will never take this operation: keep it visible as a case of the store.
            refusal = realtime_pb2.RealtimeDecision(
                operation_id=op.operation_id,
                kind=op.kind,
                verdict=realtime_pb2.VERDICT_REFUSED,
                decided_by=realtime_pb2.DECIDED_BY_CLOUD,
                reason="RefusedByCloud",
                message=str(exc),
            )
            await self._journal.settled(
                op.operation_id, refusal, f"{LOCAL_CASE_PREFIX}{op.operation_id}", str(exc)
            )
            logger.error("cloud refused settling %s: %s", op.operation_id, exc)
            return
        cloud = response.decision
        await self._journal.settled(
            op.operation_id, cloud, response.exception_id, cloud.message or cloud.reason
        )
        if response.compensation_opened:
            logger.warning(
                "%s %s: the store decided %s offline, the cloud %s (%s); compensation %s",
                kind_name(op.kind),
                op.operation_id,
                realtime_pb2.Verdict.Name(item.store_decision.verdict),
                realtime_pb2.Verdict.Name(cloud.verdict),
                cloud.reason,
                response.exception_id,
            )

    async def run(self, stopping: asyncio.Event, interval_seconds: float) -> None:
        """Settle on every wake (a reconnect, an offline decision) and every interval."""
        failures = 0
        while not stopping.is_set():
            if not self._cloud.connected.is_set():
                await wait_any(stopping, self._cloud.connected, None)
                continue
            self._woken.clear()
            try:
                settled = await self.settle_pending()
                if settled:
                    logger.info("settled %d real-time operations with the cloud", settled)
                failures = 0
            except AgentError as exc:
                failures += 1
                delay = random.uniform(0, min(self._retry_max, self._retry_initial * 2**failures))
                logger.warning(
                    "settling with the cloud failed (%s); next try in %.1f s", exc, delay
                )
                await wait_any(stopping, None, delay)
                continue
            await wait_any(stopping, self._woken, interval_seconds)
