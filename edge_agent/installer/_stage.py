"""Installer room: check a bundle's payload hashes and stage it beside the running release.

Staging writes only `<data_dir>/releases/.<bundle_id>.partial/`, renamed to
`releases/<bundle_id>/` when complete: nothing the running agent uses is touched, and a crash
part-way leaves a `.partial` tree that the next start removes. Payload archives (the agent
wheel, the POS UI zip) are read entry by entry; an absolute path, a `..` component or a
symlink entry refuses the whole bundle. Blocking file I/O.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from edge_agent.installer import _files
from edge_agent.installer._layout import ReleaseLayout
from edge_agent.installer._plan import EDGE_AGENT, EDGE_PROJECTION, POS_UI, InstallPlan

_CHUNK = 1 << 20


class BundleRefused(ValueError):
    """The bundle's content is not what its manifest promises, or is unsafe to unpack."""


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verify_payloads(plan: InstallPlan, payload_dir: Path) -> None:
    """Every payload is present and hashes to what the manifest says; else `BundleRefused`."""
    for step in plan.steps:
        path = payload_dir / step.payload
        if not path.is_file() or path.is_symlink():
            raise BundleRefused(f"step {step.name}: payload {step.payload!r} is missing")
        actual = sha256_of(path)
        if actual != step.sha256:
            raise BundleRefused(
                f"step {step.name}: payload {step.payload!r} has SHA-256 {actual}, the manifest "
                f"says {step.sha256}; the bundle was altered or damaged, nothing was installed"
            )


def _safe_extract(archive: Path, dest: Path, what: str) -> None:
    with zipfile.ZipFile(archive) as zf:
        for info in zf.infolist():
            name = PurePosixPath(info.filename)
            if name.is_absolute() or ".." in name.parts or "\\" in info.filename:
                raise BundleRefused(f"{what}: entry {info.filename!r} points outside the release")
            if stat.S_ISLNK(info.external_attr >> 16):
                raise BundleRefused(f"{what}: entry {info.filename!r} is a symlink")
        for info in zf.infolist():
            target = dest.joinpath(*PurePosixPath(info.filename).parts)
            if info.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with zf.open(info) as src, target.open("wb") as out:
                shutil.copyfileobj(src, out, _CHUNK)
                out.flush()
                os.fsync(out.fileno())


def stage(
    layout: ReleaseLayout, plan: InstallPlan, payload_dir: Path, manifest: dict[str, object]
) -> Path:
    """Unpack `plan`'s payloads into `releases/<bundle_id>/`; the release dir (whole)."""
    layout.ensure()
    final = layout.release_dir(plan.bundle_id)
    if layout.is_staged(plan.bundle_id):
        return final  # staged before (e.g. by an install that was deferred)
    verify_payloads(plan, payload_dir)
    partial = layout.partial_dir(plan.bundle_id)
    if partial.exists():
        shutil.rmtree(partial)
    if final.exists():  # a release dir without a manifest: left by an older failure
        _files.discard_tree(final)
    partial.mkdir(mode=0o700)
    try:
        for step in plan.steps:
            source = payload_dir / step.payload
            if step.name == EDGE_AGENT:
                _safe_extract(source, partial / "lib", f"step {step.name}")
                if not (partial / "lib" / "edge_agent" / "__init__.py").is_file():
                    raise BundleRefused(
                        f"step {step.name}: payload {step.payload!r} holds no edge_agent package"
                    )
            elif step.name == POS_UI:
                _safe_extract(source, partial / "ui", f"step {step.name}")
                if not (partial / "ui" / "index.html").is_file():
                    raise BundleRefused(f"step {step.name}: the POS UI has no index.html")
            elif step.name == EDGE_PROJECTION:
                (partial / "migrations").mkdir()
                _files.copy_file_durably(source, partial / "migrations" / "migration.sql")
        (partial / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True))
        for root, _subdirs, _names in os.walk(partial):
            _files.fsync_dir(Path(root))
        os.replace(partial, final)
        _files.fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final
