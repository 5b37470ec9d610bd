"""Version bundles and the compatibility matrix as ops handle them: load the matrix, check a
bundle against it, publish signed bundles, list and show them.

Service room: receives its ports (the store's matrix copies and bundle rows, a blob store,
the compatibility policy, the trusted publisher keys) from a composition root; synchronous.
Publishing verifies the archive (signature, every hash, safe entries, size) and asks the
matrix before anything is stored; a refusal stores nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from cloud.compatibility import BundleVersions, Matrix, Verdict, parse_matrix
from cloud.fleet_records import PublishedBundle, StoredMatrix
from shared.bundles import (
    ArchiveLimits,
    Manifest,
    TrustedKeys,
    open_bundle,
    parse_manifest,
    validate_bundle_id,
)
from shared.errors import InvalidInput, NotFound

__all__ = ["BundleCheck", "FleetVersionService", "bundle_versions"]


class MatrixRows(Protocol):
    def save(self, version: int, sha256: str, body: str, at: datetime, by: str) -> bool: ...
    def current(self) -> StoredMatrix | None: ...


class BundleRows(Protocol):
    def add(self, bundle: PublishedBundle) -> bool: ...
    def get(self, bundle_id: str) -> PublishedBundle | None: ...
    def list(self) -> list[PublishedBundle]: ...


class BlobStore(Protocol):
    def put(self, source: Path, bundle_id: str, sha256: str) -> Path: ...


class MatrixPolicy(Protocol):
    def bundle_verdict(self, bundle: BundleVersions) -> Verdict: ...
    def transition_verdict(
        self, current: BundleVersions | None, target: BundleVersions
    ) -> Verdict: ...


class MatrixSourcePort(Protocol):
    def matrix(self) -> Matrix: ...


def bundle_versions(manifest: Manifest) -> BundleVersions:
    """What the matrix needs of a manifest."""
    return BundleVersions(
        bundle_id=manifest.bundle_id,
        components=dict(manifest.components),
        proto_majors=dict(manifest.proto_majors),
        not_undoable=frozenset(s.component for s in manifest.steps if not s.undoable),
    )


@dataclass(frozen=True)
class BundleCheck:
    """A bundle's manifest and the matrix's verdict on it (and on the transition, if asked)."""

    manifest: Manifest
    verdict: Verdict
    signed_by: str
    sha256: str
    size: int
    from_bundle_id: str | None = None


class FleetVersionService:
    """The matrix in force and the published bundles."""

    def __init__(
        self,
        matrices: MatrixRows,
        bundles: BundleRows,
        blobs: BlobStore,
        policy: MatrixPolicy,
        source: MatrixSourcePort,
        trusted: TrustedKeys,
        limits: ArchiveLimits | None = None,
        clock: type[datetime] = datetime,
    ) -> None:
        self._matrices = matrices
        self._bundles = bundles
        self._blobs = blobs
        self._policy = policy
        self._source = source
        self._trusted = trusted
        self._limits = limits or ArchiveLimits()
        self._clock = clock

    # The matrix

    def load_matrix(self, text: str, by: str) -> tuple[Matrix, bool]:
        """Validate matrix text and store it as its version; True when that version is new."""
        matrix = parse_matrix(text)
        created = self._matrices.save(matrix.version, matrix.sha256, text, self._clock.now(UTC), by)
        return matrix, created

    def matrix(self) -> tuple[Matrix, bool]:
        """The matrix in force, and whether it comes from the store (else the shipped file)."""
        return self._source.matrix(), self._matrices.current() is not None

    # Bundles

    def _trusted_keys(self) -> TrustedKeys:
        if not len(self._trusted):
            raise InvalidInput(
                "no publisher key is trusted yet: add one with "
                "`commerce-cloud bundles trust PUBLIC_KEY.pem`"
            )
        return self._trusted

    def _published_versions(self, bundle_id: str) -> BundleVersions:
        row = self.get(bundle_id)
        return bundle_versions(parse_manifest(row.manifest.encode()))

    def check_archive(self, path: Path, from_bundle_id: str | None = None) -> BundleCheck:
        """Verify an archive and ask the matrix about it (and about going from a bundle)."""
        verified = open_bundle(path, self._trusted_keys(), self._limits)
        target = bundle_versions(verified.manifest)
        if from_bundle_id is None:
            verdict = self._policy.bundle_verdict(target)
        else:
            verdict = self._policy.transition_verdict(
                self._published_versions(from_bundle_id), target
            )
        return BundleCheck(
            verified.manifest,
            verdict,
            verified.signed_by,
            verified.archive_sha256,
            verified.archive_size,
            from_bundle_id,
        )

    def check_published(self, bundle_id: str, from_bundle_id: str | None = None) -> BundleCheck:
        """Ask the matrix in force about a published bundle (it may have changed since)."""
        row = self.get(bundle_id)
        manifest = parse_manifest(row.manifest.encode())
        target = bundle_versions(manifest)
        verdict = (
            self._policy.bundle_verdict(target)
            if from_bundle_id is None
            else self._policy.transition_verdict(self._published_versions(from_bundle_id), target)
        )
        return BundleCheck(manifest, verdict, row.signed_by, row.sha256, row.size, from_bundle_id)

    def publish(self, path: Path, by: str) -> tuple[PublishedBundle, bool]:
        """Verify, ask the matrix, then store the blob and its row; True when newly published.

        Refused (nothing stored): bad signature or untrusted key, a payload whose hash does not
        hold, an unsafe or oversize archive, a bundle the matrix refuses, a bundle id already
        published with another archive.
        """
        check = self.check_archive(path)
        check.verdict.raise_if_refused(f"bundle {check.manifest.bundle_id}")
        bundle_id = check.manifest.bundle_id
        existing = self._bundles.get(bundle_id)
        if existing is not None and existing.sha256 == check.sha256:
            return existing, False
        if existing is not None:
            self._bundles.add(self._row(check, existing.blob_path, by))  # raises the conflict
        blob = self._blobs.put(path, bundle_id, check.sha256)
        row = self._row(check, str(blob), by)
        return row, self._bundles.add(row)

    def _row(self, check: BundleCheck, blob_path: str, by: str) -> PublishedBundle:
        return PublishedBundle(
            bundle_id=check.manifest.bundle_id,
            sha256=check.sha256,
            size=check.size,
            manifest=check.manifest.canonical_bytes().decode(),
            signed_by=check.signed_by,
            blob_path=blob_path,
            matrix_version=check.verdict.matrix_version,
            published_at=self._clock.now(UTC),
            published_by=by,
        )

    def list(self) -> list[PublishedBundle]:
        return self._bundles.list()

    def get(self, bundle_id: str) -> PublishedBundle:
        validate_bundle_id(bundle_id)
        row = self._bundles.get(bundle_id)
        if row is None:
            raise NotFound(
                f"bundle {bundle_id} is not published; see `commerce-cloud bundles list`"
            )
        return row

    def manifest(self, bundle_id: str) -> Manifest:
        return parse_manifest(self.get(bundle_id).manifest.encode())


def manifest_summary(manifest: Manifest) -> dict[str, object]:
    """The manifest as JSON-ready data for listings."""
    data: dict[str, object] = json.loads(manifest.canonical_bytes())
    return data
