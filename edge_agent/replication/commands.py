"""Replication room: what RunDownsync and RunUpsync commands do on the agent, and the
ReplicationStatus they answer with (checkpoints, the projection's running checksums, the
outbox depth and, for upsync, per register and business day totals).

The command dispatcher (`edge_agent.control.commands`) calls these and records the result
under the command id, so a redelivered command gets the same answer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import edge_pb2, sync_pb2
from edge_agent.errors import UnsupportedStream
from edge_agent.replication.downsync import Downsync, ReplicaStore, bound_down_streams
from edge_agent.replication.status import replication_status
from edge_agent.replication.upsync import Upsync


class OutboxStatus(Protocol):
    async def outbox_pending(self) -> int: ...

    async def register_day_totals(self) -> list[sync_pb2.RegisterDayTotals]: ...


class ReplicationCommands:
    """Handlers of the replication commands, given the pull and push clients."""

    def __init__(
        self,
        downsync: Downsync,
        upsync: Upsync,
        projection: ReplicaStore,
        outbox: OutboxStatus,
    ) -> None:
        self._downsync = downsync
        self._upsync = upsync
        self._projection = projection
        self._outbox = outbox

    def site_config_applied(self) -> None:
        self._downsync.poke()

    async def run_downsync(
        self, command: edge_pb2.RunDownsyncCommand
    ) -> sync_pb2.ReplicationStatus:
        bound = set(await bound_down_streams(self._projection))
        wanted = set(command.streams) | {h.stream for h in command.heads}
        unbound = sorted(wanted - bound)
        if unbound:
            raise UnsupportedStream(
                f"RunDownsync names stream(s) {', '.join(unbound)} this site is not bound to "
                f"(bound: {', '.join(sorted(bound)) or 'none yet'}); nothing pulled. Apply the "
                "site configuration first, or name only bound streams"
            )
        await self._downsync.pull_until({h.stream: h.applied_seq for h in command.heads})
        return await self.status(streams=set(command.streams) or bound, totals=False)

    async def run_upsync(self, command: edge_pb2.RunUpsyncCommand) -> sync_pb2.ReplicationStatus:
        await self._upsync.push_pending()
        return await self.status(streams=None, totals=True)

    async def status(self, *, streams: set[str] | None, totals: bool) -> sync_pb2.ReplicationStatus:
        """The store's side now (`status.replication_status`), limited to `streams`."""
        states = [
            s
            for s in await self._projection.stream_states()
            if streams is None or s.stream in streams
        ]
        days = await self._outbox.register_day_totals() if totals else []
        return replication_status(
            states, await self._outbox.outbox_pending(), days, datetime.now(UTC)
        )
