"""Domain claims: one row per claim of a hostname by a tenant (state, challenge, expected
records, last observed DNS answers, conditions, schedule, cooldown).

Revision ID: 0100
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0100"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "domain_claims",
        sa.Column("claim_id", sa.String(64), nullable=False),
        sa.Column("tenant_id", sa.String(128), nullable=False),
        sa.Column("hostname", sa.String(253), nullable=False),
        sa.Column("storefront_id", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("challenge_name", sa.String(300), nullable=False),
        sa.Column("challenge_value", sa.String(128), nullable=False),
        sa.Column("expected_records", sa.JSON(), nullable=False),
        sa.Column("observed", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("checks", sa.Integer(), nullable=False),
        _ts("next_check_at", True),
        _ts("created_at", False),
        _ts("updated_at", False),
        sa.Column("created_by", sa.String(256), nullable=False),
        sa.Column("workflow_id", sa.String(300), nullable=False),
        _ts("verified_at", True),
        _ts("released_at", True),
        _ts("cooldown_until", True),
        sa.CheckConstraint(
            "state IN ('pending', 'verified', 'failed', 'released', 'superseded')",
            name="ck_domain_claims_state",
        ),
        sa.PrimaryKeyConstraint("claim_id", name="pk_domain_claims"),
    )
    op.create_index("ix_domain_claims_tenant_id", "domain_claims", ["tenant_id"])
    op.create_index("ix_domain_claims_hostname", "domain_claims", ["hostname"])


def downgrade() -> None:
    op.drop_index("ix_domain_claims_hostname", table_name="domain_claims")
    op.drop_index("ix_domain_claims_tenant_id", table_name="domain_claims")
    op.drop_table("domain_claims")
