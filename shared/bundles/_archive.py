"""Bundle archives: build one from payload files, verify it, extract it (shared room).

Touches only the archive file and the directories it is told to write. An archive is a
gzip-compressed tar holding `manifest.json`, `manifest.sig` and `payloads/<path>` for every
file the manifest lists, nothing else. Reading is two passes over the stream:

1. `open_bundle` checks every entry (no absolute path, no '..', no link, no device, only
   plain files and directories, no duplicates), counts sizes against `ArchiveLimits`, hashes
   every payload, verifies the signature against the trusted keys and compares every hash
   and size with the signed manifest. Nothing is written.
2. `VerifiedBundle.extract` writes into a fresh sibling directory, hashing again while it
   writes (the file might have changed since pass 1), fsyncs, and only then renames it to the
   destination. On any error the partial directory is removed.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import os
import shutil
import tarfile
import uuid
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from shared.bundles._errors import (
    ArchiveCorrupt,
    ArchiveTooLarge,
    BundleError,
    BundleIOError,
    ManifestInvalid,
    PayloadHashMismatch,
    UnsafeArchiveEntry,
)
from shared.bundles._keys import TrustedKeys
from shared.bundles._manifest import (
    MANIFEST_NAME,
    PAYLOAD_DIR,
    SIGNATURE_NAME,
    STEP_KINDS,
    Manifest,
    PayloadFile,
    Step,
    parse_manifest,
    validate_bundle_id,
    validate_payload_path,
    validate_version,
)
from shared.bundles._signing import sign_manifest, verify_manifest

_CHUNK = 1 << 20
_MAX_META_BYTES = 1 << 20  # manifest.json and manifest.sig each


@dataclass(frozen=True)
class ArchiveLimits:
    """What a reader accepts. Defaults suit a bundle of an agent build, migrations and a UI."""

    max_archive_bytes: int = 512 * 1024 * 1024
    max_unpacked_bytes: int = 1024 * 1024 * 1024
    max_entries: int = 20_000


# ---------------------------------------------------------------------------------------------
# Building


@dataclass(frozen=True)
class StepSource:
    """One step to build: its payload is a file or a directory (taken whole, recursively)."""

    name: str
    component: str
    kind: str
    undoable: bool
    source: Path
    # Where the payload goes under payloads/; the step name by default.
    target: str = ""


@dataclass(frozen=True)
class BundleSpec:
    """What `build_bundle` packs: ids, versions, and the steps in install order."""

    bundle_id: str
    components: Mapping[str, str]
    proto_majors: Mapping[str, int]
    steps: Sequence[StepSource] = field(default_factory=tuple)


def _hash_file(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as f:
        while chunk := f.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _source_files(step: StepSource) -> list[tuple[str, Path]]:
    """(path under payloads/, file on disk) for a step, sorted; links and devices refused."""
    target = step.target or step.name
    src = step.source
    if src.is_symlink() or not src.exists():
        raise ManifestInvalid(f"step {step.name}: {src} is not a file or directory")
    if src.is_file():
        return [(f"{target}/{src.name}", src)]
    out: list[tuple[str, Path]] = []
    for path in sorted(src.rglob("*")):
        if path.is_symlink() or not (path.is_file() or path.is_dir()):
            raise ManifestInvalid(
                f"step {step.name}: {path} is a link or special file; bundles hold only "
                "plain files and directories"
            )
        if path.is_file():
            out.append((f"{target}/{path.relative_to(src).as_posix()}", path))
    if not out:
        raise ManifestInvalid(f"step {step.name}: directory {src} holds no files")
    return out


def build_manifest(spec: BundleSpec) -> tuple[Manifest, dict[str, Path]]:
    """Hash the payloads and return the manifest and each payload path's source file."""
    validate_bundle_id(spec.bundle_id)
    for name, version in spec.components.items():
        validate_version(version, f"component {name}")
    sources: dict[str, Path] = {}
    steps: list[Step] = []
    for step in spec.steps:
        if step.kind not in STEP_KINDS:
            raise ManifestInvalid(
                f"step {step.name}: kind {step.kind!r} is not one of {', '.join(STEP_KINDS)}"
            )
        files: list[PayloadFile] = []
        for rel, path in _source_files(step):
            validate_payload_path(rel, f"step {step.name}")
            sha, size = _hash_file(path)
            files.append(PayloadFile(rel, sha, size))
            sources[rel] = path
        steps.append(Step(step.name, step.component, step.kind, step.undoable, tuple(files)))
    manifest = Manifest(
        spec.bundle_id, dict(spec.components), dict(spec.proto_majors), tuple(steps)
    )
    # Round-trip through the reader's rules so a built bundle is always a readable one.
    return parse_manifest(manifest.canonical_bytes()), sources


