"""Replication room, pure: the store's side of replication as a command result reports it.

Builds `ReplicationStatus` (checkpoints, running table checksums, outbox depth, register-day
totals) from what the projection and the outbox hand over; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from ameide_core_proto.process.commerce.v1 import replication_pb2, sync_pb2
from edge_agent.projection import StreamState


def replication_status(
    streams: Iterable[StreamState],
    outbox_pending: int,
    register_days: Iterable[sync_pb2.RegisterDayTotals],
    now: datetime,
) -> sync_pb2.ReplicationStatus:
    """What the store holds; a stream mid-snapshot reports its last applied rows."""
    states = sorted(streams, key=lambda s: s.stream)
    status = sync_pb2.ReplicationStatus(
        checkpoints=[
            sync_pb2.StreamCheckpoint(stream=s.stream, applied_seq=s.applied_seq) for s in states
        ],
        checksums=[
            replication_pb2.TableChecksum(table=s.stream, rows=s.digest.rows, digest=s.digest.hex)
            for s in states
        ],
        outbox_pending=outbox_pending,
        register_days=list(register_days),
    )
    status.reported_at.FromDatetime(now)
    return status
