"""Initial cloud store: channels, sites, tokens, certificates, commands, facts, audit.

Revision ID: 0001
Revises:
Create Date: 2025-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str, nullable: bool) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _seq() -> sa.Column[int]:
    return sa.Column(
        "seq",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=True,
    )


def upgrade() -> None:
    op.create_table(
        "sales_channels",
        sa.Column("channel_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("streams", sa.JSON(), nullable=False),
        _ts("created_at", False),
        sa.PrimaryKeyConstraint("channel_id", name="pk_sales_channels"),
    )
    op.create_table(
        "sites",
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("sales_channel_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("agent_version", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("certificate_serial", sa.String(64), nullable=True),
        sa.Column("config_generation", sa.Integer(), nullable=True),
        _ts("last_seen_at", True),
        _ts("created_at", False),
        _ts("updated_at", False),
        _ts("revoked_at", True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("site_id", name="pk_sites"),
        sa.ForeignKeyConstraint(
            ["sales_channel_id"],
            ["sales_channels.channel_id"],
            name="fk_sites_sales_channel_id_sales_channels",
        ),
        sa.CheckConstraint(
            "status IN ('provisioning', 'ready', 'timed_out', 'revoked')",
            name=op.f("ck_sites_status"),
        ),
    )
    op.create_index("ix_sites_sales_channel_id", "sites", ["sales_channel_id"])
    op.create_index("ix_sites_status", "sites", ["status"])

    op.create_table(
        "bootstrap_tokens",
        sa.Column("token_id", sa.String(128), nullable=False),
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("workflow_id", sa.String(256), nullable=False),
        _ts("expires_at", False),
        _ts("used_at", True),
        sa.Column("used_by_public_key_sha256", sa.String(64), nullable=True),
        _ts("revoked_at", True),
        _ts("created_at", False),
        sa.PrimaryKeyConstraint("token_id", name="pk_bootstrap_tokens"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.site_id"], name="fk_bootstrap_tokens_site_id_sites"
        ),
        sa.UniqueConstraint("token_hash", name="uq_bootstrap_tokens_token_hash"),
    )
    op.create_index("ix_bootstrap_tokens_site_id", "bootstrap_tokens", ["site_id"])

    op.create_table(
        "certificates",
        sa.Column("serial", sa.String(64), nullable=False),
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("token_id", sa.String(128), nullable=True),
        sa.Column("pem", sa.Text(), nullable=False),
        sa.Column("public_key_sha256", sa.String(64), nullable=False),
        _ts("not_before", False),
        _ts("not_after", False),
        sa.Column("issued_via", sa.String(16), nullable=False),
        _ts("revoked_at", True),
        _ts("created_at", False),
        sa.PrimaryKeyConstraint("serial", name="pk_certificates"),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.site_id"], name="fk_certificates_site_id_sites"
        ),
        sa.ForeignKeyConstraint(
            ["token_id"],
            ["bootstrap_tokens.token_id"],
            name="fk_certificates_token_id_bootstrap_tokens",
        ),
        sa.UniqueConstraint("token_id", name="uq_certificates_token_id"),
        sa.CheckConstraint(
            "issued_via IN ('enrollment', 'renewal')", name=op.f("ck_certificates_issued_via")
        ),
    )
    op.create_index("ix_certificates_site_id", "certificates", ["site_id"])
    op.create_index("ix_certificates_revoked_at", "certificates", ["revoked_at"])

    op.create_table(
        "commands",
        _seq(),
        sa.Column("command_id", sa.String(256), nullable=False),
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("task_token", sa.LargeBinary(), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.LargeBinary(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        _ts("created_at", False),
        _ts("delivered_at", True),
        _ts("completed_at", True),
        sa.PrimaryKeyConstraint("seq", name="pk_commands"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.site_id"], name="fk_commands_site_id_sites"),
        sa.UniqueConstraint("command_id", name="uq_commands_command_id"),
        sa.CheckConstraint(
            "status IN ('pending', 'delivered', 'completed', 'failed')",
            name=op.f("ck_commands_status"),
        ),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_commands_site_id", "commands", ["site_id"])

    op.create_table(
        "process_facts",
        _seq(),
        sa.Column("fact_id", sa.String(256), nullable=False),
        sa.Column("fact_type", sa.String(128), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
        _ts("occurred_at", False),
        sa.Column("workflow_id", sa.String(256), nullable=False),
        sa.Column("run_id", sa.String(128), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_process_facts"),
        sa.UniqueConstraint("fact_id", name="uq_process_facts_fact_id"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_process_facts_subject", "process_facts", ["subject"])

    op.create_table(
        "audit_log",
        _seq(),
        _ts("at", False),
        sa.Column("actor", sa.String(256), nullable=False),
        sa.Column("action", sa.String(128), nullable=False),
        sa.Column("subject", sa.String(256), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_audit_log"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_log_subject", "audit_log", ["subject"])


def downgrade() -> None:
    for table in (
        "audit_log",
        "process_facts",
        "commands",
        "certificates",
        "bootstrap_tokens",
        "sites",
        "sales_channels",
    ):
        op.drop_table(table)
