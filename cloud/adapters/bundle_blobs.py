"""Bundle archives on disk under the cloud data directory (`<data_dir>/bundles/blobs/`).

Adapter room: writes and reads only files in its directory. A blob is written to a
temporary name, fsynced, and renamed into place, so a reader sees it whole or not at all.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from pathlib import Path

from shared.bundles import BundleIOError, validate_bundle_id

_CHUNK = 1 << 20


class BundleBlobStore:
    """One file per published bundle: `<bundle_id>.tar.gz`."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_of(self, bundle_id: str) -> Path:
        return self.directory / f"{validate_bundle_id(bundle_id)}.tar.gz"

    def put(self, source: Path, bundle_id: str, sha256: str) -> Path:
        """Copy `source` in as the blob of `bundle_id`; its SHA-256 must be `sha256`."""
        target = self.path_of(bundle_id)
        partial = self.directory / f".{bundle_id}.{uuid.uuid4().hex}.partial"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            digest = hashlib.sha256()
            with source.open("rb") as src, partial.open("wb") as out:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if digest.hexdigest() != sha256:
                raise BundleIOError(
                    f"{source} changed while it was being published; publish it again"
                )
            os.replace(partial, target)
            fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise BundleIOError(f"cannot store bundle blob {target}: {exc}") from exc
        finally:
            partial.unlink(missing_ok=True)
        return target

    def read_range(self, path: Path, offset: int, length: int) -> bytes:
        """Up to `length` bytes of a blob from `offset` (empty at the end)."""
        try:
            with path.open("rb") as f:
                f.seek(offset)
                return f.read(length)
        except OSError as exc:
            raise BundleIOError(f"cannot read bundle blob {path}: {exc}") from exc
