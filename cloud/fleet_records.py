"""Records of fleet versioning as the store hands them out: matrix copies, published bundles.

Plain data (no I/O): the store adapter builds them, services and the CLI read them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StoredMatrix:
    """One stored version of the compatibility matrix."""

    version: int
    sha256: str
    body: str
    loaded_at: datetime
    loaded_by: str


@dataclass(frozen=True)
class PublishedBundle:
    """A published bundle: its signed manifest (canonical JSON) and where its archive is."""

    bundle_id: str
    sha256: str
    size: int
    manifest: str
    signed_by: str
    blob_path: str
    matrix_version: int
    published_at: datetime
    published_by: str
