"""Replication room: the downsync client. Pulls the site's bound streams after their
checkpoints and applies every page through the projection (off the loop): a response's pages
are prepared (decoded, checked, hashed) as soon as it arrives, while the writer still applies
the pages before them, then applied in order (`prepare_page`, `apply_prepared`).

A stream behind the cloud's compaction floor, or one being rebuilt (`rebuild`), comes as
snapshot pages (staged, then swapped in) and then its tail; a snapshot cut off part-way starts
again from its first page. Triggered by ChangesAvailable frames (`poke`, never blocking the
control stream's read loop), by the fallback schedule (`sync_interval_seconds`), by RunDownsync
(`pull_until`) and by RebuildProjection (`rebuild`). One pull runs at a time; a page already
applied is a no-op, so overlapping triggers are harmless.
Touches the projection (its port below) and the gateway through the `SyncCalls` port only.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import store_site_pb2, sync_pb2
from edge_agent.errors import AgentError, PageOutOfOrder
from edge_agent.health_signals import HealthSignals
from edge_agent.projection import AppliedPage, PreparedPage, StoredSiteConfig, StreamState
from edge_agent.replication.ports import SyncCalls
from edge_agent.replication.waiting import wait_any

logger = logging.getLogger(__name__)

DEFAULT_MAX_CHANGES = 10_000
MAX_RESTARTS = 3
"""Pages out of order in one pull before it gives up (the error is retryable: next trigger)."""
ACCEPT = [sync_pb2.PAGE_ENCODING_ZLIB, sync_pb2.PAGE_ENCODING_PLAIN]


_Fetched = tuple[sync_pb2.PullChangesResponse, list["asyncio.Future[PreparedPage]"]]
"""A pulled response and its pages being prepared, in order."""


async def _settle(preparing: Iterable[asyncio.Future[PreparedPage]]) -> None:
    """Cancel and reap page preparations no longer wanted (none is left unobserved)."""
    for future in preparing:
        future.cancel()
    await asyncio.gather(*preparing, return_exceptions=True)


async def _drop(fetching: asyncio.Future[_Fetched]) -> None:
    """Cancel a fetch ahead that is no longer wanted, with the preparations it started."""
    fetching.cancel()
    await asyncio.gather(fetching, return_exceptions=True)
    if fetching.done() and not fetching.cancelled() and fetching.exception() is None:
        await _settle(fetching.result()[1])


class StillBehind(AgentError):
    """A directed pull ended before the projection reached the heads it was asked for."""

    reason = "StillBehind"
    retryable = True


def _after(
    cursor: sync_pb2.StreamCheckpoint, page: sync_pb2.ChangePage, applied_seq: int | None = None
) -> sync_pb2.StreamCheckpoint:
    """Where a stream stands once `page` is applied (at `applied_seq`, else its through_seq):
    mid-snapshot it keeps its checkpoint and asks for the next snapshot page."""
    if page.snapshot and not page.snapshot_complete:
        return sync_pb2.StreamCheckpoint(
            stream=page.stream,
            applied_seq=cursor.applied_seq,
            want_snapshot=True,
            snapshot_resume_token=page.resume_token,
        )
    seq = page.through_seq if applied_seq is None else applied_seq
    return sync_pb2.StreamCheckpoint(stream=page.stream, applied_seq=seq)


class ReplicaStore(Protocol):
    """What the downsync client needs from the projection."""

    async def site_config(self) -> StoredSiteConfig | None: ...

    async def stream_states(self) -> list[StreamState]: ...

    async def prepare_page(self, page: sync_pb2.ChangePage) -> PreparedPage: ...

    async def apply_prepared(self, prepared: PreparedPage) -> AppliedPage: ...


async def bound_down_streams(store: ReplicaStore) -> list[str]:
    """The down streams of the applied site configuration (none before the first one)."""
    stored = await store.site_config()
    if stored is None:
        return []
    return sorted(
        {
            b.stream
            for b in stored.config.bindings
            if b.direction == store_site_pb2.REPLICATION_DIRECTION_DOWN
        }
    )


class Downsync:
    """Pulls and applies pages until the gateway says there are no more."""

    def __init__(
        self,
        channel: SyncCalls,
        store: ReplicaStore,
        *,
        rpc_timeout_seconds: float = 15.0,
        max_changes: int = DEFAULT_MAX_CHANGES,
        retry_initial_seconds: float = 0.2,
        retry_max_seconds: float = 10.0,
        outbox_pending: Callable[[], Awaitable[int]] | None = None,
        signals: HealthSignals | None = None,
    ) -> None:
        self._channel = channel
        self._signals = signals
        self._store = store
        self._outbox_pending = outbox_pending
        self._timeout = rpc_timeout_seconds
        self._max_changes = max_changes
        self._retry_initial = retry_initial_seconds
        self._retry_max = retry_max_seconds
        self._lock = asyncio.Lock()
        self._poked = asyncio.Event()
        self._rebuilding: set[str] = set()
        self.applied_changes = 0
        """Changes applied since start (status, tests)."""

    def poke(self, heads: Iterable[sync_pb2.StreamCheckpoint] = ()) -> None:
        """Changes are waiting (a ChangesAvailable frame): pull soon. Never blocks."""
        self._poked.set()

    async def pull(self) -> int:
        """Pull every bound stream until no `more`; the changes applied. Raises the
        classified `AgentError` of a failed call (see `rpc.sync_failure`)."""
        async with self._lock:
            return await self._pull_locked()

    def _cursors(
        self, streams: Iterable[str], states: Iterable[StreamState]
    ) -> dict[str, sync_pb2.StreamCheckpoint]:
        """Where each stream stands, as a pull asks after it: a stream to rebuild, or one
        whose snapshot was cut off part-way, asks for a snapshot from the start."""
        by_name = {s.stream: s for s in states}
        cursors: dict[str, sync_pb2.StreamCheckpoint] = {}
        for stream in streams:
            state = by_name.get(stream)
            cursors[stream] = sync_pb2.StreamCheckpoint(
                stream=stream,
                applied_seq=state.applied_seq if state is not None else 0,
                want_snapshot=stream in self._rebuilding
                or (state is not None and state.snapshot_through_seq is not None),
            )
        return cursors

    async def _pull_locked(self) -> int:
        streams = await bound_down_streams(self._store)
        if not streams:
            return 0
        cursors = self._cursors(streams, await self._store.stream_states())
        applied = 0
        restarts = 0
        # The next response is fetched (and its pages prepared) while this one is applied;
        # it asks after the pages being applied, and is dropped if one of them fails.
        fetching: asyncio.Future[_Fetched] | None = asyncio.ensure_future(
            self._fetch_prepared(cursors)
        )
        current: _Fetched | None = None
        try:
            while fetching is not None:
                current = await fetching
                response, preparing = current
                fetching = None
                if response.more and response.pages:
                    ahead = dict(cursors)
                    ahead.update({p.stream: _after(ahead[p.stream], p) for p in response.pages})
                    fetching = asyncio.ensure_future(self._fetch_prepared(ahead))
                for page, prepared in zip(response.pages, preparing, strict=True):
                    try:
                        done = await self._store.apply_prepared(await prepared)
                    except PageOutOfOrder:
                        # Not where we stood: read the checkpoints and ask again from there.
                        restarts += 1
                        if restarts > MAX_RESTARTS:
                            raise
                        cursors = self._cursors(streams, await self._store.stream_states())
                        if fetching is not None:
                            await _drop(fetching)
                        fetching = asyncio.ensure_future(self._fetch_prepared(cursors))
                        break
                    cursors[page.stream] = _after(cursors[page.stream], page, done.applied_seq)
                    if page.snapshot and page.snapshot_complete and not done.duplicate:
                        self._rebuilding.discard(page.stream)
                        logger.info(
                            "stream %s replaced by a snapshot at seq %d (%d rows)",
                            page.stream,
                            done.applied_seq,
                            done.rows,
                        )
                    applied += done.changes
                else:
                    if fetching is None and response.pages:
                        # The last pages are applied: one more pull tells the cloud where this
                        # store now stands (its applied seqs) and takes what came meanwhile.
                        fetching = asyncio.ensure_future(self._fetch_prepared(cursors))
                await _settle(preparing)
                current = None
        finally:
            if current is not None:
                await _settle(current[1])
            if fetching is not None:
                await _drop(fetching)
            self.applied_changes += applied
        return applied

    async def _fetch_prepared(self, cursors: Mapping[str, sync_pb2.StreamCheckpoint]) -> _Fetched:
        """`_fetch`, then each page's preparation started at once (awaited when applied)."""
        response = await self._fetch(cursors)
        return response, [
            asyncio.ensure_future(self._store.prepare_page(page)) for page in response.pages
        ]

    async def _fetch(
        self, cursors: Mapping[str, sync_pb2.StreamCheckpoint]
    ) -> sync_pb2.PullChangesResponse:
        """One PullChanges call after `cursors`; the classified error if it fails."""
        request = sync_pb2.PullChangesRequest(
            checkpoints=[cursors[s] for s in sorted(cursors)],
            max_changes=self._max_changes,
            accept=ACCEPT,
        )
        if self._outbox_pending is not None:
            request.outbox_pending = await self._outbox_pending()
        if self._signals is None:
            return await self._channel.pull_changes(request, self._timeout)
        request.health.CopyFrom(self._signals.to_proto())
        response = await self._channel.pull_changes(request, self._timeout)
        for page in response.pages:
            self._signals.stream_lag(page.stream, page.head_seq, page.through_seq)
        if not response.more:
            self._signals.caught_up(set(cursors) - {p.stream for p in response.pages})
        return response

    async def pull_until(self, heads: Mapping[str, int], *, attempts: int = 20) -> None:
        """Pull until every stream in `heads` is applied at least that far."""
        for attempt in range(attempts):
            await self.pull()
            states = {s.stream: s.applied_seq for s in await self._store.stream_states()}
            if all(states.get(stream, 0) >= seq for stream, seq in heads.items()):
                return
            await asyncio.sleep(min(self._retry_max, self._retry_initial * 2**attempt))
        raise StillBehind(
            f"after {attempts} pulls the projection is still behind the heads {dict(heads)}; "
            "the command may be sent again"
        )

    def request_rebuild(self, streams: Iterable[str]) -> None:
        """Have the next pull (soon) replace `streams` with the cloud's snapshot. Never blocks."""
        self._rebuilding.update(streams)
        self._poked.set()

    async def rebuild(self, streams: Iterable[str], *, attempts: int = 20) -> None:
        """Replace `streams` with a snapshot of the cloud's live records plus the tail: the
        rows are staged, then swapped in with the checkpoint (readers see the old rows until
        then). Raises `StillBehind` (retryable) when a snapshot did not complete."""
        wanted = set(streams)
        self._rebuilding.update(wanted)
        for attempt in range(attempts):
            await self.pull()
            if not self._rebuilding & wanted:
                return
            await asyncio.sleep(min(self._retry_max, self._retry_initial * 2**attempt))
        raise StillBehind(
            f"after {attempts} pulls the snapshot of {', '.join(sorted(wanted))} has not "
            "completed; the command may be sent again"
        )

    async def run(self, stopping: asyncio.Event, interval_seconds: float) -> None:
        """Pull on every poke and at least every `interval_seconds`, until `stopping`."""
        failures = 0
        while not stopping.is_set():
            await self._channel.wait_usable(stopping)
            if stopping.is_set():
                break
            self._poked.clear()
            try:
                count = await self.pull()
                if count:
                    logger.info("downsync applied %d changes", count)
                failures = 0
            except AgentError as exc:
                failures += 1
                delay = random.uniform(0, min(self._retry_max, self._retry_initial * 2**failures))
                logger.warning("downsync failed (%s); next try in %.1f s", exc, delay)
                await wait_any(stopping, None, delay if exc.retryable else interval_seconds)
                continue
            await wait_any(stopping, self._poked, interval_seconds)
