"""Test support: real signed release bundles built from this source tree.

`build_release` writes `<bundle_dir>/<bundle_id>.bundle` with `shared.bundles` (a real archive
signed with a real Ed25519 key) holding the agent build (a wheel of this tree's `edge_agent`,
`shared` and `ameide_core_proto` at its own version), a projection migration and a POS UI
site. `patch` rewrites files of the agent build (e.g. a build that fails its health gate).
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.bundles import BundleSpec, StepSource, build_bundle, generate_key_pair, load_signing_key

REPO = Path(__file__).resolve().parents[3]
PACKAGES = ("edge_agent", "shared", "proto/ameide_core_proto")
MIGRATION = "CREATE TABLE IF NOT EXISTS release_notes (id INTEGER PRIMARY KEY, note TEXT);"


@dataclass(frozen=True)
class Publisher:
    key: Ed25519PrivateKey
    public_pem: Path


def make_publisher(keys_dir: Path, name: str = "publisher") -> Publisher:
    """A key pair; the public half lands in `keys_dir/<name>.pem` (a trusted-keys dir)."""
    keys_dir.mkdir(parents=True, exist_ok=True)
    private = keys_dir.parent / f"{keys_dir.name}-{name}.key"
    generate_key_pair(private, keys_dir / f"{name}.pem")
    return Publisher(load_signing_key(private), keys_dir / f"{name}.pem")


def agent_wheel(path: Path, version: str, patch: dict[str, tuple[str, str]] | None = None) -> None:
    """A pure wheel of the agent at `version`; `patch` maps a file to (old, new) text."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for package in PACKAGES:
            root = REPO / package
            for file in sorted(root.rglob("*.py")):
                if "__pycache__" in file.parts:
                    continue
                name = file.relative_to(root.parent).as_posix()
                text = file.read_text()
                if patch and name in patch:
                    old, new = patch[name]
                    assert old in text, (name, old)
                    text = text.replace(old, new)
                wheel.writestr(name, text)
        dist = f"ameide_commerce_process-{version}.dist-info"
        wheel.writestr(
            f"{dist}/METADATA",
            f"Metadata-Version: 2.1\nName: ameide-commerce-process\nVersion: {version}\n",
        )
        wheel.writestr(f"{dist}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n")


def build_release(
    bundle_dir: Path,
    bundle_id: str,
    publisher: Publisher,
    *,
    version: str,
    migration: str | None = MIGRATION,
    patch: dict[str, tuple[str, str]] | None = None,
    wheel_entries: dict[str, str] | None = None,
) -> Path:
    """The signed archive `<bundle_dir>/<bundle_id>.bundle`."""
    src = bundle_dir / f"{bundle_id}-src"
    (src / "ui").mkdir(parents=True)
    wheel = src / f"ameide_commerce_process-{version}-py3-none-any.whl"
    agent_wheel(wheel, version, patch)
    if wheel_entries:
        with zipfile.ZipFile(wheel, "a") as zf:
            for name, text in wheel_entries.items():
                zf.writestr(name, text)
    (src / "ui" / "index.html").write_text(f"<!doctype html><title>POS</title><h1>{bundle_id}")
    steps = []
    if migration is not None:
        (src / "migrations").mkdir()
        (src / "migrations" / "0001_release_notes.sql").write_text(migration)
        steps.append(
            StepSource("edge-projection", "edge-projection", "migrations", True, src / "migrations")
        )
    steps += [
        StepSource("edge-agent", "edge-agent", "wheel", True, wheel),
        StepSource("pos-ui", "pos-ui", "static-site", True, src / "ui"),
    ]
    out = bundle_dir / f"{bundle_id}.bundle"
    build_bundle(
        BundleSpec(
            bundle_id=bundle_id,
            components={"edge-agent": version, "edge-projection": "1.1.0", "pos-ui": "1.1.0"},
            proto_majors={"ameide_core_proto.process.commerce": 1},
            steps=tuple(steps),
        ),
        [publisher.key],
        out,
    )
    return out


def tamper_payload(archive: Path, suffix: str) -> None:
    """Change the bytes of the payload whose name ends with `suffix`, keeping the signed
    manifest (what an attacker or a bad disk would do)."""
    entries: list[tuple[tarfile.TarInfo, bytes]] = []
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            stream = tar.extractfile(member) if member.isfile() else None
            data = stream.read() if stream else b""
            if member.name.endswith(suffix):
                data = data[:-1] + bytes([data[-1] ^ 1])
            entries.append((member, data))
    with tarfile.open(archive, "w:gz", format=tarfile.PAX_FORMAT) as tar:
        for info, data in entries:
            tar.addfile(info, io.BytesIO(data) if info.isfile() else None)
