"""Schema of storefront custom domains: the `domain_claims` table.

Store room: declares tables on the shared `metadata` only (no engine, no I/O); imported by
`cloud.store.tables` so the migrations check sees it. Revision 0100 creates it. A claim's
history is its rows in `audit_log` (subject `domain:<hostname>`).
"""

from __future__ import annotations

import sqlalchemy as sa

from cloud.domains.records import CLAIM_STATES
from cloud.store.tables import UtcDateTime, metadata


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


# One row per claim. A hostname has at most one claim in state pending or verified (the
# repository enforces it under a lock); released claims keep the hostname's cooldown.
domain_claims = sa.Table(
    "domain_claims",
    metadata,
    sa.Column("claim_id", sa.String(64), primary_key=True),
    sa.Column("tenant_id", sa.String(128), nullable=False, index=True),
    sa.Column("hostname", sa.String(253), nullable=False, index=True),
    sa.Column("storefront_id", sa.String(128), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("challenge_name", sa.String(300), nullable=False),
    sa.Column("challenge_value", sa.String(128), nullable=False),
    sa.Column("expected_records", sa.JSON, nullable=False),
    sa.Column("observed", sa.JSON, nullable=False),
    sa.Column("conditions", sa.JSON, nullable=False),
    sa.Column("checks", sa.Integer, nullable=False),
    sa.Column("next_check_at", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("created_by", sa.String(256), nullable=False),
    sa.Column("workflow_id", sa.String(300), nullable=False),
    sa.Column("verified_at", UtcDateTime, nullable=True),
    sa.Column("released_at", UtcDateTime, nullable=True),
    sa.Column("cooldown_until", UtcDateTime, nullable=True),
    sa.CheckConstraint(_in("state", CLAIM_STATES), name="state"),
)
