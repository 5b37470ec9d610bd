"""Schema of domain-mapping certificates: the `domain_certificates` table.

Store room: declares tables on the shared `metadata` only (no engine, no I/O); imported by
`cloud.store.tables` so the migrations check sees it. Revision 0110 creates it. The private
key is stored sealed (Fernet) by the repository, never in clear.
"""

from __future__ import annotations

import sqlalchemy as sa

from cloud.domains.certificates import CERT_STATES
from cloud.store.tables import UtcDateTime, metadata

# One row per certificate order; `order_key` is chosen by the workflow, so a retried step
# finds the row (its key and ACME order URL) instead of ordering again.
domain_certificates = sa.Table(
    "domain_certificates",
    metadata,
    sa.Column("order_key", sa.String(300), primary_key=True),
    sa.Column("hostname", sa.String(253), nullable=False, index=True),
    sa.Column("tenant_id", sa.String(128), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("key_sealed", sa.LargeBinary, nullable=False),
    sa.Column("order_url", sa.String(1000), nullable=True),
    sa.Column("fullchain_pem", sa.Text, nullable=True),
    sa.Column("serial_hex", sa.String(64), nullable=True),
    sa.Column("not_before", UtcDateTime, nullable=True),
    sa.Column("not_after", UtcDateTime, nullable=True),
    sa.Column("revoked_at_ca", sa.Boolean, nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("updated_at", UtcDateTime, nullable=False),
    sa.CheckConstraint(
        "state IN (" + ", ".join(repr(s) for s in CERT_STATES) + ")", name="cert_state"
    ),
)
