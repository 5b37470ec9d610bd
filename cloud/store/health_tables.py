"""Table of the health each site's agent last reported (lag, checksum results, errors).

Store room: declares the table on the shared `metadata` of `cloud.store.tables` (which imports
this module at its end); no engine, no I/O. Created by migration 0340.
"""

from __future__ import annotations

import sqlalchemy as sa

from cloud.store.tables import UtcDateTime, metadata

site_health_reports = sa.Table(
    "site_health_reports",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column("replication_lag", sa.BigInteger, nullable=False),
    # Comma-separated stream names; '' when every verified stream matched.
    sa.Column("checksum_mismatches", sa.Text, nullable=False),
    sa.Column("checksums_verified_at", UtcDateTime, nullable=True),
    # JSON object: error kind -> count since the agent process started.
    sa.Column("error_counts", sa.Text, nullable=False),
    sa.Column("last_error", sa.Text, nullable=False),
    sa.Column("reported_at", UtcDateTime, nullable=False),
)
