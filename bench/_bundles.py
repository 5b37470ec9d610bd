"""Signed bundles for the rollout bench: this checkout's agent wheel and a POS UI.

Bench room: builds the wheel with the running interpreter's pip (no index is asked), makes a
publisher key, signs bundles with it and publishes them through the fleet version service
(the cloud's trusted-keys directory gets the public key; so does the directory the real
agents trust). Writes only under the directories it is given.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from pathlib import Path

from bench._errors import BenchFailed
from cloud.adapters.store import CloudStore
from cloud.composition.fleet_assembly import fleet_versions, trusted_keys_dir
from cloud.config import CloudConfig
from shared.bundles import BundleSpec, StepSource, build_bundle, generate_key_pair, load_signing_key
from shared.version import package_version

PROJECT = Path(__file__).resolve().parents[1]
PROTO_MAJORS = {"ameide_core_proto.process.commerce": 1}


async def agent_wheel(out: Path) -> Path:
    """A wheel of this checkout (the edge agent's build)."""
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--no-index", "--wheel-dir", str(out), str(PROJECT),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    pattern = f"ameide_commerce_process-{package_version()}-*.whl"
    wheels = await asyncio.to_thread(lambda: sorted(out.glob(pattern)))
    if process.returncode != 0 or not wheels:
        raise BenchFailed(
            f"building the agent wheel from {PROJECT} failed (pip exit {process.returncode}): "
            f"{output.decode(errors='replace')[-1000:]}"
        )
    return wheels[-1]


def publish_bundles(
    config: CloudConfig,
    store: CloudStore,
    root: Path,
    wheel: Path,
    bundle_ids: list[str],
    agent_trust_dir: Path,
) -> None:
    """Sign one bundle per id (agent wheel + POS UI) and publish each (blocking)."""
    root.mkdir(parents=True, exist_ok=True)
    private, public = root / "publisher.key", root / "publisher.pem"
    generate_key_pair(private, public)
    for directory in (trusted_keys_dir(config), agent_trust_dir):
        directory.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(public, directory / "bench-publisher.pem")
    key = load_signing_key(private)
    service = fleet_versions(config, store)
    for bundle_id in bundle_ids:
        ui = root / f"{bundle_id}-ui"
        ui.mkdir()
        (ui / "index.html").write_text(f"<!doctype html><title>POS</title><h1>{bundle_id}</h1>\n")
        archive = root / f"{bundle_id}.tar.gz"
        build_bundle(
            BundleSpec(
                bundle_id,
                {"edge-agent": package_version(), "pos-ui": "1.0.0"},
                dict(PROTO_MAJORS),
                (
                    StepSource("edge-agent", "edge-agent", "wheel", True, wheel),
                    StepSource("pos-ui", "pos-ui", "static-site", True, ui),
                ),
            ),
            [key],
            archive,
        )
        service.publish(archive, "bench")
