"""Installer room: stage a verified bundle beside the running release.

Staging writes only `<data_dir>/releases/.<bundle_id>.partial/`, renamed to
`releases/<bundle_id>/` when complete: nothing the running agent uses is touched, and a crash
part-way leaves a `.partial` tree that the next start removes. The bundle's payloads are
extracted by `shared.bundles` (each checked against the signed manifest as it is written);
the agent wheel is then unpacked entry by entry, and an absolute path, a `..` component or a
symlink entry in it refuses the whole bundle. Blocking file I/O.
"""

from __future__ import annotations

import os
import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath

from edge_agent.installer import _files
from edge_agent.installer._layout import ReleaseLayout
from edge_agent.installer._plan import FILES, MIGRATIONS, STATIC_SITE, WHEEL, InstallPlan
from shared.bundles import MANIFEST_NAME, PAYLOAD_DIR, SIGNATURE_NAME, VerifiedBundle

_CHUNK = 1 << 20


class BundleRefused(ValueError):
    """The bundle's content is unsafe to unpack or not what an agent build must hold."""


def _safe_unzip(archive: Path, dest: Path, what: str) -> None:
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


def _move(source: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.replace(source, dest)


def stage(layout: ReleaseLayout, plan: InstallPlan, bundle: VerifiedBundle) -> Path:
    """Lay `bundle` out as `releases/<bundle_id>/`; that release dir (whole)."""
    layout.ensure()
    final = layout.release_dir(plan.bundle_id)
    if layout.is_staged(plan.bundle_id):
        return final  # staged before (e.g. by an install that was deferred)
    partial = layout.partial_dir(plan.bundle_id)
    if partial.exists():
        shutil.rmtree(partial)
    if final.exists():  # a release dir without a manifest: left by an older failure
        _files.discard_tree(final)
    partial.mkdir(mode=0o700)
    try:
        extracted = bundle.extract(partial / "bundle")
        payloads = extracted / PAYLOAD_DIR
        for step in plan.steps:
            what = f"step {step.name}"
            if step.kind == WHEEL:
                _safe_unzip(payloads / step.files[0], partial / "lib", what)
                if not (partial / "lib" / "edge_agent" / "__init__.py").is_file():
                    raise BundleRefused(f"{what}: the wheel holds no edge_agent package")
            elif step.kind == MIGRATIONS:
                for index, path in enumerate(sorted(step.files)):
                    name = f"{index:04d}-{PurePosixPath(path).name}"
                    _move(payloads / path, partial / "migrations" / step.name / name)
            elif step.kind == STATIC_SITE:
                for path in step.files:
                    inside = path.split("/", 1)[-1]  # below the step's own directory
                    _move(payloads / path, partial / "ui" / inside)
            elif step.kind == FILES:
                for path in step.files:
                    _move(payloads / path, partial / "files" / step.name / path)
        for name in (MANIFEST_NAME, SIGNATURE_NAME):
            os.replace(extracted / name, partial / name)
        shutil.rmtree(extracted)
        for root, _subdirs, names in os.walk(partial):
            for name in names:
                fd = os.open(os.path.join(root, name), os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            _files.fsync_dir(Path(root))
        os.replace(partial, final)
        _files.fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return final
