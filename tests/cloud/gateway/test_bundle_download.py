"""BundleService on the real gateway (in this process, mTLS on loopback, the real cloud store
and blob directory), called with an enrolled site's own certificate: whole and resumed
downloads of a real signed archive, and the refusals."""

from __future__ import annotations

import asyncio
import hashlib
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import bundles_pb2, bundles_pb2_grpc, edge_pb2
from cloud.composition.fleet_assembly import fleet_versions, trusted_keys_dir
from edge_agent.identity.current import load_identity
from edge_agent.transport import tls_channel
from shared.bundles import BundleSpec, StepSource, build_bundle, generate_key_pair, load_signing_key
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.real_gateway import CloudSide, enroll_at, running_gateway

INSTALL = "rollout/test/install-bundle/store-0001"
Downloads = tuple[Any, Path, CloudSide]  # the stub, the published archive, the cloud


@pytest.fixture
async def downloads(tmp_path: Path) -> AsyncIterator[Downloads]:
    """A published ~3 MiB bundle and a BundleService stub speaking as an enrolled site."""
    cloud = await asyncio.to_thread(CloudSide.under, tmp_path / "cloud")
    keys = trusted_keys_dir(cloud.config)
    keys.mkdir(parents=True)
    generate_key_pair(tmp_path / "publisher.key", keys / "publisher.pem")
    payload = tmp_path / "ui"
    payload.mkdir()
    (payload / "app.js").write_bytes(os.urandom(3_000_000))  # incompressible: a 3 MB archive
    archive = tmp_path / "2026.11.1.tar.gz"
    build_bundle(
        BundleSpec("2026.11.1", {"edge-agent": "0.1.0", "pos-ui": "1.0.0"}, {},
                   (StepSource("pos-ui", "pos-ui", "static-site", True, payload),)),
        [load_signing_key(tmp_path / "publisher.key")],
        archive,
    )  # fmt: skip
    await asyncio.to_thread(fleet_versions(cloud.config, cloud.store).publish, archive, "test")
    try:
        async with running_gateway(cloud):
            await enroll_at(cloud, tmp_path / "edge", SITE)
            install = edge_pb2.Command(
                command_id=INSTALL,
                install_bundle=edge_pb2.InstallBundleCommand(bundle_id="2026.11.1"),
            )
            await asyncio.to_thread(cloud.enqueue, install, SITE)
            identity = await asyncio.to_thread(load_identity, tmp_path / "edge")
            record = identity.record
            channel = tls_channel(
                record.cloud_host, record.control_port, identity.ca_pem,
                key_pem=identity.key_pem, certificate_pem=identity.certificate_pem,
            )  # fmt: skip
            try:
                yield bundles_pb2_grpc.BundleServiceStub(channel), archive, cloud
            finally:
                await channel.close()
    finally:
        await asyncio.to_thread(cloud.close)


async def _download(stub: Any, offset: int = 0, **kw: Any) -> list[Any]:
    request = bundles_pb2.DownloadBundleRequest(bundle_id="2026.11.1", offset=offset, **kw)
    return [chunk async for chunk in stub.DownloadBundle(request)]


async def test_a_whole_download_is_the_published_archive(downloads: Downloads) -> None:
    stub, archive, _ = downloads
    chunks = await _download(stub)
    data = b"".join(c.data for c in chunks)
    assert data == archive.read_bytes()
    assert len(chunks) > 1  # over 1 MiB: several chunks
    assert [c.offset for c in chunks] == [sum(len(p.data) for p in chunks[:i])
                                          for i in range(len(chunks))]  # fmt: skip
    assert {c.sha256 for c in chunks} == {hashlib.sha256(data).hexdigest()}
    assert {c.total_size for c in chunks} == {len(data)}


async def test_a_cut_download_resumes_from_what_was_written(downloads: Downloads) -> None:
    stub, archive, _ = downloads
    request = bundles_pb2.DownloadBundleRequest(bundle_id="2026.11.1", max_chunk_bytes=64 * 1024)
    written = b""
    call = stub.DownloadBundle(request)
    async for chunk in call:
        written += chunk.data
        if len(written) >= 200 * 1024:
            call.cancel()  # the connection drops part-way
            break
    rest = await _download(stub, offset=len(written))
    assert rest[0].offset == len(written)
    assert written + b"".join(c.data for c in rest) == archive.read_bytes()


@pytest.mark.parametrize(
    ("bundle_id", "offset", "code", "message"),
    [
        ("2099.1.1", 0, grpc.StatusCode.NOT_FOUND, "bundle 2099.1.1 is not published"),
        ("../etc", 0, grpc.StatusCode.INVALID_ARGUMENT, "invalid bundle id"),
        ("2026.11.1", 10**9, grpc.StatusCode.OUT_OF_RANGE, "download it again from 0"),
        ("2026.11.1", -1, grpc.StatusCode.INVALID_ARGUMENT, "must not be negative"),
    ],
)
async def test_bad_requests_are_refused_saying_why(
    downloads: Downloads, bundle_id: str, offset: int, code: grpc.StatusCode, message: str
) -> None:
    stub, _, _ = downloads
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        request = bundles_pb2.DownloadBundleRequest(bundle_id=bundle_id, offset=offset)
        _ = [c async for c in stub.DownloadBundle(request)]
    assert refused.value.code() == code
    assert message in (refused.value.details() or "")


async def test_a_bundle_no_open_install_directs_is_refused(
    downloads: Downloads,
) -> None:
    stub, _, cloud = downloads
    await asyncio.to_thread(
        cloud.store.commands.complete, INSTALL, SITE, True, b"", "", datetime.now(UTC)
    )
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await _download(stub)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert f"site {SITE} has no install of bundle 2026.11.1" in (refused.value.details() or "")
