"""Builds the compatibility policy of this cloud (composition helper for worker and assembly).

Composition room: reads this build's version and hands the store's matrix copies to the policy.
"""

from __future__ import annotations

from cloud.compat import MatrixCompatibility, MatrixCopies, StoredMatrixSource
from cloud.compatibility import CloudVersions
from shared.version import package_version


def this_cloud() -> CloudVersions:
    """The cloud tier's component versions: both ship in this distribution."""
    version = package_version()
    return CloudVersions({"cloud": version, "replication": version})


def matrix_compatibility(copies: MatrixCopies, minimum: str | None = None) -> MatrixCompatibility:
    """The policy deciding with the store's newest matrix copy (or the packaged file)."""
    return MatrixCompatibility(StoredMatrixSource(copies), this_cloud(), minimum)
