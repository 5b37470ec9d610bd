"""Realtime room: builds the router's parts for the daemon (the composition root calls
`RealtimeParts.open` and `close`), so the daemon wires them in a few lines.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from edge_agent.errors import AgentError
from edge_agent.projection import StoredSiteConfig
from edge_agent.realtime.calls import RealtimeChannel
from edge_agent.realtime.journal import Journal
from edge_agent.realtime.router import RealtimeRouter, Settler, business_day
from edge_agent.realtime.status import RealtimeStatus, build_realtime_status
from edge_agent.replication.waiting import wait_any
from edge_agent.transport import Keepalive

logger = logging.getLogger(__name__)


class SiteConfigReads(Protocol):
    async def site_config(self) -> StoredSiteConfig | None: ...


REFRESH_SECONDS = 2.0


@dataclass
class RealtimeParts:
    channel: RealtimeChannel
    journal: Journal
    router: RealtimeRouter
    settler: Settler
    latest: RealtimeStatus | None = None
    """What the health page shows; refreshed off the event loop every REFRESH_SECONDS."""

    @classmethod
    async def open(
        cls,
        data_dir: Path,
        projection: SiteConfigReads,
        *,
        keepalive: Keepalive,
        deadline_seconds: float,
        rpc_timeout_seconds: float,
        busy_timeout_seconds: float,
    ) -> RealtimeParts:
        journal = await Journal.open(data_dir, busy_timeout_seconds)
        channel = RealtimeChannel(data_dir, keepalive)
        channel.attach(None)  # shares the control stream's connection once it is up
        settler = Settler(channel, journal, rpc_timeout_seconds=rpc_timeout_seconds)

        async def site_config() -> store_site_pb2.SiteConfig | None:
            stored = await projection.site_config()
            return None if stored is None else stored.config

        router = RealtimeRouter(
            channel,
            journal,
            site_config,
            deadline_seconds=deadline_seconds,
            on_offline_decision=settler.wake,
        )
        return cls(channel, journal, router, settler)

    def attach(self, channel: Any) -> None:
        """The control stream's channel came or went; a new one means: settle now."""
        self.channel.attach(channel)
        if channel is not None:
            self.settler.wake()

    def run(self, stopping: asyncio.Event, interval_seconds: float) -> asyncio.Future[None]:
        return asyncio.ensure_future(self._run(stopping, interval_seconds))

    async def _run(self, stopping: asyncio.Event, interval_seconds: float) -> None:
        await asyncio.gather(self.settler.run(stopping, interval_seconds), self._refresh(stopping))

    async def refresh(self) -> RealtimeStatus:
        policies = await self.router.policies()
        await self.journal.save_policies(policies)
        day = business_day(await self.router.site_config(), datetime.now(UTC))
        summary = await self.journal.summary(day)
        self.latest = build_realtime_status(policies, summary, self.router.connected)
        return self.latest

    async def _refresh(self, stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                await self.refresh()
            except AgentError as exc:
                logger.warning("real-time status not refreshed: %s", exc)
            await wait_any(stopping, None, REFRESH_SECONDS)

    async def close(self) -> None:
        await self.channel.close()
        await self.journal.close()
