"""Sites: the release state their agents report and their trading calendars.

Revision ID: 0310
Revises: 0300
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0310"
down_revision: str | None = "0300"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _ts(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "site_releases",
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("current_bundle", sa.String(64), nullable=False),
        sa.Column("last_known_good", sa.String(64), nullable=False),
        sa.Column("last_install_bundle", sa.String(64), nullable=False),
        sa.Column("last_install_outcome", sa.String(32), nullable=False),
        sa.Column("last_install_failed_step", sa.String(64), nullable=False),
        sa.Column("last_install_message", sa.Text(), nullable=False),
        _ts("reported_at"),
        sa.PrimaryKeyConstraint("site_id", name="pk_site_releases"),
    )
    op.create_table(
        "site_calendars",
        sa.Column("site_id", sa.String(63), nullable=False),
        sa.Column("calendar", sa.LargeBinary(), nullable=False),
        sa.Column("config_generation", sa.BigInteger(), nullable=False),
        _ts("updated_at"),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("site_id", name="pk_site_calendars"),
    )


def downgrade() -> None:
    op.drop_table("site_calendars")
    op.drop_table("site_releases")
