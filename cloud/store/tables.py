"""Schema of the cloud store: one SQLAlchemy Core `MetaData` with every table.

Store room: declares tables only (no engine, no I/O). Alembic migrations in
`cloud/store/migrations/versions/` must produce exactly this metadata (a test checks it).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

logger = logging.getLogger(__name__)

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SITE_STATUSES = ("provisioning", "ready", "timed_out", "revoked")
ISSUED_VIA = ("enrollment", "renewal")
COMMAND_STATUSES = ("pending", "delivered", "completed", "failed")

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


class UtcDateTime(sa.TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that accepts only aware datetimes and always returns UTC.

    SQLite keeps no zone, so values are normalized to UTC on the way in (which also keeps
    its text comparisons correct) and marked UTC on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: pass a timezone-aware (UTC) datetime")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _seq_type() -> sa.types.TypeEngine[int]:
    # SQLite only autoincrements an INTEGER PRIMARY KEY; elsewhere use 64 bits.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


sales_channels = sa.Table(
    "sales_channels",
    metadata,
    sa.Column("channel_id", sa.String(128), primary_key=True),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("streams", sa.JSON, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

sites = sa.Table(
    "sites",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column(
        "sales_channel_id",
        sa.String(128),
        sa.ForeignKey("sales_channels.channel_id"),
        nullable=False,
        index=True,
    ),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("timezone", sa.String(64), nullable=False),
    sa.Column("agent_version", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False, index=True),
    sa.Column("generation", sa.Integer, nullable=False),
    sa.Column("conditions", sa.JSON, nullable=False),
    sa.Column("certificate_serial", sa.String(64), nullable=True),
    sa.Column("config_generation", sa.Integer, nullable=True),
    sa.Column("last_seen_at", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
    sa.Column("revoked_reason", sa.Text, nullable=True),
    sa.CheckConstraint(_in("status", SITE_STATUSES), name="status"),
)

bootstrap_tokens = sa.Table(
    "bootstrap_tokens",
    metadata,
    sa.Column("token_id", sa.String(128), primary_key=True),
    sa.Column("site_id", sa.String(63), sa.ForeignKey("sites.site_id"), nullable=False, index=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("workflow_id", sa.String(256), nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=False),
    sa.Column("used_at", UtcDateTime, nullable=True),
    sa.Column("used_by_public_key_sha256", sa.String(64), nullable=True),
    sa.Column("revoked_at", UtcDateTime, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
)

certificates = sa.Table(
    "certificates",
    metadata,
    sa.Column("serial", sa.String(64), primary_key=True),
    sa.Column("site_id", sa.String(63), sa.ForeignKey("sites.site_id"), nullable=False, index=True),
    # One enrollment certificate per token; renewals carry no token (NULLs never collide).
    sa.Column(
        "token_id",
        sa.String(128),
        sa.ForeignKey("bootstrap_tokens.token_id"),
        nullable=True,
        unique=True,
    ),
    sa.Column("pem", sa.Text, nullable=False),
    sa.Column("public_key_sha256", sa.String(64), nullable=False),
    sa.Column("not_before", UtcDateTime, nullable=False),
    sa.Column("not_after", UtcDateTime, nullable=False),
    sa.Column("issued_via", sa.String(16), nullable=False),
    sa.Column("revoked_at", UtcDateTime, nullable=True, index=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.CheckConstraint(_in("issued_via", ISSUED_VIA), name="issued_via"),
)

# `seq` is the primary key (SQLite autoincrements nothing else) and gives delivery order;
# `command_id` is the natural key that makes commands idempotent.
commands = sa.Table(
    "commands",
    metadata,
    sa.Column("seq", _seq_type(), primary_key=True, autoincrement=True),
    sa.Column("command_id", sa.String(256), nullable=False, unique=True),
    sa.Column("site_id", sa.String(63), sa.ForeignKey("sites.site_id"), nullable=False, index=True),
    sa.Column("kind", sa.String(64), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sa.Column("task_token", sa.LargeBinary, nullable=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("result", sa.LargeBinary, nullable=True),
    sa.Column("error", sa.Text, nullable=True),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("delivered_at", UtcDateTime, nullable=True),
    sa.Column("completed_at", UtcDateTime, nullable=True),
    sa.CheckConstraint(_in("status", COMMAND_STATUSES), name="status"),
    sqlite_autoincrement=True,
)

process_facts = sa.Table(
    "process_facts",
    metadata,
    sa.Column("seq", _seq_type(), primary_key=True, autoincrement=True),
    sa.Column("fact_id", sa.String(256), nullable=False, unique=True),
    sa.Column("fact_type", sa.String(128), nullable=False),
    sa.Column("subject", sa.String(256), nullable=False, index=True),
    sa.Column("occurred_at", UtcDateTime, nullable=False),
    sa.Column("workflow_id", sa.String(256), nullable=False),
    sa.Column("run_id", sa.String(128), nullable=False),
    sa.Column("payload", sa.LargeBinary, nullable=False),
    sqlite_autoincrement=True,
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", _seq_type(), primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("actor", sa.String(256), nullable=False),
    sa.Column("action", sa.String(128), nullable=False),
    sa.Column("subject", sa.String(256), nullable=False, index=True),
    sa.Column("detail", sa.JSON, nullable=False),
    sqlite_autoincrement=True,
)

# --- Replication: the change log of the down streams and the records stores push up. ---

# One row per down stream: its newest seq and compaction floor. An append bumps `head_seq`
# with an UPDATE, whose row lock (held to commit) serializes appends per stream, so on
# PostgreSQL seqs commit in order and a reader never sees N+1 without N.
change_streams = sa.Table(
    "change_streams",
    metadata,
    sa.Column("stream", sa.String(64), primary_key=True),
    sa.Column("head_seq", sa.BigInteger, nullable=False),
    # Changes with seq <= floor_seq are compacted away; reads must start at or after it.
    sa.Column("floor_seq", sa.BigInteger, nullable=False),
)

changes = sa.Table(
    "changes",
    metadata,
    sa.Column("stream", sa.String(64), primary_key=True),
    sa.Column("seq", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("key", sa.String(256), nullable=False),
    sa.Column("scope", sa.String(200), nullable=False),
    sa.Column("deleted", sa.Boolean, nullable=False),
    # The record serialized deterministically; NULL when deleted.
    sa.Column("record", sa.LargeBinary, nullable=True),
    sa.Column("changed_at", UtcDateTime, nullable=False),
    sa.Column("publish_id", sa.String(256), nullable=True),
    sa.Index("ix_changes_stream_scope_seq", "stream", "scope", "seq"),
)

# The live entities of each stream (a deleted one has no row), kept in the append's
# transaction; compaction snapshots and checksums read it.
current_records = sa.Table(
    "current_records",
    metadata,
    sa.Column("stream", sa.String(64), primary_key=True),
    sa.Column("scope", sa.String(200), primary_key=True),
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("seq", sa.BigInteger, nullable=False),
    sa.Column("record", sa.LargeBinary, nullable=False),
)

# Publish ids already applied (idempotent publish), kept when the log is compacted.
change_publishes = sa.Table(
    "change_publishes",
    metadata,
    sa.Column("publish_id", sa.String(256), primary_key=True),
    sa.Column("appended", sa.Integer, nullable=False),
    # SHA-256 of the published changes: a publish id reused for other changes is refused.
    sa.Column("changes_sha256", sa.String(64), nullable=False),
    sa.Column("published_at", UtcDateTime, nullable=False),
)

# Records stores pushed up, once per (site, stream, idempotency key).
ingested_records = sa.Table(
    "ingested_records",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column("stream", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(256), primary_key=True),
    sa.Column("record", sa.LargeBinary, nullable=False),
    sa.Column("batch_id", sa.String(256), nullable=False),
    sa.Column("ingested_at", UtcDateTime, nullable=False),
    # Reconciliation columns (empty / 0 for inventory adjustments).
    sa.Column("register_id", sa.String(128), nullable=False),
    sa.Column("business_day", sa.String(10), nullable=False),
    sa.Column("total_minor_units", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Index(
        "ix_ingested_records_site_id_register_id_business_day",
        "site_id",
        "register_id",
        "business_day",
    ),
)

# What each site's agent last reported about its replication, per down stream: the seq it
# has applied (the checkpoint of its latest pull) and when that was reported.
site_stream_checkpoints = sa.Table(
    "site_stream_checkpoints",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column("stream", sa.String(64), primary_key=True),
    sa.Column("applied_seq", sa.BigInteger, nullable=False),
    sa.Column("reported_at", UtcDateTime, nullable=False),
)

# Per site: the outbox depth its agent last reported (and when), the last acknowledged push.
site_sync_reports = sa.Table(
    "site_sync_reports",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column("outbox_pending", sa.BigInteger, nullable=True),
    sa.Column("outbox_reported_at", UtcDateTime, nullable=True),
    sa.Column("last_push_at", UtcDateTime, nullable=True),
)

# Tables of other concerns, declared in their own modules on this metadata (imported last:
# they import `metadata` and `UtcDateTime` from here).
from cloud.store import domain_certificate_tables as _domain_certificate_tables  # noqa: E402, F401
from cloud.store import domain_tables as _domain_tables  # noqa: E402, F401
from cloud.store import fleet_tables as _fleet_tables  # noqa: E402, F401
from cloud.store import health_tables as _health_tables  # noqa: E402, F401
from cloud.store import realtime_tables as realtime_tables  # noqa: E402
from cloud.store import site_tables as _site_tables  # noqa: E402, F401
