"""Builds the fleet-versioning service (matrix, bundles) over an opened cloud store.

Composition room: the one place that picks the blob directory and the trusted publisher keys
directory under the cloud data directory and wires them into `FleetVersionService`.
"""

from __future__ import annotations

from pathlib import Path

from cloud.adapters.bundle_blobs import BundleBlobStore
from cloud.adapters.store import CloudStore
from cloud.compat import StoredMatrixSource
from cloud.composition.compat_wiring import matrix_compatibility
from cloud.config import CloudConfig
from cloud.services.bundles import FleetVersionService
from shared.bundles import TrustedKeys


def bundle_blobs_dir(config: CloudConfig) -> Path:
    return config.data_dir / "bundles" / "blobs"


def trusted_keys_dir(config: CloudConfig) -> Path:
    """Public keys (`*.pem`) of the publishers whose bundles this cloud accepts."""
    return config.data_dir / "bundles" / "trusted-keys"


def trusted_publishers(config: CloudConfig) -> TrustedKeys:
    directory = trusted_keys_dir(config)
    return TrustedKeys.from_files([directory]) if directory.is_dir() else TrustedKeys({})


def fleet_versions(config: CloudConfig, store: CloudStore) -> FleetVersionService:
    policy = matrix_compatibility(store.compat_matrices, config.min_agent_version)
    return FleetVersionService(
        store.compat_matrices,
        store.bundles,
        BundleBlobStore(bundle_blobs_dir(config)),
        policy,
        StoredMatrixSource(store.compat_matrices),
        trusted_publishers(config),
    )
