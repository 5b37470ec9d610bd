"""Replication room: watching the projection's database file while the agent runs.

Every few seconds asks the projection whether its file was deleted or replaced under it
(`restore_if_gone`, on the projection's writer thread, never on the loop). When it was, the
projection has already re-created the file from the connection it still held (site
configuration, applied commands, checkpoints and rows as last committed); this then has the
downsync client rebuild every bound stream from the cloud's snapshot plus the tail, so the
rows are proven against the cloud's again rather than trusted. The outbox is a separate file
and is not touched.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from edge_agent.errors import AgentError
from edge_agent.replication.downsync import Downsync, ReplicaStore, bound_down_streams
from edge_agent.replication.waiting import wait_any

logger = logging.getLogger(__name__)

DEFAULT_CHECK_SECONDS = 5.0


async def rebuild_after_start(store: ReplicaStore, downsync: Downsync, why: str) -> None:
    """The projection file was missing or damaged at start and made anew (its site
    configuration put back from the copy kept beside it): have the downsync client fill
    every bound stream from the cloud's snapshot."""
    streams = await bound_down_streams(store)
    logger.error(
        "%s; rebuilding %s from the cloud's snapshot",
        why,
        ", ".join(streams) or "nothing yet (no site configuration kept: the cloud sends it)",
    )
    downsync.request_rebuild(streams)


class RestorableStore(ReplicaStore, Protocol):
    async def restore_if_gone(self) -> bool: ...


async def watch_projection_file(
    store: RestorableStore,
    downsync: Downsync,
    stopping: asyncio.Event,
    interval_seconds: float = DEFAULT_CHECK_SECONDS,
) -> None:
    """Until `stopping`: re-create a deleted database file and rebuild its streams."""
    failing = False
    while not stopping.is_set():
        await wait_any(stopping, None, interval_seconds)
        if stopping.is_set():
            break
        try:
            restored = await store.restore_if_gone()
        except AgentError as exc:
            if not failing:
                logger.error(
                    "the local state database file was deleted and could not be re-created "
                    "(%s); the agent keeps its open copy and tries again",
                    exc,
                )
            failing = True
            continue
        failing = False
        if restored:
            streams = await bound_down_streams(store)
            logger.error(
                "the local state database file was deleted while the agent ran; re-created it "
                "from the agent's open copy, rebuilding %s from the cloud's snapshot",
                ", ".join(streams) or "no bound stream",
            )
            downsync.request_rebuild(streams)
