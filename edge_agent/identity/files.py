"""Where the site identity lives under the data directory, and how it is written (atomically).

Touches only the local file system under `data_dir/identity/`.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path

from shared.errors import IdentityError

logger = logging.getLogger(__name__)

PRIVATE_MODE = 0o600
PUBLIC_MODE = 0o644
DIR_MODE = 0o700


@dataclass(frozen=True)
class IdentityPaths:
    """The files of one site identity."""

    root: Path

    @classmethod
    def under(cls, data_dir: Path) -> IdentityPaths:
        return cls(data_dir / "identity")

    @property
    def key(self) -> Path:
        return self.root / "site.key"

    @property
    def certificate(self) -> Path:
        return self.root / "site.crt"

    @property
    def ca_certificate(self) -> Path:
        return self.root / "ca.crt"

    @property
    def record(self) -> Path:
        return self.root / "enrollment.json"

    def ensure_dir(self) -> None:
        self.root.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)


@dataclass(frozen=True)
class EnrollmentRecord:
    """What enrollment learned: which site this box is and where its cloud lives."""

    site_id: str
    cloud_host: str
    discovery_port: int
    enroll_port: int
    control_port: int
    ca_fingerprint: str
    enrolled_at: str
    agent_version: str = ""

    def to_json(self) -> bytes:
        return (json.dumps(asdict(self), indent=2, sort_keys=True) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes, source: Path) -> EnrollmentRecord:
        try:
            raw = json.loads(data)
            return cls(**raw)
        except (ValueError, TypeError) as exc:
            raise IdentityError(
                f"enrollment record {source} is unreadable ({exc}); "
                "restore it from backup or enroll this box again"
            ) from exc

    def control_target(self) -> str:
        return _target(self.cloud_host, self.control_port)


def _target(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def write_atomic(path: Path, data: bytes, mode: int) -> None:
    """Write `data` to `path` via temp file + fsync + rename, so readers see old or new."""
    path.parent.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)  # O_CREAT honours umask; the mode must be exact
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_private(path: Path) -> bytes:
    """Read a secret file, warning when it is readable by others."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning("%s has mode %o; tightening to 0600", path, mode)
        os.chmod(path, PRIVATE_MODE)
    return path.read_bytes()


def load_record(paths: IdentityPaths) -> EnrollmentRecord | None:
    """The enrollment record, or None when this box has not enrolled."""
    try:
        data = paths.record.read_bytes()
    except FileNotFoundError:
        return None
    return EnrollmentRecord.from_json(data, paths.record)
