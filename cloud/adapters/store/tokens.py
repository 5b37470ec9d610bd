"""Bootstrap tokens of the cloud store: stored hashed, single use, expiring.

Adapter room: reads and writes `bootstrap_tokens`; consuming a token happens in
`certificates.enroll`, in the same transaction as the certificate it authorizes.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cloud.adapters.store._db import Database, aware, utcnow
from cloud.adapters.store.errors import SiteRevoked, StoreError, UnknownSite
from cloud.adapters.store.records import TokenRecord
from cloud.adapters.store.sites import select_site
from cloud.store.tables import bootstrap_tokens
from shared.errors import InvalidInput

logger = logging.getLogger(__name__)

_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def select_token(
    conn: sa.Connection, token_id: str, *, for_update: bool = False
) -> TokenRecord | None:
    query = sa.select(bootstrap_tokens).where(bootstrap_tokens.c.token_id == token_id)
    if for_update:
        query = query.with_for_update()
    row = conn.execute(query).first()
    return None if row is None else _record(row)


def _record(row: sa.Row[Any]) -> TokenRecord:
    return TokenRecord(**row._mapping)


class TokenRepository:
    """Issue, find and revoke bootstrap tokens."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def issue(
        self,
        token_id: str,
        site_id: str,
        token_hash: str,
        workflow_id: str,
        expires_at: datetime,
        at: datetime | None = None,
    ) -> TokenRecord:
        """Store a token by its hash; issuing an existing `token_id` returns it unchanged."""
        if not _SHA256_HEX.fullmatch(token_hash):
            raise InvalidInput("token_hash must be the lowercase hex SHA-256 of the token")
        expires = aware(expires_at, "expires_at")

        def work(conn: sa.Connection) -> TokenRecord:
            existing = select_token(conn, token_id)
            if existing is not None:
                if existing.site_id != site_id:
                    raise StoreError(
                        f"token id {token_id} already belongs to site {existing.site_id}, not "
                        f"{site_id}; token ids must be unique per site"
                    )
                return existing
            site = select_site(conn, site_id, for_update=True)
            if site is None:
                raise UnknownSite(site_id)
            if site.revoked:
                raise SiteRevoked(site_id)
            taken = conn.execute(
                sa.select(bootstrap_tokens.c.token_id).where(
                    bootstrap_tokens.c.token_hash == token_hash
                )
            ).first()
            if taken is not None:
                raise StoreError(
                    f"token hash is already stored for token {taken.token_id}; mint a new token"
                )
            conn.execute(
                bootstrap_tokens.insert().values(
                    token_id=token_id,
                    site_id=site_id,
                    token_hash=token_hash,
                    workflow_id=workflow_id,
                    expires_at=expires,
                    created_at=at or utcnow(),
                )
            )
            logger.info("issued bootstrap token %s for site %s", token_id, site_id)
            issued = select_token(conn, token_id)
            assert issued is not None
            return issued

        return self._db.write(work)

    def get(self, token_id: str) -> TokenRecord | None:
        with self._db.read() as conn:
            return select_token(conn, token_id)

    def get_by_hash(self, token_hash: str) -> TokenRecord | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(bootstrap_tokens).where(bootstrap_tokens.c.token_hash == token_hash)
            ).first()
        return None if row is None else _record(row)

    def latest_usable_for_site(self, site_id: str, now: datetime) -> TokenRecord | None:
        """The site's newest token that is unused, unrevoked and unexpired at `now`."""
        when = aware(now, "now")
        query = (
            sa.select(bootstrap_tokens)
            .where(
                bootstrap_tokens.c.site_id == site_id,
                bootstrap_tokens.c.used_at.is_(None),
                bootstrap_tokens.c.revoked_at.is_(None),
                bootstrap_tokens.c.expires_at > when,
            )
            .order_by(bootstrap_tokens.c.created_at.desc(), bootstrap_tokens.c.token_id.desc())
            .limit(1)
        )
        with self._db.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _record(row)

    def revoke_unused_for_site(self, site_id: str, at: datetime) -> int:
        """Revoke the site's tokens that were never used; returns how many."""
        when = aware(at, "at")

        def work(conn: sa.Connection) -> int:
            return conn.execute(
                bootstrap_tokens.update()
                .where(
                    bootstrap_tokens.c.site_id == site_id,
                    bootstrap_tokens.c.used_at.is_(None),
                    bootstrap_tokens.c.revoked_at.is_(None),
                )
                .values(revoked_at=when)
            ).rowcount

        count = self._db.write(work)
        if count:
            logger.info("revoked %d unused bootstrap token(s) of site %s", count, site_id)
        return count
