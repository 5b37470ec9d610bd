"""Installer room: where a bundle comes from (the port), and bundles placed on the store server.

`BundleSource` is what the installer needs: given the install command, a verified bundle (its
manifest as a dict and a directory holding its payload files). `DroppedBundles` reads bundles
unpacked under `<data_dir>/bundles/<bundle_id>/` (e.g. copied from removable media) and checks
each payload against the manifest. Blocking reads run in a thread.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.errors import BundleRejected
from edge_agent.installer._layout import check_bundle_id


@dataclass(frozen=True)
class FetchedBundle:
    manifest: dict[str, Any]
    payload_dir: Path


class BundleSource(Protocol):
    async def fetch(self, command: edge_pb2.InstallBundleCommand) -> FetchedBundle: ...


class DroppedBundles:
    """Bundles unpacked under `root/<bundle_id>/` (manifest.json beside the payloads)."""

    def __init__(self, root: Path) -> None:
        self._root = root

    async def fetch(self, command: edge_pb2.InstallBundleCommand) -> FetchedBundle:
        return await asyncio.to_thread(self._read, command)

    def _read(self, command: edge_pb2.InstallBundleCommand) -> FetchedBundle:
        try:
            check_bundle_id(command.bundle_id)
        except ValueError as exc:
            raise BundleRejected(f"install_bundle.bundle_id: {exc}") from None
        where = self._root / command.bundle_id
        manifest_path = where / "manifest.json"
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise BundleRejected(
                f"bundle {command.bundle_id} is not on this store server ({manifest_path} is "
                "missing); copy it there, then send the command again"
            ) from None
        except ValueError as exc:
            raise BundleRejected(f"{manifest_path}: not valid JSON ({exc})") from None
        if not isinstance(manifest, dict):
            raise BundleRejected(f"{manifest_path}: not a JSON object")
        return FetchedBundle(manifest=manifest, payload_dir=where)
