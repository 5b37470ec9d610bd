"""The demo's bundle step: a publisher key made under the demo's data dir and trusted, a bundle
of this project's agent wheel and a POS UI built, signed, checked against the compatibility
matrix and published; the rollout command printed.

Composition room (demo): builds the agent wheel with the running interpreter's pip (from the
checkout the package runs from; no index is asked), writes only under the directory it is
given and the cloud's trusted-keys directory, and publishes through the fleet version service.
"""

from __future__ import annotations

import asyncio
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path

from cloud.adapters.store import CloudStore
from cloud.cli.output import console
from cloud.composition.fleet_assembly import fleet_versions, trusted_keys_dir
from cloud.config import CloudConfig
from shared.bundles import (
    BundleSpec,
    StepSource,
    build_bundle,
    generate_key_pair,
    load_signing_key,
)
from shared.errors import CommerceError
from shared.version import package_version

_POS_UI_VERSION = "1.0.0"
_PROTO_MAJORS = {"ameide_core_proto.process.commerce": 1}


class BundleStepFailed(Exception):
    """A part of the demo's bundle step did not end as it should; the message says which."""


def project_root() -> Path | None:
    """The checkout this package runs from, or None when it was installed without one."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "pyproject.toml").is_file() else None


async def build_agent_wheel(root: Path, out: Path) -> Path:
    """A wheel of this project (the edge agent's build), made without asking any index."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--no-index", "--wheel-dir", str(out), str(root),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await process.communicate()
    pattern = f"ameide_commerce_process-{package_version()}-*.whl"
    wheels = await asyncio.to_thread(lambda: sorted(out.glob(pattern)))
    if process.returncode != 0 or not wheels:
        raise BundleStepFailed(
            f"building the agent wheel from {root} failed (pip exit {process.returncode}): "
            f"{output.decode(errors='replace')[-1000:]}"
        )
    return wheels[-1]


def _prepare(home: Path) -> tuple[Path, Path, Path]:
    """Publisher key pair and POS UI payload under `home` (blocking)."""
    for stale in (home / "wheel", home / "pos-ui"):
        shutil.rmtree(stale, ignore_errors=True)
    (home / "pos-ui").mkdir(parents=True)
    (home / "pos-ui" / "index.html").write_text(
        "<!doctype html><title>POS</title><h1>Demo POS UI</h1>\n"
    )
    private, public = home / "publisher.key", home / "publisher.pem"
    if not private.exists():
        generate_key_pair(private, public)
    return private, public, home / "pos-ui"


def _trust(config: CloudConfig, public: Path) -> None:
    directory = trusted_keys_dir(config)
    directory.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(public, directory / "demo-publisher.pem")


async def show_bundles(config: CloudConfig, store: CloudStore, home: Path, site_id: str) -> None:
    """Build, sign, check and publish a demo bundle; print the rollout command.

    Raises BundleStepFailed naming the part that failed (the matrix's refusals included).
    """
    root = project_root()
    if root is None:
        console.print(
            "[yellow]bundles: skipped: this installation has no project checkout to build the "
            "agent wheel from; see `commerce-cloud bundles build --help`[/yellow]"
        )
        return
    private, public, pos_ui = await asyncio.to_thread(_prepare, home)
    await asyncio.to_thread(_trust, config, public)
    wheel = await build_agent_wheel(root, home / "wheel")
    bundle_id = f"demo-{datetime.now(UTC):%Y%m%d%H%M%S}"
    archive = home / f"{bundle_id}.tar.gz"
    spec = BundleSpec(
        bundle_id,
        {"edge-agent": package_version(), "pos-ui": _POS_UI_VERSION},
        dict(_PROTO_MAJORS),
        (
            StepSource("edge-agent", "edge-agent", "wheel", True, wheel),
            StepSource("pos-ui", "pos-ui", "static-site", True, pos_ui),
        ),
    )
    service = fleet_versions(config, store)
    try:
        key = await asyncio.to_thread(load_signing_key, private)
        await asyncio.to_thread(build_bundle, spec, [key], archive)
        console.print(
            f"bundles: built {archive.name} (edge-agent {package_version()}, pos-ui "
            f"{_POS_UI_VERSION}), signed with {private}",
            highlight=False,
        )
        check = await asyncio.to_thread(service.check_archive, archive, None)
        if not check.verdict.allowed:
            reasons = "; ".join(
                f"{r.rule} {r.component}: {r.message}" for r in check.verdict.refusals
            )
            raise BundleStepFailed(f"compat check refused {bundle_id}: {reasons}")
        console.print(
            f"bundles: compat check {bundle_id}: allowed by compatibility matrix version "
            f"{check.verdict.matrix_version}",
            highlight=False,
        )
        row, _ = await asyncio.to_thread(service.publish, archive, "demo")
    except CommerceError as exc:
        raise BundleStepFailed(f"bundle {bundle_id}: {exc}") from exc
    console.print(
        f"bundles: published {row.bundle_id} (SHA-256 {row.sha256[:16]}..., signed by "
        f"{row.signed_by})",
        highlight=False,
    )
    cli = f"commerce-cloud --data-dir {config.data_dir}"
    console.print(
        f"bundles: roll it out with: {cli} rollouts start {row.bundle_id} --ring pilot "
        f"--site {site_id}",
        highlight=False,
        soft_wrap=True,
    )


async def bundle_step(config: CloudConfig, store: CloudStore, site_id: str) -> bool:
    """The bundle step under `<data dir>/../bundles`; False (the reason printed) when it failed."""
    try:
        await show_bundles(config, store, config.data_dir.parent / "bundles", site_id)
        return True
    except BundleStepFailed as exc:
        console.print(f"[red]bundles demo failed: {exc}[/red]")
        return False
