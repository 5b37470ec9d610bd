"""Domain-mapping certificates: one row per ACME order (sealed key, order URL, chain, state).

Revision ID: 0110
Revises: 0100
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0110"
down_revision: str | None = "0100"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "domain_certificates",
        sa.Column("order_key", sa.String(300), nullable=False),
        sa.Column("hostname", sa.String(253), nullable=False),
        sa.Column("tenant_id", sa.String(128), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("key_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("order_url", sa.String(1000), nullable=True),
        sa.Column("fullchain_pem", sa.Text(), nullable=True),
        sa.Column("serial_hex", sa.String(64), nullable=True),
        _ts("not_before", True),
        _ts("not_after", True),
        sa.Column("revoked_at_ca", sa.Boolean(), nullable=False),
        _ts("created_at", False),
        _ts("updated_at", False),
        sa.CheckConstraint(
            "state IN ('ordering', 'issued', 'serving', 'replaced', 'removed')",
            name="ck_domain_certificates_cert_state",
        ),
        sa.PrimaryKeyConstraint("order_key", name="pk_domain_certificates"),
    )
    op.create_index(
        "ix_domain_certificates_hostname", "domain_certificates", ["hostname"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_domain_certificates_hostname", table_name="domain_certificates")
    op.drop_table("domain_certificates")
