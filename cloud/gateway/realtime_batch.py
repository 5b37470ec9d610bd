"""Group commit of the cloud's real-time decisions: calls that arrive while a batch is being
written wait together and go to the ledger as the next batch (one transaction, one commit).

Gateway room: holds the calls waiting on the event loop and runs the ledger's blocking
`decide_many` in a thread (never on the loop); each caller is answered once its batch is
durable, with its own answer or error.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.adapters.store.errors import StoreError
from cloud.adapters.store.realtime_records import Settled
from shared.errors import InvalidInput

__all__ = ["BatchDecisions", "DecisionBatcher"]

logger = logging.getLogger(__name__)

_Call = tuple[str, realtime_pb2.RealtimeOperation, "asyncio.Future[Settled]"]


class BatchDecisions(Protocol):
    def decide_many(
        self, calls: Sequence[tuple[str, realtime_pb2.RealtimeOperation]], now: datetime
    ) -> list[Settled | InvalidInput | StoreError]: ...


class DecisionBatcher:
    """One writer at a time; everything that queued meanwhile is the next batch."""

    def __init__(self, ledger: BatchDecisions, max_batch: int = 256) -> None:
        self._ledger = ledger
        self._max = max_batch
        self._queued: list[_Call] = []
        self._writer: asyncio.Task[None] | None = None

    async def decide(self, site_id: str, op: realtime_pb2.RealtimeOperation) -> Settled:
        """The ledger's answer to `op` for `site_id` once it is committed; raises what
        `decide` would raise (`InvalidInput`, `StoreError`)."""
        answer: asyncio.Future[Settled] = asyncio.get_running_loop().create_future()
        self._queued.append((site_id, op, answer))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())
        # The batch runs in the writer task: it completes even when this caller stops
        # waiting (its future is then cancelled and skipped).
        return await answer

    async def _write_batches(self) -> None:
        while self._queued:
            batch, self._queued = self._queued[: self._max], self._queued[self._max :]
            try:
                answers = await asyncio.to_thread(
                    self._ledger.decide_many,
                    [(site_id, op) for site_id, op, _ in batch],
                    datetime.now(UTC),
                )
            except Exception as exc:  # the whole batch failed: every caller gets the error
                logger.warning("a batch of %d real-time decisions failed: %s", len(batch), exc)
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, _, future), answer in zip(batch, answers, strict=True):
                if future.done():
                    continue
                if isinstance(answer, Exception):
                    future.set_exception(answer)
                else:
                    future.set_result(answer)
