"""Signed bundles for the rollout bench: this checkout's agent wheel and a POS UI.

Bench room: builds the wheel with the running interpreter's pip (no index is asked), makes a
publisher key, signs bundles with it and publishes them through the fleet version service
(the cloud's trusted-keys directory gets the public key; so does the directory the real
agents trust). Writes only under the directories it is given.
"""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from bench._errors import BenchFailed
from cloud.adapters.store import CloudStore
from cloud.composition.fleet_assembly import fleet_versions, trusted_keys_dir
from cloud.config import CloudConfig
from cloud.demo.bundles import BundleStepFailed, build_agent_wheel
from shared.bundles import BundleSpec, StepSource, build_bundle, generate_key_pair, load_signing_key
from shared.version import package_version

PROJECT = Path(__file__).resolve().parents[1]
PROTO_MAJORS = {"ameide_core_proto.process.commerce": 1}


async def agent_wheel(out: Path) -> Path:
    """A wheel of this checkout (the edge agent's build), as the demo builds it."""
    await asyncio.to_thread(out.mkdir, parents=True, exist_ok=True)
    try:
        return await build_agent_wheel(PROJECT, out)
    except BundleStepFailed as exc:
        raise BenchFailed(str(exc)) from exc


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
