"""Replication room: the upsync pusher. Sends outbox batches with PushRecords and marks each
batch sent once the cloud acknowledged it (a batch pushed twice is ingested once). A batch is
bounded by count and by encoded bytes (`batch_max_bytes`, below the gateway's max message
size); a batch the gateway still refuses as too large (`BatchTooLarge`) is split in half and
pushed again, and a single record too large to push is refused for good and logged (the
health page names it) while the rest keeps flowing. Two batches are in flight at once: the
next one goes out while the first is acknowledged, marked sent and the one after it prepared;
batches are disjoint (each starts after the last record of the one before) and are marked
sent in order (after a failed push, the acknowledged ones behind it too), and the cloud
ingests each record once by its idempotency key, so a batch pushed again changes nothing.

Triggered by a POS record being written (`wake`, through `WakingOutbox`), by the fallback
schedule (`sync_interval_seconds`) and by RunUpsync (`push_pending`). One push runs at a time.
Touches the outbox (its port below) and the gateway through the `SyncCalls` port only.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import deque
from dataclasses import dataclass
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import sync_pb2
from edge_agent.errors import AgentError, BatchTooLarge
from edge_agent.outbox import DEFAULT_BATCH_MAX_BYTES, OutboxBatch, Recorded, RefusedRecord
from edge_agent.replication.ports import SyncCalls
from edge_agent.replication.waiting import wait_any

logger = logging.getLogger(__name__)

DEFAULT_BATCH_RECORDS = 500
# A second batch goes out while the first is acknowledged (marked sent, the next prepared).
DEFAULT_BATCHES_IN_FLIGHT = 2
# The smallest max_message_bytes a gateway may be configured with (cloud config).
_SMALLEST_LIMIT = 4096


class PendingOutbox(Protocol):
    """What the pusher needs from the outbox."""

    async def pending(
        self, limit: int = ..., max_bytes: int = ..., after: int = ...
    ) -> OutboxBatch | None: ...

    async def mark_sent(self, batch_id: str) -> int: ...

    async def mark_sent_and_next(
        self, batch_id: str, limit: int = ..., max_bytes: int = ..., after: int = ...
    ) -> tuple[int, OutboxBatch | None]: ...

    def pending_now(self) -> int: ...

    async def split(self, batch_id: str, gateway_error: str) -> RefusedRecord | None: ...

    async def outbox_pending(self) -> int: ...


class RecordingOutbox(Protocol):
    async def record(self, upstream: sync_pb2.UpstreamRecord) -> Recorded: ...


class WakingOutbox:
    """The outbox as the POS API writes to it: every new record wakes the pusher."""

    def __init__(self, outbox: RecordingOutbox, wake: Upsync) -> None:
        self._outbox = outbox
        self._wake = wake

    async def record(self, upstream: sync_pb2.UpstreamRecord) -> Recorded:
        done = await self._outbox.record(upstream)
        if done.newly_recorded:
            self._wake.wake()
        return done


@dataclass(frozen=True)
class _InFlight:
    batch: OutboxBatch
    task: asyncio.Task[sync_pb2.PushRecordsResponse]


@dataclass
class _Tally:
    batches: int = 0
    ingested: int = 0
    duplicates: int = 0
    records: int = 0  # acknowledged

    def add(self, ack: sync_pb2.PushRecordsResponse, records: int) -> None:
        self.records += records
        self.batches += 1
        self.ingested += ack.ingested
        self.duplicates += ack.duplicates


@dataclass(frozen=True)
class Pushed:
    """What a push did, as the cloud acknowledged it."""

    batches: int = 0
    ingested: int = 0
    duplicates: int = 0


class Upsync:
    """Pushes the outbox, oldest batch first, until it is empty (up to when it started)."""

    def __init__(
        self,
        channel: SyncCalls,
        outbox: PendingOutbox,
        *,
        rpc_timeout_seconds: float = 15.0,
        batch_records: int = DEFAULT_BATCH_RECORDS,
        batch_max_bytes: int = DEFAULT_BATCH_MAX_BYTES,
        batches_in_flight: int = DEFAULT_BATCHES_IN_FLIGHT,
        retry_initial_seconds: float = 0.2,
        retry_max_seconds: float = 10.0,
    ) -> None:
        self._channel = channel
        self._outbox = outbox
        self._timeout = rpc_timeout_seconds
        self._batch = batch_records
        self._max_bytes = batch_max_bytes
        self._depth = max(1, batches_in_flight)
        self._retry_initial = retry_initial_seconds
        self._retry_max = retry_max_seconds
        self._lock = asyncio.Lock()
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Records are waiting: push soon. Never blocks."""
        self._woken.set()

    async def push_pending(self) -> Pushed:
        """Push until the records pending when called are acknowledged, with up to
        `batches_in_flight` batches pushed at once; raises the classified `AgentError` of a
        failed call (see `rpc.sync_failure`) once the other pushes in flight ended."""
        async with self._lock:
            tally = _Tally()
            budget = await self._outbox.outbox_pending()
            flight: deque[_InFlight] = deque()
            tail = 0  # position of the last record pushed or in flight
            batch = await self._next(None, 0) if budget > 0 else None
            try:
                while True:
                    while batch is not None and len(flight) < self._depth:
                        if budget - tally.records - _records(flight) <= 0:
                            break
                        if batch.records:
                            flight.append(self._start(batch, flight))
                            tail = batch.last_position
                        # The next batch is prepared while this one is on the wire.
                        more = len(flight) < self._depth
                        more = more and budget - tally.records - _records(flight) > 0
                        batch = await self._next(None, tail) if more else None
                    if not flight:
                        break
                    head = flight.popleft()
                    try:
                        ack = await head.task
                    except BatchTooLarge as exc:
                        await self._settle(flight, tally)
                        budget -= await self._split(head.batch, exc)  # refused for good
                        tail = 0
                        batch = await self._next(None, 0)
                        continue
                    except asyncio.CancelledError:
                        raise  # stopping: the pushes behind it are cancelled below
                    except BaseException:
                        await self._settle(flight, tally)
                        raise
                    tally.add(ack, len(head.batch.records))
                    # Marks it sent and takes the next batch in one step (when the budget is
                    # spent too: the batch keeps its id and goes first in the next push).
                    batch = await self._next(head.batch.batch_id, tail)
            finally:
                for pushing in flight:
                    pushing.task.cancel()
            return Pushed(tally.batches, tally.ingested, tally.duplicates)

    def _start(self, batch: OutboxBatch, flight: deque[_InFlight]) -> _InFlight:
        # What stays in the outbox once this batch is acknowledged (the cloud's ops view).
        ahead = _records(flight) + len(batch.records)
        left = max(0, self._outbox.pending_now() - ahead)
        request = sync_pb2.PushRecordsRequest(
            batch_id=batch.batch_id, records=batch.records, outbox_pending=left
        )
        task = asyncio.create_task(self._channel.push_records(request, self._timeout))
        return _InFlight(batch, task)

    async def _settle(self, flight: deque[_InFlight], tally: _Tally) -> None:
        """After a failed push: let the pushes behind it end; mark the acknowledged sent."""
        while flight:
            pushing = flight.popleft()
            try:
                ack = await pushing.task
            except AgentError:
                continue  # pushed again later (the cloud ingests each record once)
            tally.add(ack, len(pushing.batch.records))
            await self._outbox.mark_sent(pushing.batch.batch_id)

    async def _split(self, batch: OutboxBatch, exc: BatchTooLarge) -> int:
        """Halve a batch the gateway refused as too large; how many records were refused."""
        if len(batch.records) == 1 and batch.records[0].ByteSize() < _SMALLEST_LIMIT:
            # No gateway limit is this small: the refusal is about something else (memory
            # pressure); back off and push the same record later.
            raise exc
        logger.warning("%s", exc)
        refused = await self._outbox.split(batch.batch_id, str(exc))
        if refused is None:
            return 0
        _log_refused((refused,))
        return 1

    async def _next(self, sent_batch_id: str | None, after: int) -> OutboxBatch | None:
        """The next batch after position `after`, after marking `sent_batch_id` sent (in the
        same transaction)."""
        if sent_batch_id is None:
            batch = await self._outbox.pending(self._batch, self._max_bytes, after)
        else:
            _, batch = await self._outbox.mark_sent_and_next(
                sent_batch_id, self._batch, self._max_bytes, after
            )
        if batch is not None and batch.refused:
            _log_refused(batch.refused)
        return batch

    async def run(self, stopping: asyncio.Event, interval_seconds: float) -> None:
        """Push on every wake and at least every `interval_seconds`, until `stopping`."""
        failures = 0
        while not stopping.is_set():
            await self._channel.wait_usable(stopping)
            if stopping.is_set():
                break
            self._woken.clear()
            try:
                pushed = await self.push_pending()
                if pushed.batches:
                    logger.info(
                        "upsync pushed %d batches (%d ingested, %d duplicates)",
                        pushed.batches,
                        pushed.ingested,
                        pushed.duplicates,
                    )
                failures = 0
            except AgentError as exc:
                failures += 1
                delay = random.uniform(0, min(self._retry_max, self._retry_initial * 2**failures))
                logger.warning("upsync failed (%s); next try in %.1f s", exc, delay)
                await wait_any(stopping, None, delay if exc.retryable else interval_seconds)
                continue
            await wait_any(stopping, self._woken, interval_seconds)


def _log_refused(refused: tuple[RefusedRecord, ...]) -> None:
    for record in refused:
        logger.error("upsync refused record %s for good: %s", record.record_id, record.reason)


def _records(flight: deque[_InFlight]) -> int:
    return sum(len(pushing.batch.records) for pushing in flight)
