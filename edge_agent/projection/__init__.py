"""The agent's local SQLite projection (site config, applied commands, connection state)."""

from __future__ import annotations

from edge_agent.projection.store import (
    ConnectionState,
    Projection,
    StoredSiteConfig,
    database_path,
)

__all__ = ["ConnectionState", "Projection", "StoredSiteConfig", "database_path"]
