"""Replication room: the port through which the sync clients reach the gateway.

The adapter is `edge_agent.control.sync_channel.SyncChannel` (the control stream's room owns
the network); every failure it raises is an already classified `AgentError`.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import sync_pb2


class SyncCalls(Protocol):
    """EdgeSyncService as the agent calls it."""

    async def wait_usable(self, stopping: asyncio.Event) -> None: ...

    async def pull_changes(
        self, request: sync_pb2.PullChangesRequest, timeout: float
    ) -> sync_pb2.PullChangesResponse: ...

    async def push_records(
        self, request: sync_pb2.PushRecordsRequest, timeout: float
    ) -> sync_pb2.PushRecordsResponse: ...
