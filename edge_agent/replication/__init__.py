"""Replication room: the streams this agent release can keep in its projection or send up."""

from edge_agent.replication.streams import DOWNSYNC_STREAMS, UPSYNC_STREAMS, unsupported_bindings

__all__ = ["DOWNSYNC_STREAMS", "UPSYNC_STREAMS", "unsupported_bindings"]
