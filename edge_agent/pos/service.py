"""POS room: the PosService servicer, what point-of-sale software calls on loopback.

Given its ports (the projection's reads, the outbox's writes, this site's id); it validates
with `validation`, and every disk access goes through the ports, which run it off the event
loop. Errors become statuses in `_errors.status_of`, the one mapping.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import NoReturn, Protocol, TypeVar

import grpc

from ameide_core_proto.process.commerce.v1 import (
    pos_pb2,
    pos_pb2_grpc,
    realtime_pb2,
    records_pb2,
    sync_pb2,
)
from edge_agent.health_signals import POS, HealthSignals
from edge_agent.outbox import Recorded
from edge_agent.pos import leases, validation
from edge_agent.pos._errors import status_of
from edge_agent.projection import StoredSiteConfig
from shared.errors import CommerceError, InvalidInput, NotFound

logger = logging.getLogger(__name__)

T = TypeVar("T")

STREAM_IN_FLIGHT = 512
"""Sales of one RecordSales stream being recorded at once (read ahead of their answers)."""


class ProjectionReads(Protocol):
    async def site_config(self) -> StoredSiteConfig | None: ...
    async def item_by_sku(self, sku: str) -> records_pb2.CatalogItem | None: ...
    async def item_by_barcode(self, barcode: str) -> records_pb2.CatalogItem | None: ...
    async def price_at(
        self, sku: str, channel: str, at_micros: int
    ) -> records_pb2.Price | None: ...
    async def active_promotions(
        self, channel: str, sku: str, at_micros: int
    ) -> list[records_pb2.Promotion]: ...
    async def customer_by(
        self, channel: str, column: str, value: str
    ) -> records_pb2.Customer | None: ...


class OutboxWrites(Protocol):
    async def record(self, upstream: sync_pb2.UpstreamRecord) -> Recorded: ...


class OperationRouter(Protocol):
    async def decide(self, op: realtime_pb2.RealtimeOperation) -> realtime_pb2.RealtimeDecision: ...

    async def open_compensations(self) -> list[pos_pb2.OpenCompensation]: ...


def _at_micros(request_at: object, has_at: bool) -> int:
    if has_at:
        return int(request_at.ToMicroseconds())  # type: ignore[attr-defined]
    return int(datetime.now(UTC).timestamp() * 1_000_000)


class BasketLeasePort(Protocol):
    """Basket leases (`edge_agent.installer.BasketLeases`): ids and expiry in clock seconds."""

    def acquire(self, register_id: str, ttl_seconds: int) -> tuple[str, float]: ...

    def renew(self, lease_id: str, ttl_seconds: int) -> float: ...

    def release(self, lease_id: str) -> None: ...


class PosServicer(pos_pb2_grpc.PosServiceServicer):
    """Serves one store's POS software from its projection and into its outbox."""

    def __init__(
        self,
        site_id: str,
        projection: ProjectionReads,
        outbox: OutboxWrites,
        *,
        realtime: OperationRouter | None = None,
        leases: BasketLeasePort | None = None,
        signals: HealthSignals | None = None,
    ) -> None:
        self._signals = signals
        self._site_id = site_id
        self._projection = projection
        self._outbox = outbox
        self._realtime = realtime
        self._leases = leases

    async def _answer(
        self, context: grpc.aio.ServicerContext[object, object], call: Callable[[], Awaitable[T]]
    ) -> T:
        try:
            return await call()
        except CommerceError as exc:
            await self._abort(context, exc)

    async def _channel(self, requested: str = "") -> str:
        if requested:
            return requested
        stored = await self._projection.site_config()
        if stored is None or not stored.config.sales_channel_id:
            raise NotFound(
                "this store has no site configuration yet, so its sales channel is unknown; "
                "pass sales_channel_id or wait until the cloud has configured the store"
            )
        return stored.config.sales_channel_id

    # --- reads ----------------------------------------------------------------------------------

    async def GetItem(
        self, request: pos_pb2.GetItemRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> pos_pb2.GetItemResponse:
        async def get() -> pos_pb2.GetItemResponse:
            lookup = request.WhichOneof("lookup")
            if lookup == "sku" and request.sku:
                item = await self._projection.item_by_sku(request.sku)
            elif lookup == "barcode" and request.barcode:
                item = await self._projection.item_by_barcode(request.barcode)
            else:
                raise InvalidInput("lookup: set sku or barcode (not empty)")
            if item is None:
                raise NotFound(f"no item with {lookup} {getattr(request, lookup)!r} in this store")
            return pos_pb2.GetItemResponse(item=item)

        return await self._answer(context, get)

    async def GetPrice(
        self, request: pos_pb2.GetPriceRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> pos_pb2.GetPriceResponse:
        async def get() -> pos_pb2.GetPriceResponse:
            if not request.sku:
                raise InvalidInput("sku: is required")
            channel = await self._channel(request.sales_channel_id)
            at = _at_micros(request.at, request.HasField("at"))
            price = await self._projection.price_at(request.sku, channel, at)
            if price is None:
                raise NotFound(f"no price for {request.sku!r} on channel {channel!r} at that time")
            return pos_pb2.GetPriceResponse(price=price)

        return await self._answer(context, get)

    async def ListActivePromotions(
        self,
        request: pos_pb2.ListActivePromotionsRequest,
        context: grpc.aio.ServicerContext[object, object],
    ) -> pos_pb2.ListActivePromotionsResponse:
        async def get() -> pos_pb2.ListActivePromotionsResponse:
            channel = await self._channel()
            at = _at_micros(request.at, request.HasField("at"))
            found = await self._projection.active_promotions(channel, request.sku, at)
            return pos_pb2.ListActivePromotionsResponse(promotions=found)

        return await self._answer(context, get)

    async def FindCustomer(
        self,
        request: pos_pb2.FindCustomerRequest,
        context: grpc.aio.ServicerContext[object, object],
    ) -> pos_pb2.FindCustomerResponse:
        async def get() -> pos_pb2.FindCustomerResponse:
            lookup = request.WhichOneof("lookup")
            value = getattr(request, lookup) if lookup else ""
            if lookup is None or not value:
                raise InvalidInput(
                    "lookup: set one of customer_id, loyalty_number, email, phone (not empty)"
                )
            channel = await self._channel()
            customer = await self._projection.customer_by(channel, lookup, value)
            if customer is None:
                raise NotFound(f"no customer of channel {channel!r} with {lookup} {value!r}")
            return pos_pb2.FindCustomerResponse(customer=customer)

        return await self._answer(context, get)

    # --- writes ---------------------------------------------------------------------------------

    async def RecordSale(
        self, request: pos_pb2.RecordSaleRequest, context: grpc.aio.ServicerContext[object, object]
    ) -> pos_pb2.RecordSaleResponse:
        async def record() -> pos_pb2.RecordSaleResponse:
            validation.validate_sale(request.sale, self._site_id)
            done = await self._outbox.record(
                sync_pb2.UpstreamRecord(sales_transaction=request.sale)
            )
            return pos_pb2.RecordSaleResponse(
                transaction_id=done.record_id, newly_recorded=done.newly_recorded
            )

        return await self._answer(context, record)

    async def RecordSales(
        self,
        request_iterator: AsyncIterator[pos_pb2.RecordSalesRequest],
        context: grpc.aio.ServicerContext[object, object],
    ) -> AsyncIterator[pos_pb2.RecordSalesResponse]:
        """Many sales over one stream: each validated as it arrives and recorded at once (up
        to `STREAM_IN_FLIGHT` at a time, so they share the outbox's group commits); answered
        in request order, each once on disk. The first refusal or failure ends the stream
        after the answers of the sales before it."""
        in_flight: asyncio.Queue[asyncio.Future[Recorded] | CommerceError | None] = asyncio.Queue(
            STREAM_IN_FLIGHT
        )
        reader = asyncio.ensure_future(self._read_sales(request_iterator, in_flight))
        try:
            while (item := await in_flight.get()) is not None:
                if isinstance(item, CommerceError):
                    await self._abort(context, item)
                try:
                    done = await item
                except CommerceError as exc:
                    await self._abort(context, exc)
                yield pos_pb2.RecordSalesResponse(
                    transaction_id=done.record_id, newly_recorded=done.newly_recorded
                )
            await reader  # its own failure (the stream broke) surfaces here
        finally:
            reader.cancel()
            while not in_flight.empty():  # not answered: a caller sends them again
                left = in_flight.get_nowait()
                if isinstance(left, asyncio.Future):
                    left.cancel()
            await asyncio.gather(reader, return_exceptions=True)

    async def _read_sales(
        self,
        requests: AsyncIterator[pos_pb2.RecordSalesRequest],
        in_flight: asyncio.Queue[asyncio.Future[Recorded] | CommerceError | None],
    ) -> None:
        try:
            await self._read_sales_into(requests, in_flight)
        except Exception:
            await in_flight.put(None)  # the answers so far go out; then the error ends it
            raise

    async def _read_sales_into(
        self,
        requests: AsyncIterator[pos_pb2.RecordSalesRequest],
        in_flight: asyncio.Queue[asyncio.Future[Recorded] | CommerceError | None],
    ) -> None:
        index = 0
        async for request in requests:
            try:
                validation.validate_sale(request.sale, self._site_id)
            except InvalidInput as exc:
                await in_flight.put(
                    InvalidInput(
                        f"sales[{index}] (transaction_id {request.sale.transaction_id!r}): "
                        f"{exc}; the sales answered before it are recorded, none after it: "
                        "correct it and send it and the rest again"
                    )
                )
                return
            upstream = sync_pb2.UpstreamRecord(sales_transaction=request.sale)
            await in_flight.put(asyncio.ensure_future(self._outbox.record(upstream)))
            index += 1
        await in_flight.put(None)

    async def _abort(
        self, context: grpc.aio.ServicerContext[object, object], error: CommerceError
    ) -> NoReturn:
        code, message = status_of(error)
        if code not in (grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND):
            logger.warning("POS call failed: %s", message)
            if self._signals is not None:
                self._signals.error(POS, message)
        await context.abort(code, message)
        raise AssertionError("abort returned") from error  # pragma: no cover

    async def RecordReturn(
        self,
        request: pos_pb2.RecordReturnRequest,
        context: grpc.aio.ServicerContext[object, object],
    ) -> pos_pb2.RecordReturnResponse:
        async def record() -> pos_pb2.RecordReturnResponse:
            validation.validate_return(request.sales_return, self._site_id)
            done = await self._outbox.record(
                sync_pb2.UpstreamRecord(sales_return=request.sales_return)
            )
            return pos_pb2.RecordReturnResponse(
                return_id=done.record_id, newly_recorded=done.newly_recorded
            )

        return await self._answer(context, record)

    async def RecordInventoryAdjustment(
        self,
        request: pos_pb2.RecordInventoryAdjustmentRequest,
        context: grpc.aio.ServicerContext[object, object],
    ) -> pos_pb2.RecordInventoryAdjustmentResponse:
        async def record() -> pos_pb2.RecordInventoryAdjustmentResponse:
            validation.validate_adjustment(request.adjustment, self._site_id)
            done = await self._outbox.record(
                sync_pb2.UpstreamRecord(inventory_adjustment=request.adjustment)
            )
            return pos_pb2.RecordInventoryAdjustmentResponse(
                adjustment_id=done.record_id, newly_recorded=done.newly_recorded
            )

        return await self._answer(context, record)

    # --- real-time-required operations ----------------------------------------------------------

    async def DecideOperation(
        self,
        request: pos_pb2.DecideOperationRequest,
        context: grpc.aio.ServicerContext[object, object],
    ) -> pos_pb2.DecideOperationResponse:
        async def decide() -> pos_pb2.DecideOperationResponse:
            if self._realtime is None:
                raise NotFound("this agent routes no real-time operations (no router configured)")
            decision = await self._realtime.decide(request.operation)
            return pos_pb2.DecideOperationResponse(decision=decision)

        return await self._answer(context, decide)

    async def ListOpenCompensations(
        self,
        request: pos_pb2.ListOpenCompensationsRequest,
        context: grpc.aio.ServicerContext[object, object],
    ) -> pos_pb2.ListOpenCompensationsResponse:
        async def list_open() -> pos_pb2.ListOpenCompensationsResponse:
            if self._realtime is None:
                raise NotFound("this agent routes no real-time operations (no router configured)")
            found = await self._realtime.open_compensations()
            return pos_pb2.ListOpenCompensationsResponse(compensations=found)

        return await self._answer(context, list_open)
    # --- basket leases --------------------------------------------------------------------------

    def _lease_port(self) -> BasketLeasePort:
        if self._leases is None:
            raise NotFound("basket leases are not offered by this agent")
        return self._leases

    async def AcquireBasketLease(
        self,
        request: pos_pb2.AcquireBasketLeaseRequest,
        context: grpc.aio.ServicerContext[object, object],
    ) -> pos_pb2.AcquireBasketLeaseResponse:
        async def acquire() -> pos_pb2.AcquireBasketLeaseResponse:
            lease_id, expires = leases.guarded(
                lambda: self._lease_port().acquire(request.register_id, request.ttl_seconds)
            )
            return pos_pb2.AcquireBasketLeaseResponse(
                lease_id=lease_id, expires_at=leases.wall_time(expires)
            )

        return await self._answer(context, acquire)

    async def RenewBasketLease(
        self,
        request: pos_pb2.RenewBasketLeaseRequest,
        context: grpc.aio.ServicerContext[object, object],
    ) -> pos_pb2.RenewBasketLeaseResponse:
        async def renew() -> pos_pb2.RenewBasketLeaseResponse:
            expires = leases.guarded(
                lambda: self._lease_port().renew(request.lease_id, request.ttl_seconds)
            )
            return pos_pb2.RenewBasketLeaseResponse(expires_at=leases.wall_time(expires))

        return await self._answer(context, renew)

    async def ReleaseBasketLease(
        self,
        request: pos_pb2.ReleaseBasketLeaseRequest,
        context: grpc.aio.ServicerContext[object, object],
    ) -> pos_pb2.ReleaseBasketLeaseResponse:
        async def release() -> pos_pb2.ReleaseBasketLeaseResponse:
            if not request.lease_id:
                raise InvalidInput("lease_id: is required")
            self._lease_port().release(request.lease_id)
            return pos_pb2.ReleaseBasketLeaseResponse()

        return await self._answer(context, release)
