"""Installer room: download a published bundle archive from the gateway, resumably.

`BundleService.DownloadBundle` on the control stream's own mTLS connection. The archive is
written to `<dir>/<bundle_id>.bundle.part` chunk by chunk (each write in a thread) and renamed
to `<bundle_id>.bundle` once whole and its SHA-256 matches what the gateway published and what
the command says. A cut download resumes from the size already written; a download larger than
the limit is refused before it is all fetched. The installer verifies the archive's signature
and payload hashes afterwards: the download only has to be whole.

Failures, classified once here: NOT_FOUND and size or hash mismatches are `BundleRejected`
(permanent); a transient gRPC code or a channel that is down is retried a few times, then
`BundleUnavailable` (retryable: the cloud sends the command again and the download resumes).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections.abc import Callable
from pathlib import Path

import grpc

from ameide_core_proto.process.commerce.v1 import bundles_pb2, bundles_pb2_grpc, edge_pb2
from edge_agent.errors import AgentError, BundleRejected, BundleUnavailable
from edge_agent.installer import _files
from edge_agent.installer._layout import check_bundle_id
from shared.grpc_status import TRANSIENT

logger = logging.getLogger(__name__)

ATTEMPTS = 4
_CHUNK = 1 << 20


def _append(path: Path, data: bytes) -> None:
    with path.open("ab") as out:
        out.write(data)


def _finish(part: Path, final: Path) -> str:
    digest = hashlib.sha256()
    with part.open("rb+") as src:
        os.fsync(src.fileno())
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
    os.replace(part, final)
    _files.fsync_dir(final.parent)
    return digest.hexdigest()


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


class GatewayBundles:
    """Bundle archives fetched over `channel()` (the control stream's connection) into `root`."""

    def __init__(
        self,
        root: Path,
        channel: Callable[[], grpc.aio.Channel],
        *,
        max_bytes: int,
        timeout_seconds: float,
        retry_seconds: float = 1.0,
    ) -> None:
        self._root = root
        self._channel = channel
        self._max_bytes = max_bytes
        self._timeout = timeout_seconds
        self._retry = retry_seconds

    async def fetch(self, command: edge_pb2.InstallBundleCommand) -> Path:
        try:
            check_bundle_id(command.bundle_id)
        except ValueError as exc:
            raise BundleRejected(f"install_bundle.bundle_id: {exc}") from None
        await asyncio.to_thread(self._root.mkdir, parents=True, exist_ok=True, mode=0o700)
        final = self._root / f"{command.bundle_id}.bundle"
        if await asyncio.to_thread(final.is_file):
            return final  # fetched before (e.g. by an install that was deferred)
        limit = min(self._max_bytes, command.size) if command.size > 0 else self._max_bytes
        failure: AgentError | None = None
        for attempt in range(ATTEMPTS):
            try:
                return await self._download(command, final, limit)
            except BundleUnavailable as exc:
                failure = exc
                logger.warning("download of bundle %s: %s", command.bundle_id, exc)
                await asyncio.sleep(self._retry * (attempt + 1))
        assert failure is not None
        raise failure

    async def _download(
        self, command: edge_pb2.InstallBundleCommand, final: Path, limit: int
    ) -> Path:
        part = final.with_name(final.name + ".part")
        offset = await asyncio.to_thread(_size, part)
        total, published = -1, ""
        try:
            stub = bundles_pb2_grpc.BundleServiceStub(self._channel())  # type: ignore[no-untyped-call]
        except AgentError as exc:
            raise BundleUnavailable(f"cannot reach the cloud to download it: {exc}") from exc
        request = bundles_pb2.DownloadBundleRequest(bundle_id=command.bundle_id, offset=offset)
        try:
            call = stub.DownloadBundle(request, timeout=self._timeout)
            async for chunk in call:
                total, published = chunk.total_size, chunk.sha256
                if total > limit:
                    with contextlib.suppress(FileNotFoundError):
                        await asyncio.to_thread(part.unlink)
                    raise BundleRejected(
                        f"bundle {command.bundle_id} is {total} bytes, over the limit of "
                        f"{limit}; not downloaded, nothing installed"
                    )
                if chunk.offset != offset or offset + len(chunk.data) > total:
                    raise BundleUnavailable(
                        f"the gateway sent bytes at {chunk.offset}, expected {offset}"
                    )
                await asyncio.to_thread(_append, part, chunk.data)
                offset += len(chunk.data)
        except grpc.aio.AioRpcError as exc:
            code, details = exc.code(), exc.details() or "no details"
            if code == grpc.StatusCode.NOT_FOUND:
                raise BundleRejected(
                    f"bundle {command.bundle_id} is not published in the cloud ({details}); "
                    "publish it, then send the command again"
                ) from exc
            if code == grpc.StatusCode.OUT_OF_RANGE:
                await asyncio.to_thread(part.unlink, missing_ok=True)  # start again from 0
                raise BundleUnavailable(f"resume offset refused ({details})") from exc
            if code in TRANSIENT:
                raise BundleUnavailable(f"download cut off: {code.name}: {details}") from exc
            raise BundleRejected(
                f"download of bundle {command.bundle_id} refused: {code.name}: {details}"
            ) from exc
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                raise  # this task is being stopped
            # grpc.aio cancels the calls of a channel that closes under them: an outage
            raise BundleUnavailable("download cut off: the connection closed") from None
        if total < 0 or offset != total:
            raise BundleUnavailable(f"download ended at {offset} of {total} bytes")
        digest = await asyncio.to_thread(_finish, part, final)
        for name, expected in (("the gateway", published), ("the command", command.sha256)):
            if expected and digest != expected.lower():
                await asyncio.to_thread(final.unlink, missing_ok=True)
                raise BundleRejected(
                    f"bundle {command.bundle_id} downloaded with SHA-256 {digest}, {name} says "
                    f"{expected}; discarded, nothing installed"
                )
        logger.info("bundle %s downloaded (%d bytes)", command.bundle_id, total)
        return final
