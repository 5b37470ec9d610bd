"""Tables of fleet versioning: the compatibility matrix's copies, published bundles, and the
labels rollouts select sites by.

Store room: declares tables on the shared `metadata` of `cloud.store.tables` (which imports
this module at its end); no engine, no I/O. Created by migration 0300.
"""

from __future__ import annotations

import sqlalchemy as sa

from cloud.store.tables import UtcDateTime, metadata

# Every version of the compatibility matrix the cloud was given; the newest decides.
compat_matrices = sa.Table(
    "compat_matrices",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("loaded_at", UtcDateTime, nullable=False),
    sa.Column("loaded_by", sa.String(200), nullable=False),
)

# Published version bundles: the signed manifest and where the archive's blob is on disk.
bundles = sa.Table(
    "bundles",
    metadata,
    sa.Column("bundle_id", sa.String(64), primary_key=True),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger, nullable=False),
    sa.Column("manifest", sa.Text, nullable=False),
    sa.Column("signed_by", sa.String(16), nullable=False),
    sa.Column("blob_path", sa.Text, nullable=False),
    sa.Column("matrix_version", sa.Integer, nullable=False),
    sa.Column("published_at", UtcDateTime, nullable=False),
    sa.Column("published_by", sa.String(200), nullable=False),
)

# Labels of sites that rollouts select rings by (e.g. "pilot", "region-north").
site_labels = sa.Table(
    "site_labels",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column("label", sa.String(63), primary_key=True),
    sa.Column("added_at", UtcDateTime, nullable=False),
    sa.Index("ix_site_labels_label", "label"),
)
