"""Real-time-required operations: decisions per (site, operation id), the embedded providers'
ledgers (gift cards, loyalty, customer register, return authorizations, inter-site stock), the
compensation cases and the offline policies set per channel or site.

Revision ID: 0200
Revises: 0003
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0200"
down_revision: str | None = "0110"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _entries(name: str, subject: str, amount: str) -> None:
    op.create_table(
        name,
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("operation_id", sa.String(128), nullable=False),
        sa.Column(subject, sa.String(128), nullable=False),
        sa.Column(amount, sa.BigInteger(), nullable=False),
        sa.Column("balance_after", sa.BigInteger(), nullable=False),
        _ts("at"),
        sa.PrimaryKeyConstraint("site_id", "operation_id", name=f"pk_{name}"),
    )
    op.create_index(f"ix_{name}_{subject}", name, [subject])


def upgrade() -> None:
    op.create_table(
        "realtime_operations",
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("operation_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("verdict", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(64), nullable=False),
        sa.Column("path", sa.String(16), nullable=False),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("decision", sa.LargeBinary(), nullable=False),
        _ts("decided_at"),
        sa.Column("reconciled", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "operation_id", name="pk_realtime_operations"),
    )
    op.create_index(
        "ix_realtime_operations_subject_decided_at",
        "realtime_operations",
        ["subject", "decided_at"],
    )
    op.create_table(
        "gift_cards",
        sa.Column("card_number", sa.String(128), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("balance_minor_units", sa.BigInteger(), nullable=False),
        _ts("issued_at"),
        _ts("updated_at"),
        sa.CheckConstraint("balance_minor_units >= 0", name="ck_gift_cards_balance_not_negative"),
        sa.PrimaryKeyConstraint("card_number", name="pk_gift_cards"),
    )
    _entries("gift_card_entries", "card_number", "amount_minor_units")
    op.create_table(
        "loyalty_accounts",
        sa.Column("loyalty_number", sa.String(128), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        _ts("updated_at"),
        sa.CheckConstraint("points >= 0", name="ck_loyalty_accounts_points_not_negative"),
        sa.PrimaryKeyConstraint("loyalty_number", name="pk_loyalty_accounts"),
    )
    _entries("loyalty_entries", "loyalty_number", "points")
    op.create_table(
        "customer_register",
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("sales_channel_id", sa.String(63), nullable=False),
        sa.Column("record", sa.LargeBinary(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("updated_by_site", sa.String(63), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("customer_id", name="pk_customer_register"),
    )
    op.create_table(
        "return_authorizations",
        sa.Column("receipt_key", sa.String(300), nullable=False),
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("operation_id", sa.String(128), nullable=False),
        sa.Column("amount_minor_units", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        _ts("at"),
        sa.PrimaryKeyConstraint("receipt_key", name="pk_return_authorizations"),
    )
    op.create_table(
        "inventory_levels",
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("sku", sa.String(128), nullable=False),
        sa.Column("quantity", sa.BigInteger(), nullable=False),
        _ts("updated_at"),
        sa.PrimaryKeyConstraint("site_id", "sku", name="pk_inventory_levels"),
    )
    op.create_table(
        "realtime_exceptions",
        sa.Column("exception_id", sa.String(256), nullable=False),
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("operation_id", sa.String(128), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("rejection", sa.LargeBinary(), nullable=False),
        _ts("opened_at"),
        _ts("resolved_at", True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.Column("resolved_by", sa.String(256), nullable=True),
        sa.CheckConstraint("status IN ('open', 'resolved')", name="ck_realtime_exceptions_status"),
        sa.PrimaryKeyConstraint("exception_id", name="pk_realtime_exceptions"),
    )
    op.create_index("ix_realtime_exceptions_site_id", "realtime_exceptions", ["site_id"])
    op.create_table(
        "realtime_policy_overrides",
        sa.Column("scope", sa.String(16), nullable=False),
        sa.Column("scope_id", sa.String(63), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.Column("policy", sa.Integer(), nullable=False),
        sa.Column("per_subject", sa.BigInteger(), nullable=False),
        sa.Column("per_store_per_day", sa.BigInteger(), nullable=False),
        _ts("updated_at"),
        sa.CheckConstraint(
            "scope IN ('channel', 'site')", name="ck_realtime_policy_overrides_scope"
        ),
        sa.PrimaryKeyConstraint("scope", "scope_id", "kind", name="pk_realtime_policy_overrides"),
    )


def downgrade() -> None:
    for name in (
        "realtime_policy_overrides",
        "realtime_exceptions",
        "inventory_levels",
        "return_authorizations",
        "customer_register",
        "loyalty_entries",
        "loyalty_accounts",
        "gift_card_entries",
        "gift_cards",
        "realtime_operations",
    ):
        op.drop_table(name)
