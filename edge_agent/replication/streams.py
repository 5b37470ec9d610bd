"""Replication room: which streams this agent release understands, in which direction.

Pure: names only. A site configuration that binds a stream this release cannot replicate is
refused for good (`UnsupportedStream`): the cloud may be newer than the agent, and trying the
same configuration again cannot help until the agent is upgraded or the channel changed.
"""

from __future__ import annotations

from collections.abc import Iterable

from ameide_core_proto.process.commerce.v1 import store_site_pb2

# What the cloud may send down to the store's projection (records.proto, "Down").
DOWNSYNC_STREAMS: frozenset[str] = frozenset(
    {"catalog", "prices", "promotions", "customers", "store-config"}
)
# What the store sends up (records.proto, "Up").
UPSYNC_STREAMS: frozenset[str] = frozenset({"sales", "returns", "inventory-adjustments"})

_KNOWN = {
    store_site_pb2.REPLICATION_DIRECTION_DOWN: DOWNSYNC_STREAMS,
    store_site_pb2.REPLICATION_DIRECTION_UP: UPSYNC_STREAMS,
}


def unsupported_bindings(
    bindings: Iterable[store_site_pb2.ReplicationBinding],
) -> list[store_site_pb2.ReplicationBinding]:
    """The bindings whose stream this release cannot replicate in the bound direction."""
    return [b for b in bindings if b.stream not in _KNOWN.get(b.direction, frozenset())]
