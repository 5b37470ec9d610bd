"""Installer room: where a bundle archive comes from (the port), and archives placed on the
store server.

`BundleSource` is what the installer needs: given the install command, the path of the bundle
archive on this server (not yet trusted: the installer verifies it). `DroppedBundles` finds
`<dir>/<bundle_id>.bundle` (e.g. copied from removable media). Blocking checks run in a thread.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Protocol

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.errors import BundleRejected
from edge_agent.installer._layout import check_bundle_id


class BundleSource(Protocol):
    async def fetch(self, command: edge_pb2.InstallBundleCommand) -> Path:
        """The archive of `command.bundle_id` on local disk; `BundleRejected` if there is none."""
        ...


class DroppedBundles:
    """Bundle archives placed under `root` as `<bundle_id>.bundle`."""

    def __init__(self, root: Path) -> None:
        self._root = root

    async def has(self, bundle_id: str) -> bool:
        try:
            check_bundle_id(bundle_id)
        except ValueError:
            return False
        return await asyncio.to_thread((self._root / f"{bundle_id}.bundle").is_file)

    async def fetch(self, command: edge_pb2.InstallBundleCommand) -> Path:
        try:
            check_bundle_id(command.bundle_id)
        except ValueError as exc:
            raise BundleRejected(f"install_bundle.bundle_id: {exc}") from None
        path = self._root / f"{command.bundle_id}.bundle"
        if not await asyncio.to_thread(path.is_file):
            raise BundleRejected(
                f"bundle {command.bundle_id} is not on this store server ({path} is missing); "
                "copy it there, then send the command again"
            )
        return path
