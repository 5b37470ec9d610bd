"""Installer room, assembly: the installer's parts built for the daemon (its composition root).

Adapts the projection to the installer's ports (site calendar, stream checksums) and the
running daemon to the health gate's checks. No I/O of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import aiohttp
import grpc

from ameide_core_proto.process.commerce.v1 import edge_pb2
from edge_agent.installer._calendar import TradingCalendar, calendar_from_proto
from edge_agent.installer._download import GatewayBundles
from edge_agent.installer._launch import RunningRelease
from edge_agent.installer._layout import ReleaseLayout
from edge_agent.installer._leases import BasketLeases
from edge_agent.installer._service import InstallerService
from edge_agent.installer._source import DroppedBundles
from edge_agent.projection import Projection
from shared.bundles import TrustedKeys
from shared.checksums import TableDigest


class _ProjectionPorts:
    def __init__(self, projection: Projection) -> None:
        self._projection = projection

    async def stream_digests(self) -> dict[str, TableDigest]:
        return {s.stream: s.digest for s in await self._projection.stream_states()}

    async def scan_digest(self, stream: str) -> TableDigest:
        return await self._projection.scan_digest(stream)

    async def calendar(self) -> TradingCalendar | None:
        stored = await self._projection.site_config()
        if stored is None or not stored.config.HasField("trading_calendar"):
            return None
        return calendar_from_proto(stored.config.timezone, stored.config.trading_calendar)


class DroppedOrDownloaded:
    """A bundle archive placed on this server if there is one, else downloaded."""

    def __init__(self, dropped: DroppedBundles, downloads: GatewayBundles) -> None:
        self._dropped = dropped
        self._downloads = downloads

    async def fetch(self, command: edge_pb2.InstallBundleCommand) -> Path:
        if await self._dropped.has(command.bundle_id):
            return await self._dropped.fetch(command)
        return await self._downloads.fetch(command)


class DaemonGateChecks:
    """The health gate's view of the running daemon."""

    def __init__(self, connected: Callable[[], bool], health_port: Callable[[], int | None]):
        self._connected = connected
        self._health_port = health_port

    def connected(self) -> bool:
        return self._connected()

    async def pos_ui_page(self) -> bytes | None:
        port = self._health_port()
        if port is None:
            return None
        try:
            async with (
                aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session,
                session.get(f"http://127.0.0.1:{port}/pos-ui/") as response,
            ):
                if response.status != 200:
                    return None
                return await response.read()
        except (TimeoutError, aiohttp.ClientError):
            return None


def build_installer(
    data_dir: Path,
    running: RunningRelease,
    projection: Projection,
    leases: BasketLeases,
    request_restart: Callable[[], None],
    channel: Callable[[], grpc.aio.Channel],
    *,
    bundle_dir: Path | None,
    trusted_keys_dir: Path,
    max_bundle_bytes: int,
    quiesce_max_seconds: float,
    gate_timeout_seconds: float,
    rpc_timeout_seconds: float,
) -> InstallerService:
    ports = _ProjectionPorts(projection)
    layout = ReleaseLayout(data_dir)
    return InstallerService(
        layout,
        running,
        leases=leases,
        source=DroppedOrDownloaded(
            DroppedBundles(bundle_dir or data_dir / "bundles"),
            GatewayBundles(
                layout.downloads_dir,
                channel,
                max_bytes=max_bundle_bytes,
                # a whole archive on a slow store line: the stream's deadline, not a chunk's
                timeout_seconds=max(rpc_timeout_seconds, 600.0),
            ),
        ),
        # Read at each install: adding or removing a publisher key needs no restart.
        trusted_keys=lambda: TrustedKeys.from_files(
            [trusted_keys_dir] if trusted_keys_dir.is_dir() else []
        ),
        max_bundle_bytes=max_bundle_bytes,
        calendar=ports.calendar,
        projection=ports,
        request_restart=request_restart,
        quiesce_max_seconds=quiesce_max_seconds,
        gate_timeout_seconds=gate_timeout_seconds,
    )
