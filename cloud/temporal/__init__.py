"""Temporal on the cloud side: the CLI binary, the embedded dev server and client connection.

Nothing here is workflow code; this package may start processes and open network connections.
"""

from __future__ import annotations

from cloud.temporal.cli_binary import default_cache_dir, resolve_temporal_cli
from cloud.temporal.connect import (
    TemporalSettings,
    connect_client,
    open_temporal,
    worker_build_id,
)
from cloud.temporal.devserver import DEFAULT_SEARCH_ATTRIBUTES, DevServer
from cloud.temporal.errors import DevServerError, TemporalUnavailable

__all__ = [
    "DEFAULT_SEARCH_ATTRIBUTES",
    "DevServer",
    "DevServerError",
    "TemporalSettings",
    "TemporalUnavailable",
    "connect_client",
    "default_cache_dir",
    "open_temporal",
    "resolve_temporal_cli",
    "worker_build_id",
]
