"""Replication room: what RunDownsync, RunUpsync and RebuildProjection commands do on the
agent, and the ReplicationStatus they answer with (checkpoints, the projection's running
checksums, the outbox depth and, for upsync, per register and business day totals).

The command dispatcher (`edge_agent.control.commands`) calls these and records the result
under the command id, so a redelivered command gets the same answer.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import edge_pb2, sync_pb2
from edge_agent.errors import UnsupportedStream
from edge_agent.health_signals import HealthSignals
from edge_agent.replication.downsync import Downsync, ReplicaStore, bound_down_streams
from edge_agent.replication.status import replication_status
from edge_agent.replication.upsync import Upsync
from shared.checksums import TableDigest

logger = logging.getLogger(__name__)


class OutboxStatus(Protocol):
    async def outbox_pending(self) -> int: ...

    async def register_day_totals(self) -> list[sync_pb2.RegisterDayTotals]: ...


class VerifiableReplica(ReplicaStore, Protocol):
    """The projection, able to recompute a stream's checksum from its rows."""

    async def scan_digest(self, stream: str) -> TableDigest: ...


class ReplicationCommands:
    """Handlers of the replication commands, given the pull and push clients."""

    def __init__(
        self,
        downsync: Downsync,
        upsync: Upsync,
        projection: VerifiableReplica,
        outbox: OutboxStatus,
        *,
        signals: HealthSignals | None = None,
    ) -> None:
        self._signals = signals
        self._downsync = downsync
        self._upsync = upsync
        self._projection = projection
        self._outbox = outbox

    def site_config_applied(self) -> None:
        self._downsync.poke()

    async def _bound(self, named: Iterable[str], what: str) -> set[str]:
        """`named` (every bound stream when empty); `UnsupportedStream` for unbound ones."""
        bound = set(await bound_down_streams(self._projection))
        wanted = set(named)
        unbound = sorted(wanted - bound)
        if unbound:
            raise UnsupportedStream(
                f"{what} names stream(s) {', '.join(unbound)} this site is not bound to "
                f"(bound: {', '.join(sorted(bound)) or 'none yet'}); nothing pulled. Apply the "
                "site configuration first, or name only bound streams"
            )
        return wanted or bound

    async def _verified_status(self, streams: set[str]) -> sync_pb2.ReplicationStatus:
        status = await self.status(streams=streams, totals=False)
        # The checksums are recomputed from the rows themselves: the report proves the file
        # holds what the cloud has, not only what the agent meant to write.
        mismatched: list[str] = []
        for checksum in status.checksums:
            scanned = await self._projection.scan_digest(checksum.table)
            if (scanned.rows, scanned.hex) != (checksum.rows, checksum.digest):
                logger.error(
                    "stream %s: its rows add up to %d rows / %s, its running checksum says "
                    "%d rows / %s: the projection file was changed behind the agent's back",
                    checksum.table,
                    scanned.rows,
                    scanned.hex,
                    checksum.rows,
                    checksum.digest,
                )
                mismatched.append(checksum.table)
            checksum.rows, checksum.digest = scanned.rows, scanned.hex
        if self._signals is not None:
            self._signals.checksums_verified(mismatched)
        return status

    async def run_downsync(
        self, command: edge_pb2.RunDownsyncCommand
    ) -> sync_pb2.ReplicationStatus:
        bound = await self._bound(
            list(command.streams) + [h.stream for h in command.heads], "RunDownsync"
        )
        streams = set(command.streams) or bound
        applied_before = self._downsync.applied_changes
        await self._downsync.pull_until({h.stream: h.applied_seq for h in command.heads})
        status = await self._verified_status(streams)
        status.changes_applied = self._downsync.applied_changes - applied_before
        return status

    async def rebuild_projection(
        self, command: edge_pb2.RebuildProjectionCommand
    ) -> sync_pb2.ReplicationStatus:
        """Replace the named streams (every bound one when none is named) with a snapshot of
        the cloud's live records plus the tail; the outbox is untouched."""
        streams = await self._bound(command.streams, "RebuildProjection")
        logger.warning(
            "rebuilding the projection of %s from the cloud's snapshot (reason: %s)",
            ", ".join(sorted(streams)) or "no stream",
            command.reason or "none given",
        )
        applied_before = self._downsync.applied_changes
        await self._downsync.rebuild(streams)
        status = await self._verified_status(streams)
        status.changes_applied = self._downsync.applied_changes - applied_before
        return status

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
