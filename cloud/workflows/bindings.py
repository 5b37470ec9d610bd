"""Pure rules deriving a store site's replication bindings from its sales channel."""

from __future__ import annotations

from ameide_core_proto.process.commerce.v1 import store_site_pb2

# What every store sends up, whatever its channel (records.proto, "Up").
UPSYNC_STREAMS: tuple[str, ...] = ("sales", "returns", "inventory-adjustments")
# What a channel publishes when it names no streams of its own (records.proto, "Down").
DEFAULT_DOWNSYNC_STREAMS: tuple[str, ...] = ("catalog", "prices", "promotions", "customers")
# What every store receives about itself (its tills and taxes), scoped to the site.
SITE_DOWNSYNC_STREAMS: tuple[str, ...] = ("store-config",)


def derive_replication_bindings(
    site_id: str, sales_channel_id: str, channel_streams: list[str]
) -> list[store_site_pb2.ReplicationBinding]:
    """Down streams scoped to the channel (plus the site's own configuration), up streams
    scoped to the site, in a stable order."""
    down = sorted(set(channel_streams) - set(SITE_DOWNSYNC_STREAMS)) or list(
        DEFAULT_DOWNSYNC_STREAMS
    )
    bindings = [
        store_site_pb2.ReplicationBinding(
            stream=stream,
            direction=store_site_pb2.REPLICATION_DIRECTION_DOWN,
            scope=f"channel/{sales_channel_id}",
        )
        for stream in down
    ]
    bindings += [
        store_site_pb2.ReplicationBinding(
            stream=stream,
            direction=store_site_pb2.REPLICATION_DIRECTION_DOWN,
            scope=f"site/{site_id}",
        )
        for stream in SITE_DOWNSYNC_STREAMS
    ]
    bindings += [
        store_site_pb2.ReplicationBinding(
            stream=stream,
            direction=store_site_pb2.REPLICATION_DIRECTION_UP,
            scope=f"site/{site_id}",
        )
        for stream in UPSYNC_STREAMS
    ]
    return bindings
