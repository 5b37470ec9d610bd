"""Schema of the real-time-required operations: the decisions (one per site and operation id),
the embedded providers' ledgers (gift cards, loyalty points, customer register, return
authorizations, inter-site stock) and the compensation cases.

Store room: declares tables only, on the one `MetaData` of `cloud.store.tables` (which imports
this module so the metadata is complete); revision 0200 creates them.
"""

from __future__ import annotations

import logging

import sqlalchemy as sa

from cloud.store.tables import UtcDateTime, metadata

logger = logging.getLogger(__name__)

EXCEPTION_STATUSES = ("open", "resolved")

# One decision per (site, operation id): what makes every operation idempotent. `fingerprint`
# is the SHA-256 of kind + payload (shared.realtime.fingerprint); a repeat with another one is
# refused. `decision` is the RealtimeDecision as first answered.
realtime_operations = sa.Table(
    "realtime_operations",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column("operation_id", sa.String(128), primary_key=True),
    sa.Column("kind", sa.Integer, nullable=False),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("verdict", sa.Integer, nullable=False),
    sa.Column("reason", sa.String(64), nullable=False),
    # "decide" (online), "reconcile" (replayed or in doubt), "fence" (store refused offline).
    sa.Column("path", sa.String(16), nullable=False),
    # What the velocity rule counts: subject and amount of the operation.
    sa.Column("subject", sa.String(300), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("decision", sa.LargeBinary, nullable=False),
    sa.Column("decided_at", UtcDateTime, nullable=False),
    # Times a store asked again for this decision (in doubt, or replaying what it queued).
    sa.Column("reconciled", sa.Integer, nullable=False),
    sa.Index("ix_realtime_operations_subject_decided_at", "subject", "decided_at"),
)

gift_cards = sa.Table(
    "gift_cards",
    metadata,
    sa.Column("card_number", sa.String(128), primary_key=True),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("balance_minor_units", sa.BigInteger, nullable=False),
    sa.Column("issued_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("balance_minor_units >= 0", name="balance_not_negative"),
)

# Every load and redemption, once per (site, operation id); amount signed (+load, -redeem).
gift_card_entries = sa.Table(
    "gift_card_entries",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column("operation_id", sa.String(128), primary_key=True),
    sa.Column("card_number", sa.String(128), nullable=False, index=True),
    sa.Column("amount_minor_units", sa.BigInteger, nullable=False),
    sa.Column("balance_after", sa.BigInteger, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
)

loyalty_accounts = sa.Table(
    "loyalty_accounts",
    metadata,
    sa.Column("loyalty_number", sa.String(128), primary_key=True),
    sa.Column("points", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("points >= 0", name="points_not_negative"),
)

loyalty_entries = sa.Table(
    "loyalty_entries",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column("operation_id", sa.String(128), primary_key=True),
    sa.Column("loyalty_number", sa.String(128), nullable=False, index=True),
    sa.Column("points", sa.BigInteger, nullable=False),
    sa.Column("balance_after", sa.BigInteger, nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
)

# The central customer register (the customers stream is the channel's copy of it).
customer_register = sa.Table(
    "customer_register",
    metadata,
    sa.Column("customer_id", sa.String(128), primary_key=True),
    sa.Column("sales_channel_id", sa.String(63), nullable=False),
    sa.Column("record", sa.LargeBinary, nullable=False),
    sa.Column("version", sa.BigInteger, nullable=False),
    sa.Column("updated_by_site", sa.String(63), nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# One authorization per original receipt: a second return of the same receipt is refused.
return_authorizations = sa.Table(
    "return_authorizations",
    metadata,
    sa.Column("receipt_key", sa.String(300), primary_key=True),
    sa.Column("site_id", sa.String(63), nullable=False),
    sa.Column("operation_id", sa.String(128), nullable=False),
    sa.Column("amount_minor_units", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
)

inventory_levels = sa.Table(
    "inventory_levels",
    metadata,
    sa.Column("site_id", sa.String(63), primary_key=True),
    sa.Column("sku", sa.String(128), primary_key=True),
    sa.Column("quantity", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
)

# A store decided offline and the cloud decided otherwise: open until an operator resolves it.
realtime_exceptions = sa.Table(
    "realtime_exceptions",
    metadata,
    sa.Column("exception_id", sa.String(256), primary_key=True),
    sa.Column("site_id", sa.String(63), nullable=False, index=True),
    sa.Column("operation_id", sa.String(128), nullable=False),
    sa.Column("kind", sa.Integer, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("rejection", sa.LargeBinary, nullable=False),
    sa.Column("opened_at", UtcDateTime, nullable=False),
    sa.Column("resolved_at", UtcDateTime, nullable=True),
    sa.Column("resolution", sa.Text, nullable=True),
    sa.Column("resolved_by", sa.String(256), nullable=True),
    sa.CheckConstraint(
        f"status IN ({', '.join(repr(s) for s in EXCEPTION_STATUSES)})", name="status"
    ),
)

# Offline policies the cloud sets per sales channel or per site (scope "channel" or "site"),
# sent to stores in their site configuration (channel ones first, then the site's own).
realtime_policy_overrides = sa.Table(
    "realtime_policy_overrides",
    metadata,
    sa.Column("scope", sa.String(16), primary_key=True),
    sa.Column("scope_id", sa.String(63), primary_key=True),
    sa.Column("kind", sa.Integer, primary_key=True),
    sa.Column("policy", sa.Integer, nullable=False),
    sa.Column("per_subject", sa.BigInteger, nullable=False),
    sa.Column("per_store_per_day", sa.BigInteger, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint("scope IN ('channel', 'site')", name="scope"),
)
