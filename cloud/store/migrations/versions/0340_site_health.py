"""Sites: the health their agents report (replication lag, checksum results, error counts).

Revision ID: 0340
Revises: 0310
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0340"
down_revision: str | None = "0310"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "site_health_reports",
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("replication_lag", sa.BigInteger(), nullable=False),
        sa.Column("checksum_mismatches", sa.Text(), nullable=False),
        sa.Column("checksums_verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error_counts", sa.Text(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("site_id", name="pk_site_health_reports"),
    )


def downgrade() -> None:
    op.drop_table("site_health_reports")
