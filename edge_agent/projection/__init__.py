"""The agent's local SQLite projection (site config, commands, connection state, downsync streams).

Disk work runs off the event loop (one writer thread, reader threads); see `store.Projection`.
"""

from __future__ import annotations

from edge_agent.projection._apply import AppliedPage, PreparedPage
from edge_agent.projection._records import ConnectionState, StoredSiteConfig
from edge_agent.projection._schema import database_path
from edge_agent.projection._start_check import StartRebuild
from edge_agent.projection._streams_state import StreamState
from edge_agent.projection.store import (
    DEFAULT_BUSY_TIMEOUT_SECONDS,
    Projection,
    read_connection_state,
    read_start_rebuild,
    read_stream_states,
)

__all__ = [
    "DEFAULT_BUSY_TIMEOUT_SECONDS",
    "AppliedPage",
    "ConnectionState",
    "PreparedPage",
    "Projection",
    "StartRebuild",
    "StoredSiteConfig",
    "StreamState",
    "database_path",
    "read_connection_state",
    "read_start_rebuild",
    "read_stream_states",
]
