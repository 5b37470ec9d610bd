"""Fleet versioning: copies of the compatibility matrix, published version bundles, site labels.

Revision ID: 0300
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0300"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "compat_matrices",
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        _ts("loaded_at"),
        sa.Column("loaded_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("version", name="pk_compat_matrices"),
    )
    op.create_table(
        "bundles",
        sa.Column("bundle_id", sa.String(64), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("manifest", sa.Text(), nullable=False),
        sa.Column("signed_by", sa.String(16), nullable=False),
        sa.Column("blob_path", sa.Text(), nullable=False),
        sa.Column("matrix_version", sa.Integer(), nullable=False),
        _ts("published_at"),
        sa.Column("published_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("bundle_id", name="pk_bundles"),
    )
    op.create_table(
        "site_labels",
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("label", sa.String(63), nullable=False),
        _ts("added_at"),
        sa.PrimaryKeyConstraint("site_id", "label", name="pk_site_labels"),
    )
    op.create_index("ix_site_labels_label", "site_labels", ["label"])


def downgrade() -> None:
    op.drop_index("ix_site_labels_label", table_name="site_labels")
    op.drop_table("site_labels")
    op.drop_table("bundles")
    op.drop_table("compat_matrices")
