"""Replication: the per-stream change log, live records, publish ids and ingested records.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "change_streams",
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("floor_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("stream", name="pk_change_streams"),
    )
    op.create_table(
        "changes",
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("key", sa.String(256), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("deleted", sa.Boolean(), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=True),
        _ts("changed_at", False),
        sa.Column("publish_id", sa.String(256), nullable=True),
        sa.PrimaryKeyConstraint("stream", "seq", name="pk_changes"),
    )
    op.create_index("ix_changes_stream_scope_seq", "changes", ["stream", "scope", "seq"])
    op.create_table(
        "current_records",
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("scope", sa.String(200), nullable=False),
        sa.Column("key", sa.String(256), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("stream", "scope", "key", name="pk_current_records"),
    )
    op.create_table(
        "change_publishes",
        sa.Column("publish_id", sa.String(256), nullable=False),
        sa.Column("appended", sa.Integer(), nullable=False),
        sa.Column("changes_sha256", sa.String(64), nullable=False),
        _ts("published_at", False),
        sa.PrimaryKeyConstraint("publish_id", name="pk_change_publishes"),
    )
    op.create_table(
        "ingested_records",
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("key", sa.String(256), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("batch_id", sa.String(256), nullable=False),
        _ts("ingested_at", False),
        sa.Column("register_id", sa.String(128), nullable=False),
        sa.Column("business_day", sa.String(10), nullable=False),
        sa.Column("total_minor_units", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "stream", "key", name="pk_ingested_records"),
    )
    op.create_index(
        "ix_ingested_records_site_id_register_id_business_day",
        "ingested_records",
        ["site_id", "register_id", "business_day"],
    )


def downgrade() -> None:
    op.drop_table("ingested_records")
    op.drop_table("change_publishes")
    op.drop_table("current_records")
    op.drop_index("ix_changes_stream_scope_seq", table_name="changes")
    op.drop_table("changes")
    op.drop_table("change_streams")
