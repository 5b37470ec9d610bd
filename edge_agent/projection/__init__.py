"""The agent's local SQLite projection (site config, applied commands, connection state)."""

from __future__ import annotations

# What a failed read of the database raises, for callers outside this room (which never import
# sqlite3 themselves).
from sqlite3 import Error as DatabaseError

from edge_agent.projection.store import (
    ConnectionState,
    Projection,
    StoredSiteConfig,
    database_path,
)

__all__ = [
    "ConnectionState",
    "DatabaseError",
    "Projection",
    "StoredSiteConfig",
    "database_path",
]
