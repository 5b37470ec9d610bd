"""RealtimeService on the mTLS control port: store agents ask the cloud to decide a
real-time-required operation (or several in one DecideMany call, each answered as alone), or
settle one they decided offline.

Gateway room: authenticates the site from its client certificate and calls the real-time
ledger port in a thread (never on the event loop), decisions grouped into one transaction
per batch (`realtime_batch`); when settling opens a compensation case it
hands the case to the compensation port (a Temporal workflow behind it). The one place that
maps the ledger's errors on this service to status codes: bad input and a reused operation id
are INVALID_ARGUMENT and a provider that refuses the cloud itself FAILED_PRECONDITION (retrying
cannot help); an unavailable store or provider is UNAVAILABLE and a lost write race ABORTED
(both in `shared.grpc_status.TRANSIENT`: the agent decides by policy and reconciles later).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol, TypeVar

import grpc

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.adapters.store.errors import StoreError, StoreUnavailable
from cloud.adapters.store.realtime_records import ProviderRefusedUs, Settled
from cloud.gateway.codec import MalformedFrame, refuse_malformed, service_handler
from cloud.gateway.peer import SiteAuthenticator
from cloud.gateway.realtime_batch import DecisionBatcher
from cloud.ports import StorePort
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)


T = TypeVar("T")


class RealtimeDecisions(Protocol):
    """The cloud's providers behind one ledger (blocking calls)."""

    def decide(
        self, site_id: str, op: realtime_pb2.RealtimeOperation, now: datetime
    ) -> Settled: ...

    def reconcile(
        self,
        site_id: str,
        op: realtime_pb2.RealtimeOperation,
        store_decision: realtime_pb2.RealtimeDecision,
        now: datetime,
    ) -> Settled: ...

    def decide_many(
        self, calls: Sequence[tuple[str, realtime_pb2.RealtimeOperation]], now: datetime
    ) -> list[Settled | InvalidInput | StoreError]: ...


class Compensations(Protocol):
    """Starts the compensation of a case the ledger opened (idempotent per case)."""

    async def open(self, rejection: realtime_pb2.OfflineOperationRejected) -> None: ...


class RealtimeServicer:
    """Implements RealtimeService over the ledger port."""

    def __init__(
        self,
        store: StorePort,
        decisions: RealtimeDecisions,
        auth: SiteAuthenticator,
        compensations: Compensations | None = None,
    ) -> None:
        self._store = store
        self._decisions = decisions
        self._compensations = compensations
        self._batcher = DecisionBatcher(decisions)
        self._auth = auth

    def handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        """The generic handler to add to the control server (same port, same mTLS)."""
        return service_handler(
            realtime_pb2.DESCRIPTOR.services_by_name["RealtimeService"],
            {"Decide": self.decide, "DecideMany": self.decide_many, "Reconcile": self.reconcile},
        )

    async def _settle(
        self, context: grpc.aio.ServicerContext[Any, Any], call: Callable[[], Awaitable[T]]
    ) -> T:
        try:
            return await call()
        except (InvalidInput, StoreError) as exc:
            await context.abort(*status_of(exc))
        raise AssertionError("unreachable")  # pragma: no cover  (abort raises)

    async def decide(
        self,
        request: realtime_pb2.DecideRequest | MalformedFrame,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> realtime_pb2.DecideResponse:
        await refuse_malformed(context, request)
        assert isinstance(request, realtime_pb2.DecideRequest)
        peer = await self._auth.site(context)
        settled = await self._settle(
            context, lambda: self._batcher.decide(peer.site_id, request.operation)
        )
        return realtime_pb2.DecideResponse(decision=settled.decision)

    async def decide_many(
        self,
        request: realtime_pb2.DecideManyRequest | MalformedFrame,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> realtime_pb2.DecideManyResponse:
        await refuse_malformed(context, request)
        assert isinstance(request, realtime_pb2.DecideManyRequest)
        peer = await self._auth.site(context)
        settled = await asyncio.gather(
            *(self._batcher.decide(peer.site_id, op) for op in request.operations),
            return_exceptions=True,
        )
        answers = []
        for outcome in settled:
            if isinstance(outcome, Settled):
                answers.append(realtime_pb2.DecideManyAnswer(decision=outcome.decision))
            elif isinstance(outcome, (InvalidInput, StoreError)):
                code, message = status_of(outcome)
                answers.append(realtime_pb2.DecideManyAnswer(code=code.value[0], message=message))
            else:
                raise outcome
        return realtime_pb2.DecideManyResponse(answers=answers)

    async def reconcile(
        self,
        request: realtime_pb2.ReconcileRequest | MalformedFrame,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> realtime_pb2.ReconcileResponse:
        await refuse_malformed(context, request)
        assert isinstance(request, realtime_pb2.ReconcileRequest)
        peer = await self._auth.site(context)
        settled = await self._settle(
            context,
            lambda: asyncio.to_thread(
                self._decisions.reconcile,
                peer.site_id,
                request.operation,
                request.store_decision,
                datetime.now(UTC),
            ),
        )
        if settled.exception_id and self._compensations is not None:
            rejection = realtime_pb2.OfflineOperationRejected(
                exception_id=settled.exception_id,
                site_id=peer.site_id,
                operation_id=request.operation.operation_id,
                kind=request.operation.kind,
                store_decision=request.store_decision,
                cloud_decision=settled.decision,
            )
            await _best_effort(self._compensations.open(rejection), settled.exception_id)
        return realtime_pb2.ReconcileResponse(
            decision=settled.decision,
            compensation_opened=bool(settled.exception_id),
            exception_id=settled.exception_id,
        )


def status_of(exc: InvalidInput | StoreError) -> tuple[grpc.StatusCode, str]:
    """The status code and message of a ledger error on this service (the one mapping)."""
    if isinstance(exc, InvalidInput):
        return grpc.StatusCode.INVALID_ARGUMENT, f"{exc} (retrying the same call cannot help)"
    if isinstance(exc, StoreUnavailable):
        return grpc.StatusCode.UNAVAILABLE, str(exc)
    if isinstance(exc, ProviderRefusedUs):
        return grpc.StatusCode.FAILED_PRECONDITION, str(exc)
    return grpc.StatusCode.ABORTED, str(exc)


async def _best_effort(started: Awaitable[None], exception_id: str) -> None:
    """The case is on record in the store either way; a workflow that did not start is
    started by the next Reconcile of the same operation, or `realtime exceptions list`
    shows the case. Never fail the store's call for it."""
    try:
        await started
    except Exception as exc:  # the boundary to the workflow side
        logger.warning("compensation workflow of %s not started yet: %s", exception_id, exc)
