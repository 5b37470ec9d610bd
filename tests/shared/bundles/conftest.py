"""Real bundles for the bundle tests: real Ed25519 key files, real payload files, real archives."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.bundles import (
    BundleSpec,
    StepSource,
    TrustedKeys,
    generate_key_pair,
    load_signing_key,
)
from shared.bundles._archive import _tarinfo


@dataclass(frozen=True)
class Publisher:
    key: Ed25519PrivateKey
    key_id: str
    public_pem: Path


def make_publisher(directory: Path, name: str) -> Publisher:
    directory.mkdir(parents=True, exist_ok=True)
    private, public = directory / f"{name}.key", directory / f"{name}.pem"
    kid = generate_key_pair(private, public)
    return Publisher(load_signing_key(private), kid, public)


@pytest.fixture
def publisher(tmp_path: Path) -> Publisher:
    return make_publisher(tmp_path / "keys", "publisher")


@pytest.fixture
def trusted(publisher: Publisher) -> TrustedKeys:
    return TrustedKeys.from_files([publisher.public_pem])


@pytest.fixture
def spec(tmp_path: Path) -> BundleSpec:
    """An agent build, two projection migrations and a small POS UI site."""
    src = tmp_path / "payloads"
    (src / "migrations").mkdir(parents=True)
    (src / "pos-ui" / "assets").mkdir(parents=True)
    wheel = src / "ameide_commerce_process-0.2.0-py3-none-any.whl"
    wheel.write_bytes(b"PK\x03\x04" + bytes(range(256)) * 64)
    (src / "migrations" / "0004_lanes.sql").write_text("ALTER TABLE items ADD lane TEXT;\n")
    (src / "migrations" / "0005_tax.sql").write_text("ALTER TABLE items ADD tax TEXT;\n")
    (src / "pos-ui" / "index.html").write_text("<html><body>POS</body></html>\n")
    (src / "pos-ui" / "assets" / "app.js").write_text("console.log('pos');\n")
    return BundleSpec(
        bundle_id="2026.11.1",
        components={"edge-agent": "0.2.0", "edge-projection": "3.0.0", "pos-ui": "1.4.0"},
        proto_majors={"ameide_core_proto.process.commerce": 1},
        steps=(
            StepSource(
                "edge-projection", "edge-projection", "migrations", False, src / "migrations"
            ),
            StepSource("edge-agent", "edge-agent", "wheel", True, wheel),
            StepSource("pos-ui", "pos-ui", "static-site", True, src / "pos-ui"),
        ),
    )


Entry = tuple[tarfile.TarInfo, bytes]


def rewrite_archive(src: Path, dst: Path, change: Callable[[list[Entry]], list[Entry]]) -> Path:
    """Copy a bundle archive entry by entry through `change` (how an attacker would edit it)."""
    entries: list[Entry] = []
    with tarfile.open(src, "r:gz") as tar:
        for member in tar.getmembers():
            stream = tar.extractfile(member) if member.isfile() else None
            entries.append((member, stream.read() if stream else b""))
    with tarfile.open(dst, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for info, data in change(entries):
            if info.isfile():
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)
    return dst


def special(name: str, kind: bytes, linkname: str = "") -> Entry:
    """A tar entry of a given type (symlink, hard link, device, FIFO)."""
    info = _tarinfo(name, 0)
    info.type = kind
    info.linkname = linkname
    return info, b""


def plain(name: str, data: bytes) -> Entry:
    return _tarinfo(name, len(data)), data
