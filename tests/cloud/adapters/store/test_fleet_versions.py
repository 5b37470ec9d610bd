"""Matrix copies and published bundles in the real cloud store (SQLite and PostgreSQL)."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from cloud.adapters.store import CloudStore
from cloud.adapters.store.fleet_versions import (
    BundleConflict,
    MatrixVersionConflict,
    PublishedBundle,
)
from tests.cloud.adapters.store.builders import NOW


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_matrix_versions_only_go_up_and_a_version_never_changes(store: CloudStore) -> None:
    assert store.compat_matrices.current() is None
    assert store.compat_matrices.save(1, _sha("v1"), "v1", NOW, "ops") is True
    assert store.compat_matrices.save(1, _sha("v1"), "v1", NOW, "ops") is False
    assert store.compat_matrices.save(3, _sha("v3"), "v3", NOW, "ops") is True
    with pytest.raises(MatrixVersionConflict, match="bump `version`"):
        store.compat_matrices.save(3, _sha("other"), "other", NOW, "ops")
    with pytest.raises(MatrixVersionConflict, match="older than the stored version 3"):
        store.compat_matrices.save(2, _sha("v2"), "v2", NOW, "ops")
    current = store.compat_matrices.current()
    assert current is not None and (current.version, current.body) == (3, "v3")


def _bundle(bundle_id: str, sha: str, minutes: int = 0) -> PublishedBundle:
    return PublishedBundle(
        bundle_id=bundle_id,
        sha256=sha,
        size=10,
        manifest="{}",
        signed_by="0123456789abcdef",
        blob_path=f"/data/bundles/{bundle_id}.tar.gz",
        matrix_version=1,
        published_at=NOW + timedelta(minutes=minutes),
        published_by="ops",
    )


def test_a_bundle_id_is_published_once(store: CloudStore) -> None:
    assert store.bundles.add(_bundle("2026.11.1", "a" * 64)) is True
    assert store.bundles.add(_bundle("2026.11.1", "a" * 64)) is False
    with pytest.raises(BundleConflict, match="never reused"):
        store.bundles.add(_bundle("2026.11.1", "b" * 64))
    store.bundles.add(_bundle("2026.12.1", "c" * 64, minutes=5))
    assert [b.bundle_id for b in store.bundles.list()] == ["2026.11.1", "2026.12.1"]
    got = store.bundles.get("2026.11.1")
    assert got is not None and got.sha256 == "a" * 64 and got.published_at == NOW
    assert store.bundles.get("nope") is None


def test_labels_are_added_once_removed_and_found_by_label(store: CloudStore) -> None:
    store.site_labels.add("store-0002", ["pilot", "north"], NOW)
    store.site_labels.add("store-0001", ["pilot"], NOW)
    store.site_labels.add("store-0001", ["pilot"], NOW)
    assert store.site_labels.sites_with("pilot") == ["store-0001", "store-0002"]
    store.site_labels.remove("store-0002", ["pilot"])
    assert store.site_labels.of_site("store-0002") == ["north"]
    assert store.site_labels.sites_with("pilot") == ["store-0001"]
