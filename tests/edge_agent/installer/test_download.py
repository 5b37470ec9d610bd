"""Bundle downloads from the real gateway (mTLS on loopback, a real published signed archive):
resumed after a cut, refused over the size limit, when not published or when the hash differs."""

from __future__ import annotations

import asyncio
import hashlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import grpc
import pytest

from ameide_core_proto.process.commerce.v1 import edge_pb2
from cloud.composition.fleet_assembly import fleet_versions, trusted_keys_dir
from cloud.gateway.server import EdgeGateway
from edge_agent.errors import BundleRejected
from edge_agent.identity.current import load_identity
from edge_agent.installer._download import GatewayBundles
from edge_agent.transport import tls_channel
from tests.edge_agent.edge_support import SITE
from tests.edge_agent.installer.bundles import build_release, make_publisher
from tests.edge_agent.real_gateway import CloudSide

BUNDLE = "2026.11.1"


@pytest.fixture
async def published(cloud: CloudSide, site_dir: Path, tmp_path: Path) -> Path:
    key = make_publisher(tmp_path / "trusted")
    archive = build_release(tmp_path / "published", BUNDLE, key, version="0.1.1")
    keys = trusted_keys_dir(cloud.config)
    keys.mkdir(parents=True, exist_ok=True)
    shutil.copy(key.public_pem, keys / "publisher.pem")
    await asyncio.to_thread(fleet_versions(cloud.config, cloud.store).publish, archive, "test")
    # The gateway hands a site only the bundle an open install command directs it to.
    install = edge_pb2.Command(command_id="install-1", install_bundle=command())
    await asyncio.to_thread(cloud.enqueue, install, SITE)
    return archive


@pytest.fixture
async def channel(real_gateway: EdgeGateway, site_dir: Path) -> AsyncIterator[grpc.aio.Channel]:
    identity = await asyncio.to_thread(load_identity, site_dir)
    record = identity.record
    async with tls_channel(
        record.cloud_host,
        record.control_port,
        identity.ca_pem,
        key_pem=identity.key_pem,
        certificate_pem=identity.certificate_pem,
    ) as opened:
        yield opened


def downloads(root: Path, channel: grpc.aio.Channel, max_bytes: int = 1 << 30) -> GatewayBundles:
    return GatewayBundles(
        root, lambda: channel, max_bytes=max_bytes, timeout_seconds=30, retry_seconds=0.1
    )


def command(**fields: object) -> edge_pb2.InstallBundleCommand:
    return edge_pb2.InstallBundleCommand(bundle_id=BUNDLE, **fields)  # type: ignore[arg-type]


async def test_a_cut_download_resumes_from_what_is_on_disk(
    published: Path, channel: grpc.aio.Channel, tmp_path: Path
) -> None:
    root = tmp_path / "downloads"
    root.mkdir()
    whole = published.read_bytes()
    (root / f"{BUNDLE}.bundle.part").write_bytes(whole[: len(whole) // 2])
    sha = hashlib.sha256(whole).hexdigest()
    got = await downloads(root, channel).fetch(command(sha256=sha, size=len(whole)))
    assert got.read_bytes() == whole
    assert not (root / f"{BUNDLE}.bundle.part").exists()


async def test_over_the_size_limit_is_refused(
    published: Path, channel: grpc.aio.Channel, tmp_path: Path
) -> None:
    size = published.stat().st_size
    with pytest.raises(BundleRejected, match=f"is {size} bytes, over the limit of {size - 1}"):
        await downloads(tmp_path / "a", channel).fetch(command(size=size - 1))
    with pytest.raises(BundleRejected, match="over the limit of 1000"):
        await downloads(tmp_path / "b", channel, max_bytes=1000).fetch(command())
    assert not list((tmp_path / "a").iterdir())


async def test_an_unpublished_bundle_is_refused(
    published: Path, channel: grpc.aio.Channel, tmp_path: Path
) -> None:
    with pytest.raises(BundleRejected, match="not published in the cloud"):
        await downloads(tmp_path, channel).fetch(
            edge_pb2.InstallBundleCommand(bundle_id="2099.1.1")
        )


async def test_a_hash_other_than_the_commands_is_refused_and_discarded(
    published: Path, channel: grpc.aio.Channel, tmp_path: Path
) -> None:
    with pytest.raises(BundleRejected, match="the command says 00000"):
        await downloads(tmp_path, channel).fetch(command(sha256="0" * 64))
    assert not list(tmp_path.glob("*.bundle*"))
