"""Compatibility matrix copies, published bundles and site labels in the cloud store.

Adapter room: reads and writes `compat_matrices`, `bundles` and `site_labels` (rows only;
bundle blobs are files the bundle service writes under the cloud data directory).
"""

from __future__ import annotations

import logging
from datetime import datetime

import sqlalchemy as sa

from cloud.adapters.store._db import Database, aware, utcnow
from cloud.adapters.store.errors import StoreError
from cloud.fleet_records import PublishedBundle, StoredMatrix
from cloud.store.fleet_tables import bundles, compat_matrices, site_labels

__all__ = [
    "BundleConflict",
    "BundleRepository",
    "CompatMatrixRepository",
    "MatrixVersionConflict",
    "PublishedBundle",
    "SiteLabelRepository",
    "StoredMatrix",
]

logger = logging.getLogger(__name__)


class MatrixVersionConflict(StoreError):
    """A matrix version is already stored with other contents, or is older than the newest."""


class BundleConflict(StoreError):
    """A bundle id is already published with other contents."""


class CompatMatrixRepository:
    """Every version of the compatibility matrix the cloud was given."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def save(self, version: int, sha256: str, body: str, at: datetime, by: str) -> bool:
        """Store `version`; True when new, False when the same text is already stored.

        Refuses a version number stored with other text, and a version below the newest.
        """
        when = aware(at, "at")

        def work(conn: sa.Connection) -> bool:
            newest = conn.execute(sa.select(sa.func.max(compat_matrices.c.version))).scalar()
            if newest is not None and version < newest:
                raise MatrixVersionConflict(
                    f"compatibility matrix version {version} is older than the stored "
                    f"version {newest}; load a newer file (versions only go up)"
                )
            same = conn.execute(
                sa.select(compat_matrices.c.sha256).where(compat_matrices.c.version == version)
            ).scalar_one_or_none()
            if same is not None:
                if same != sha256:
                    raise MatrixVersionConflict(
                        f"compatibility matrix version {version} is already stored with other "
                        "contents; bump `version` in the file for every change"
                    )
                return False
            conn.execute(
                compat_matrices.insert().values(
                    version=version, sha256=sha256, body=body, loaded_at=when, loaded_by=by
                )
            )
            return True

        return self._db.write(work)

    def current(self) -> StoredMatrix | None:
        """The newest stored version, or None when none was loaded."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(compat_matrices).order_by(compat_matrices.c.version.desc()).limit(1)
            ).first()
        return StoredMatrix(**row._mapping) if row else None


class BundleRepository:
    """Published bundles: one row per bundle id."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, bundle: PublishedBundle) -> bool:
        """Record a published bundle; True when new, False when the same archive is there."""

        def work(conn: sa.Connection) -> bool:
            same = conn.execute(
                sa.select(bundles.c.sha256).where(bundles.c.bundle_id == bundle.bundle_id)
            ).scalar_one_or_none()
            if same is not None:
                if same != bundle.sha256:
                    raise BundleConflict(
                        f"bundle {bundle.bundle_id} is already published with another archive "
                        f"(SHA-256 {same[:16]}...); a bundle id is never reused, build the "
                        "new archive under a new bundle id"
                    )
                return False
            values = {**bundle.__dict__, "published_at": aware(bundle.published_at, "at")}
            conn.execute(bundles.insert().values(**values))
            return True

        return self._db.write(work)

    def get(self, bundle_id: str) -> PublishedBundle | None:
        with self._db.read() as conn:
            row = conn.execute(sa.select(bundles).where(bundles.c.bundle_id == bundle_id)).first()
        return PublishedBundle(**row._mapping) if row else None

    def list(self) -> list[PublishedBundle]:
        with self._db.read() as conn:
            rows = conn.execute(sa.select(bundles).order_by(bundles.c.published_at)).all()
        return [PublishedBundle(**r._mapping) for r in rows]


class SiteLabelRepository:
    """Labels on sites: rollout rings select the ready sites that carry one."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def add(self, site_id: str, labels: list[str], at: datetime | None = None) -> None:
        when = aware(at or utcnow(), "at")

        def work(conn: sa.Connection) -> None:
            have = set(
                conn.execute(
                    sa.select(site_labels.c.label).where(site_labels.c.site_id == site_id)
                ).scalars()
            )
            for label in sorted(set(labels) - have):
                conn.execute(
                    site_labels.insert().values(site_id=site_id, label=label, added_at=when)
                )

        self._db.write(work)

    def remove(self, site_id: str, labels: list[str]) -> None:
        self._db.write(
            lambda conn: conn.execute(
                site_labels.delete().where(
                    site_labels.c.site_id == site_id, site_labels.c.label.in_(labels)
                )
            )
        )

    def of_site(self, site_id: str) -> list[str]:
        with self._db.read() as conn:
            return list(
                conn.execute(
                    sa.select(site_labels.c.label)
                    .where(site_labels.c.site_id == site_id)
                    .order_by(site_labels.c.label)
                ).scalars()
            )

    def sites_with(self, label: str) -> list[str]:
        with self._db.read() as conn:
            return list(
                conn.execute(
                    sa.select(site_labels.c.site_id)
                    .where(site_labels.c.label == label)
                    .order_by(site_labels.c.site_id)
                ).scalars()
            )
