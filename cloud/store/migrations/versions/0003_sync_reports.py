"""Sync reports: per site and down stream the applied seq its agent reported; per site the
outbox depth it reported and the time of its last acknowledged push.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "site_stream_checkpoints",
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("applied_seq", sa.BigInteger(), nullable=False),
        _ts("reported_at", False),
        sa.PrimaryKeyConstraint("site_id", "stream", name="pk_site_stream_checkpoints"),
    )
    op.create_table(
        "site_sync_reports",
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("outbox_pending", sa.BigInteger(), nullable=True),
        _ts("outbox_reported_at", True),
        _ts("last_push_at", True),
        sa.PrimaryKeyConstraint("site_id", name="pk_site_sync_reports"),
    )


def downgrade() -> None:
    op.drop_table("site_sync_reports")
    op.drop_table("site_stream_checkpoints")
