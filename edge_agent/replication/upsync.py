"""Replication room: the upsync pusher. Sends outbox batches with PushRecords and marks each
batch sent once the cloud acknowledged it (a batch pushed twice is ingested once). A batch is
bounded by count and by encoded bytes (`batch_max_bytes`, below the gateway's max message
size); a batch the gateway still refuses as too large (`BatchTooLarge`) is split in half and
pushed again, and a single record too large to push is refused for good and logged (the
health page names it) while the rest keeps flowing.

Triggered by a POS record being written (`wake`, through `WakingOutbox`), by the fallback
schedule (`sync_interval_seconds`) and by RunUpsync (`push_pending`). One push runs at a time.
Touches the outbox (its port below) and the gateway through the `SyncCalls` port only.
"""

from __future__ import annotations

import asyncio
import logging
import random
from dataclasses import dataclass
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import sync_pb2
from edge_agent.errors import AgentError, BatchTooLarge
from edge_agent.outbox import DEFAULT_BATCH_MAX_BYTES, OutboxBatch, Recorded, RefusedRecord
from edge_agent.replication.ports import SyncCalls
from edge_agent.replication.waiting import wait_any

logger = logging.getLogger(__name__)

DEFAULT_BATCH_RECORDS = 500
# The smallest max_message_bytes a gateway may be configured with (cloud config).
_SMALLEST_LIMIT = 4096


class PendingOutbox(Protocol):
    """What the pusher needs from the outbox."""

    async def pending(self, limit: int = ..., max_bytes: int = ...) -> OutboxBatch | None: ...

    async def mark_sent_and_next(
        self, batch_id: str, limit: int = ..., max_bytes: int = ...
    ) -> tuple[int, OutboxBatch | None]: ...

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
        retry_initial_seconds: float = 0.2,
        retry_max_seconds: float = 10.0,
    ) -> None:
        self._channel = channel
        self._outbox = outbox
        self._timeout = rpc_timeout_seconds
        self._batch = batch_records
        self._max_bytes = batch_max_bytes
        self._retry_initial = retry_initial_seconds
        self._retry_max = retry_max_seconds
        self._lock = asyncio.Lock()
        self._woken = asyncio.Event()

    def wake(self) -> None:
        """Records are waiting: push soon. Never blocks."""
        self._woken.set()

    async def push_pending(self) -> Pushed:
        """Push until the records pending when called are acknowledged; raises the
        classified `AgentError` of a failed call (see `rpc.sync_failure`)."""
        async with self._lock:
            budget = await self._outbox.outbox_pending()
            batches = ingested = duplicates = 0
            batch = await self._next(None) if budget > 0 else None
            while budget > 0 and batch is not None:
                if not batch.records:  # only refusals: take the next batch
                    batch = await self._next(None)
                    continue
                # What stays in the outbox once this batch is acknowledged (the cloud's ops view).
                left = max(0, await self._outbox.outbox_pending() - len(batch.records))
                try:
                    ack = await self._channel.push_records(
                        sync_pb2.PushRecordsRequest(
                            batch_id=batch.batch_id, records=batch.records, outbox_pending=left
                        ),
                        self._timeout,
                    )
                except BatchTooLarge as exc:
                    if len(batch.records) == 1 and batch.records[0].ByteSize() < _SMALLEST_LIMIT:
                        # No gateway limit is this small: the refusal is about something
                        # else (memory pressure); back off and push the same record later.
                        raise
                    logger.warning("%s", exc)
                    refused = await self._outbox.split(batch.batch_id, str(exc))
                    if refused is not None:
                        _log_refused((refused,))
                        budget -= 1
                    batch = await self._next(None)
                    continue
                batches += 1
                ingested += ack.ingested
                duplicates += ack.duplicates
                budget -= len(batch.records)
                # The next batch is taken even when the budget is spent: it keeps its id
                # and goes first in the next push.
                batch = await self._next(batch.batch_id)
            return Pushed(batches, ingested, duplicates)

    async def _next(self, sent_batch_id: str | None) -> OutboxBatch | None:
        """The next batch, after marking `sent_batch_id` sent (in the same transaction)."""
        if sent_batch_id is None:
            batch = await self._outbox.pending(self._batch, self._max_bytes)
        else:
            _, batch = await self._outbox.mark_sent_and_next(
                sent_batch_id, self._batch, self._max_bytes
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
