"""Projection room: a copy of the applied site configuration kept beside the database file.

The projection database holds the site configuration, but a database file lost or damaged
while the agent was stopped would take it along: the agent would start with no bound streams
until the cloud sent the configuration again. This keeps the last applied configuration (and
the command that carried it) in `state/site-config.json`, replaced atomically after every
apply, so a start can rebuild from it. Blocking file I/O; never on an event loop. Touches
only that file (and its temporary twin).
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
from pathlib import Path

from google.protobuf.message import DecodeError

from ameide_core_proto.process.commerce.v1 import store_site_pb2
from edge_agent.projection._records import StoredSiteConfig

logger = logging.getLogger(__name__)


def config_copy_path(database: Path) -> Path:
    """Where the copy of the site configuration lives, beside the database at `database`."""
    return database.with_name("site-config.json")


def write_config_copy(path: Path, stored: StoredSiteConfig) -> None:
    """Replace the copy at `path` with `stored`: written beside it, flushed, renamed."""
    body = {
        "site_id": stored.config.site_id,
        "generation": stored.config.generation,
        "command_id": stored.command_id,
        "applied_at": stored.applied_at,
        "config_pb": base64.b64encode(stored.config.SerializeToString()).decode("ascii"),
    }
    staged = path.with_name(path.name + ".new")
    with staged.open("w", encoding="utf-8") as out:
        json.dump(body, out, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(staged, path)
    with contextlib.suppress(OSError):  # the rename itself, durable where the OS allows
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)


def read_config_copy(path: Path) -> StoredSiteConfig | None:
    """The copy at `path`; None when there is none or it cannot be read (said in the log)."""
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        config = store_site_pb2.SiteConfig.FromString(base64.b64decode(body["config_pb"]))
        return StoredSiteConfig(config, str(body["command_id"]), str(body["applied_at"]))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, DecodeError) as exc:
        logger.warning("the copy of the site configuration %s is unreadable (%s)", path, exc)
        return None
