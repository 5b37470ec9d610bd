"""Replication room: the upsync pusher. Sends outbox batches with PushRecords and marks each
batch sent once the cloud acknowledged it (a batch pushed twice is ingested once).

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
from edge_agent.errors import AgentError
from edge_agent.outbox import OutboxBatch, Recorded
from edge_agent.replication.ports import SyncCalls
from edge_agent.replication.waiting import wait_any

logger = logging.getLogger(__name__)

DEFAULT_BATCH_RECORDS = 500


class PendingOutbox(Protocol):
    """What the pusher needs from the outbox."""

    async def pending(self, limit: int = ...) -> OutboxBatch | None: ...

    async def mark_sent_and_next(
        self, batch_id: str, limit: int = ...
    ) -> tuple[int, OutboxBatch | None]: ...

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
        retry_initial_seconds: float = 0.2,
        retry_max_seconds: float = 10.0,
    ) -> None:
        self._channel = channel
        self._outbox = outbox
        self._timeout = rpc_timeout_seconds
        self._batch = batch_records
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
            batch = await self._outbox.pending(self._batch) if budget > 0 else None
            while budget > 0 and batch is not None:
                # What stays in the outbox once this batch is acknowledged (the cloud's ops view).
                left = max(0, await self._outbox.outbox_pending() - len(batch.records))
                ack = await self._channel.push_records(
                    sync_pb2.PushRecordsRequest(
                        batch_id=batch.batch_id, records=batch.records, outbox_pending=left
                    ),
                    self._timeout,
                )
                batches += 1
                ingested += ack.ingested
                duplicates += ack.duplicates
                budget -= len(batch.records)
                # The next batch is taken even when the budget is spent: it keeps its id
                # and goes first in the next push.
                _, batch = await self._outbox.mark_sent_and_next(batch.batch_id, self._batch)
            return Pushed(batches, ingested, duplicates)

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
