"""BundleService on the mTLS control port: agents download published bundle archives.

Gateway room: authenticates the site from its client certificate, reads the bundle's row
through the store port and its archive in chunks from the blob file, every read in a thread
(never on the event loop). The one place that maps this service's failures to status codes:
an unknown bundle is NOT_FOUND and an offset past the end OUT_OF_RANGE (retrying the same
request cannot help); an unavailable store or unreadable blob is UNAVAILABLE (retry).
A site downloads only a bundle that an open `install_bundle` command directs it to install
(PERMISSION_DENIED otherwise): the fleet's releases go where rollouts send them.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc

from ameide_core_proto.process.commerce.v1 import bundles_pb2
from cloud.adapters.store.errors import StoreUnavailable
from cloud.gateway.codec import MalformedFrame, refuse_malformed, service_handler
from cloud.gateway.peer import SiteAuthenticator
from cloud.ports import StorePort
from shared.bundles import ManifestInvalid, validate_bundle_id

logger = logging.getLogger(__name__)

DEFAULT_CHUNK = 1024 * 1024
MAX_CHUNK = 2 * 1024 * 1024


def _read(path: Path, offset: int, length: int) -> bytes:
    with path.open("rb") as f:
        f.seek(offset)
        return f.read(length)


class BundleDownloadServicer:
    """Serves `DownloadBundle` to enrolled sites."""

    def __init__(self, store: StorePort, auth: SiteAuthenticator) -> None:
        self._store = store
        self._auth = auth

    def handler(self) -> grpc.GenericRpcHandler[Any, Any]:
        """The generic handler to add to the control server (same port, same mTLS)."""
        return service_handler(
            bundles_pb2.DESCRIPTOR.services_by_name["BundleService"],
            {"DownloadBundle": self.download_bundle},
        )

    async def download_bundle(
        self,
        request: bundles_pb2.DownloadBundleRequest | MalformedFrame,
        context: grpc.aio.ServicerContext[Any, Any],
    ) -> AsyncIterator[bundles_pb2.DownloadBundleResponse]:
        await refuse_malformed(context, request)
        assert isinstance(request, bundles_pb2.DownloadBundleRequest)
        peer = await self._auth.site(context)
        try:
            validate_bundle_id(request.bundle_id)
        except ManifestInvalid as exc:
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, f"bundle_id: {exc}")
        if request.offset < 0 or request.max_chunk_bytes < 0:
            await context.abort(
                grpc.StatusCode.INVALID_ARGUMENT, "offset and max_chunk_bytes must not be negative"
            )
        try:
            row = await asyncio.to_thread(self._store.bundles.get, request.bundle_id)
        except StoreUnavailable as exc:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        if row is None:
            await context.abort(
                grpc.StatusCode.NOT_FOUND,
                f"bundle {request.bundle_id} is not published; publish it with "
                "`commerce-cloud bundles publish` first",
            )
        assert row is not None
        try:
            directed = await asyncio.to_thread(
                self._store.commands.directs_install, peer.site_id, row.bundle_id
            )
        except StoreUnavailable as exc:
            await context.abort(grpc.StatusCode.UNAVAILABLE, str(exc))
        if not directed:
            await context.abort(
                grpc.StatusCode.PERMISSION_DENIED,
                f"site {peer.site_id} has no install of bundle {row.bundle_id} directed by the "
                "cloud; a site downloads only the bundle a rollout sends it "
                "(see `commerce-cloud rollouts status`)",
            )
        if request.offset > row.size:
            await context.abort(
                grpc.StatusCode.OUT_OF_RANGE,
                f"offset {request.offset} is past the end of bundle {row.bundle_id} "
                f"({row.size} bytes); download it again from 0",
            )
        chunk = min(request.max_chunk_bytes or DEFAULT_CHUNK, MAX_CHUNK)
        offset = request.offset
        logger.info(
            "site %s downloads bundle %s from %d of %d",
            peer.site_id,
            row.bundle_id,
            offset,
            row.size,
        )
        while offset < row.size or (offset == 0 and row.size == 0):
            try:
                data = await asyncio.to_thread(
                    _read, Path(row.blob_path), offset, min(chunk, row.size - offset)
                )
            except OSError as exc:
                logger.error("bundle blob %s unreadable: %s", row.blob_path, exc)
                await context.abort(
                    grpc.StatusCode.UNAVAILABLE,
                    f"the archive of bundle {row.bundle_id} cannot be read on the cloud now; "
                    "retry later",
                )
            if not data:
                await context.abort(
                    grpc.StatusCode.UNAVAILABLE,
                    f"the archive of bundle {row.bundle_id} is shorter than published; retry later",
                )
            yield bundles_pb2.DownloadBundleResponse(
                offset=offset, data=data, total_size=row.size, sha256=row.sha256
            )
            offset += len(data)
            if row.size == 0:
                break