def _tarinfo(name: str, size: int, is_dir: bool = False) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.size = 0 if is_dir else size
    info.type = tarfile.DIRTYPE if is_dir else tarfile.REGTYPE
    info.mode = 0o755 if is_dir else 0o644
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def build_bundle(spec: BundleSpec, keys: Sequence[Ed25519PrivateKey], out: Path) -> Manifest:
    """Write a signed bundle archive to `out` (atomically) and return its manifest.

    The archive is reproducible: the same payloads and keys give the same bytes.
    """
    manifest, sources = build_manifest(spec)
    manifest_bytes = manifest.canonical_bytes()
    sig_bytes = sign_manifest(manifest_bytes, keys)
    partial = out.with_name(f".{out.name}.{uuid.uuid4().hex}.partial")
    try:
        with (
            partial.open("wb") as raw,
            # No name and no time in the gzip header: the same inputs give the same bytes.
            gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as gz,
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
        ):
            for name, data in ((MANIFEST_NAME, manifest_bytes), (SIGNATURE_NAME, sig_bytes)):
                tar.addfile(_tarinfo(name, len(data)), io.BytesIO(data))
            for f in (f for step in manifest.steps for f in step.files):
                with sources[f.path].open("rb") as src:
                    tar.addfile(_tarinfo(f"{PAYLOAD_DIR}/{f.path}", f.size), src)
        os.replace(partial, out)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise BundleIOError(f"cannot write bundle {out}: {exc.strerror or exc}") from exc
    return manifest


# ---------------------------------------------------------------------------------------------
# Reading


def _check_entry(member: tarfile.TarInfo) -> str:
    """Return the entry's normalised name, or refuse an unsafe entry."""
    name = member.name
    if member.issym() or member.islnk():
        kind = "symbolic link" if member.issym() else "hard link"
        raise UnsafeArchiveEntry(
            f"archive entry {name[:200]!r} is a {kind} (to {member.linkname[:200]!r}); bundles "
            "hold only plain files and directories: do not install it, rebuild the bundle"
        )
    if not (member.isfile() or member.isdir()):
        raise UnsafeArchiveEntry(
            f"archive entry {name[:200]!r} is a device, FIFO or other special file; bundles "
            "hold only plain files and directories: do not install it, rebuild the bundle"
        )
    path = PurePosixPath(name)
    if (
        not name
        or "\x00" in name
        or "\\" in name
        or path.is_absolute()
        or any(part in ("..", "") for part in name.rstrip("/").split("/"))
    ):
        raise UnsafeArchiveEntry(
            f"archive entry {name[:200]!r} points outside the bundle (absolute path or '..'); "
            "do not install it, rebuild the bundle"
        )
    return name.rstrip("/").removeprefix("./")


@contextlib.contextmanager
def _open_stream(path: Path) -> Iterator[tarfile.TarFile]:
    """Read the archive as a stream; map the libraries' errors to bundle errors."""
    try:
        with path.open("rb") as raw, tarfile.open(fileobj=raw, mode="r|*") as tar:
            yield tar
    except FileNotFoundError as exc:
        raise ArchiveCorrupt(f"bundle archive {path} does not exist") from exc
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise ArchiveCorrupt(
            f"{path} is not a whole bundle archive (gzip-compressed tar): {exc}; "
            "fetch or build it again"
        ) from exc
    except OSError as exc:
        raise BundleIOError(f"I/O error on bundle archive {path}: {exc}") from exc


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    stream = tar.extractfile(member)
    if stream is None:  # pragma: no cover - isfile() was checked
        raise ArchiveCorrupt(f"archive entry {member.name!r} has no data")
    return stream


@dataclass(frozen=True)
class VerifiedBundle:
    """A bundle whose signature and every payload hash held when it was opened."""

    path: Path
    manifest: Manifest
    manifest_bytes: bytes
    signature_bytes: bytes
    signed_by: str
    archive_sha256: str
    archive_size: int
    limits: ArchiveLimits

    def extract(self, dest: Path) -> Path:
        """Write the payloads (and the manifest and signature) into the new directory `dest`.

        Layout: `dest/manifest.json`, `dest/manifest.sig`, `dest/payloads/<path>`. `dest`
        must not exist; it appears whole or not at all.
        """
        if dest.exists():
            raise BundleError(f"{dest} exists; extract into a new directory")
        expected = self.manifest.files()
        partial = dest.with_name(f".{dest.name}.{uuid.uuid4().hex}.partial")
        try:
            partial.mkdir(parents=True)
            (partial / MANIFEST_NAME).write_bytes(self.manifest_bytes)
            (partial / SIGNATURE_NAME).write_bytes(self.signature_bytes)
            written: set[str] = set()
            with _open_stream(self.path) as tar:
                for member in tar:
                    name = _check_entry(member)
                    if not member.isfile() or not name.startswith(PAYLOAD_DIR + "/"):
                        continue
                    rel = name[len(PAYLOAD_DIR) + 1 :]
                    want = expected.get(rel)
                    if want is None:
                        raise PayloadHashMismatch(
                            f"archive entry {name!r} is not in the manifest: the archive changed "
                            "after it was verified; verify it again"
                        )
                    target = partial / PAYLOAD_DIR / rel
                    target.parent.mkdir(parents=True, exist_ok=True)
                    _copy_checked(_read_member(tar, member), target, want)
                    written.add(rel)
            missing = sorted(set(expected) - written)
            if missing:
                raise ArchiveCorrupt(f"payload {missing[0]} disappeared from the archive")
            _fsync_tree(partial)
            os.rename(partial, dest)
            _fsync_dir(dest.parent)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise BundleIOError(f"cannot extract bundle into {dest}: {exc}") from exc
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
        return dest


