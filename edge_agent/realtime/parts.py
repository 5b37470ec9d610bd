"""Realtime room: builds the router's parts for the daemon (the composition root calls
`RealtimeParts.open` and `close`), so the daemon wires them in a few lines.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from edge_agent.projection import StoredSiteConfig
from edge_agent.realtime.calls import RealtimeChannel
from edge_agent.realtime.journal import Journal
from edge_agent.realtime.router import RealtimeRouter, Settler
from edge_agent.transport import Keepalive


class SiteConfigReads(Protocol):
    async def site_config(self) -> StoredSiteConfig | None: ...


@dataclass
class RealtimeParts:
    channel: RealtimeChannel
    journal: Journal
    router: RealtimeRouter
    settler: Settler

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
        return asyncio.ensure_future(self.settler.run(stopping, interval_seconds))

    async def close(self) -> None:
        await self.channel.close()
        await self.journal.close()