def _copy_checked(src: IO[bytes], target: Path, want: PayloadFile) -> None:
    digest = hashlib.sha256()
    size = 0
    with target.open("wb") as out:
        while chunk := src.read(_CHUNK):
            size += len(chunk)
            if size > want.size:
                break
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    if size != want.size or digest.hexdigest() != want.sha256:
        raise PayloadHashMismatch(
            f"payload {want.path} changed after the bundle was verified; verify it again"
        )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            fd = os.open(os.path.join(dirpath, name), os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        _fsync_dir(Path(dirpath))


def open_bundle(
    path: Path, trusted: TrustedKeys, limits: ArchiveLimits | None = None
) -> VerifiedBundle:
    """Verify a bundle archive without writing anything; see the module docstring."""
    limits = limits or ArchiveLimits()
    try:
        archive_size = path.stat().st_size
    except FileNotFoundError as exc:
        raise ArchiveCorrupt(f"bundle archive {path} does not exist") from exc
    except OSError as exc:
        raise BundleIOError(f"cannot read bundle archive {path}: {exc.strerror}") from exc
    if archive_size > limits.max_archive_bytes:
        raise ArchiveTooLarge(
            f"bundle archive {path} is {archive_size} bytes, over the limit of "
            f"{limits.max_archive_bytes}; it is refused (raise the limit only for a bundle "
            "you expect to be this large)"
        )
    archive_sha256 = _hash_file(path)[0]
    meta: dict[str, bytes] = {}
    hashes: dict[str, tuple[str, int]] = {}
    seen: set[str] = set()
    unpacked = 0
    with _open_stream(path) as tar:
        for count, member in enumerate(tar, start=1):
            if count > limits.max_entries:
                raise ArchiveTooLarge(
                    f"bundle archive {path} has more than {limits.max_entries} entries; refused"
                )
            name = _check_entry(member)
            if name in seen:
                raise UnsafeArchiveEntry(
                    f"archive entry {name!r} appears twice (a later copy would replace the "
                    "first); do not install it, rebuild the bundle"
                )
            seen.add(name)
            unpacked += member.size
            if unpacked > limits.max_unpacked_bytes:
                raise ArchiveTooLarge(
                    f"bundle archive {path} unpacks to more than {limits.max_unpacked_bytes} "
                    "bytes; refused"
                )
            if member.isdir():
                continue
            if name in (MANIFEST_NAME, SIGNATURE_NAME):
                if member.size > _MAX_META_BYTES:
                    raise ArchiveTooLarge(f"{name} is over {_MAX_META_BYTES} bytes; refused")
                meta[name] = _read_member(tar, member).read()
            elif name.startswith(PAYLOAD_DIR + "/"):
                hashes[name[len(PAYLOAD_DIR) + 1 :]] = _hash_stream(_read_member(tar, member))
            else:
                raise UnsafeArchiveEntry(
                    f"archive entry {name!r} is neither the manifest, its signature nor a "
                    f"payload under {PAYLOAD_DIR}/; do not install it, rebuild the bundle"
                )
    for name in (MANIFEST_NAME, SIGNATURE_NAME):
        if name not in meta:
            raise ArchiveCorrupt(f"bundle archive {path} has no {name}; it is not a bundle")
    signed_by = verify_manifest(meta[MANIFEST_NAME], meta[SIGNATURE_NAME], trusted)
    manifest = parse_manifest(meta[MANIFEST_NAME])
    _compare(manifest, hashes)
    return VerifiedBundle(
        path=path,
        manifest=manifest,
        manifest_bytes=meta[MANIFEST_NAME],
        signature_bytes=meta[SIGNATURE_NAME],
        signed_by=signed_by,
        archive_sha256=archive_sha256,
        archive_size=archive_size,
        limits=limits,
    )


def _hash_stream(stream: IO[bytes]) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


def _compare(manifest: Manifest, hashes: Mapping[str, tuple[str, int]]) -> None:
    expected = manifest.files()
    for rel, want in expected.items():
        got = hashes.get(rel)
        if got is None:
            raise ArchiveCorrupt(
                f"payload {rel} named in the manifest is not in the archive; rebuild the bundle"
            )
        sha, size = got
        if sha != want.sha256 or size != want.size:
            raise PayloadHashMismatch(
                f"payload {rel} does not match the signed manifest (SHA-256 {sha[:16]}..., "
                f"{size} bytes; signed {want.sha256[:16]}..., {want.size} bytes): it was "
                "altered after signing; do not install it"
            )
    extra = sorted(set(hashes) - set(expected))
    if extra:
        raise UnsafeArchiveEntry(
            f"archive entry {PAYLOAD_DIR}/{extra[0]} is not in the signed manifest; do not "
            "install it, rebuild the bundle"
        )
