"""Issued site certificates: enrollment (consumes a bootstrap token), renewal, revocation
lookups for the gateway.

Adapter room: reads and writes `certificates`, and `bootstrap_tokens` / `audit_log` inside
the enrollment transaction.
"""

from __future__ import annotations

import builtins
import logging
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from cloud.adapters.store._db import Database, Retry, aware, utcnow
from cloud.adapters.store.audit import insert_audit
from cloud.adapters.store.errors import (
    CertificateConflict,
    SiteRevoked,
    TokenRejected,
    TokenRejection,
    UnknownSite,
)
from cloud.adapters.store.records import CertificateRecord, NewCertificate, TokenRecord
from cloud.adapters.store.sites import select_site
from cloud.adapters.store.tokens import select_token
from cloud.store.tables import bootstrap_tokens, certificates, sites

logger = logging.getLogger(__name__)

# `revoked_serials_since` re-reads this far behind its cursor, so a revocation whose
# transaction committed after a later one (or was stamped by a slightly slow clock) is
# still seen. Callers treat the answer as a set.
REVOCATION_OVERLAP = timedelta(minutes=5)


def _record(row: sa.Row[Any]) -> CertificateRecord:
    return CertificateRecord(**row._mapping)


def _select(conn: sa.Connection, serial: str) -> CertificateRecord | None:
    row = conn.execute(sa.select(certificates).where(certificates.c.serial == serial)).first()
    return None if row is None else _record(row)


def _select_for_token(conn: sa.Connection, token_id: str) -> CertificateRecord | None:
    row = conn.execute(sa.select(certificates).where(certificates.c.token_id == token_id)).first()
    return None if row is None else _record(row)


def _insert(conn: sa.Connection, cert: NewCertificate, token_id: str | None, at: datetime) -> None:
    clash = _select(conn, cert.serial)
    if clash is not None:
        raise CertificateConflict(
            f"certificate serial {cert.serial} is already stored for site {clash.site_id}; "
            "sign again with a new random serial"
        )
    conn.execute(
        certificates.insert().values(
            serial=cert.serial,
            site_id=cert.site_id,
            token_id=token_id,
            pem=cert.pem,
            public_key_sha256=cert.public_key_sha256,
            not_before=aware(cert.not_before, "not_before"),
            not_after=aware(cert.not_after, "not_after"),
            issued_via="enrollment" if token_id is not None else "renewal",
            created_at=at,
        )
    )


def _refuse(reason: TokenRejection, token: TokenRecord | None, detail: str = "") -> TokenRejected:
    provision = (
        f"`commerce-cloud sites provision {token.site_id}`"
        if token is not None
        else "`commerce-cloud sites provision`"
    )
    messages = {
        TokenRejection.UNKNOWN: "the bootstrap token is not known to the cloud; copy it again "
        f"from the output of {provision}",
        TokenRejection.EXPIRED: f"the bootstrap token expired{detail}; run {provision} again "
        "to issue a new one",
        TokenRejection.REVOKED: f"the bootstrap token was revoked{detail}; run {provision} "
        "again to issue a new one (a revoked site needs a new site id)",
        TokenRejection.USED_BY_OTHER_KEY: "the bootstrap token was already used to enroll "
        "another key; re-run enroll on the store server that used it (it keeps its key), or "
        f"run {provision} again for a new token",
        TokenRejection.WRONG_SITE: f"the bootstrap token belongs to another site{detail}; "
        "enroll with the site id the token was issued for",
    }
    return TokenRejected(reason, messages[reason])


class CertificateRepository:
    """Store and look up site certificates."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def enroll(
        self,
        token_id: str,
        cert: NewCertificate,
        at: datetime,
        *,
        token_hash: str | None = None,
    ) -> CertificateRecord:
        """Consume the bootstrap token and store its certificate, in one transaction.

        Pass `token_hash` (hex SHA-256 of the presented token) so a token id alone cannot
        enroll. A replay by the key that used the token returns the certificate issued then
        (idempotent); any other refusal raises `TokenRejected` with its `.reason`.
        """
        now = aware(at, "at")

        def work(conn: sa.Connection) -> CertificateRecord:
            token = select_token(conn, token_id)
            if token is None or (token_hash is not None and token.token_hash != token_hash):
                raise _refuse(TokenRejection.UNKNOWN, None)
            if cert.site_id != token.site_id:
                raise _refuse(
                    TokenRejection.WRONG_SITE,
                    token,
                    f" ({token.site_id}, not {cert.site_id})",
                )
            # Lock the site first, as `revoke` does, so the two serialize.
            site = select_site(conn, token.site_id, for_update=True)
            if site is None or site.revoked:
                raise _refuse(TokenRejection.REVOKED, token, " because the site is revoked")
            if token.used_at is not None:
                if token.used_by_public_key_sha256 == cert.public_key_sha256:
                    issued = _select_for_token(conn, token_id)
                    if issued is not None:
                        logger.info("enrollment replay for site %s by the same key", site.site_id)
                        return issued
                raise _refuse(TokenRejection.USED_BY_OTHER_KEY, token)
            if token.revoked_at is not None:
                raise _refuse(TokenRejection.REVOKED, token)
            if now >= token.expires_at:
                raise _refuse(TokenRejection.EXPIRED, token, f" at {token.expires_at.isoformat()}")
            claimed = conn.execute(
                bootstrap_tokens.update()
                .where(
                    bootstrap_tokens.c.token_id == token_id,
                    bootstrap_tokens.c.used_at.is_(None),
                    bootstrap_tokens.c.revoked_at.is_(None),
                )
                .values(used_at=now, used_by_public_key_sha256=cert.public_key_sha256)
            ).rowcount
            if claimed != 1:
                raise Retry(f"token {token_id} was claimed concurrently")
            _insert(conn, cert, token_id, now)
            insert_audit(
                conn,
                actor=f"site:{cert.site_id}",
                action="certificate.enrolled",
                subject=cert.site_id,
                detail={
                    "serial": cert.serial,
                    "token_id": token_id,
                    "public_key_sha256": cert.public_key_sha256,
                },
                at=now,
            )
            stored = _select(conn, cert.serial)
            assert stored is not None
            return stored

        record = self._db.write(work)
        logger.info("site %s enrolled with certificate %s", record.site_id, record.serial)
        return record

    def add_renewal(self, cert: NewCertificate, at: datetime | None = None) -> CertificateRecord:
        """Store a renewed certificate; storing the same serial again returns it."""
        now = aware(at, "at") if at is not None else utcnow()

        def work(conn: sa.Connection) -> CertificateRecord:
            site = select_site(conn, cert.site_id, for_update=True)
            if site is None:
                raise UnknownSite(cert.site_id)
            if site.revoked:
                raise SiteRevoked(cert.site_id)
            existing = _select(conn, cert.serial)
            if existing is not None and (existing.site_id, existing.pem) == (
                cert.site_id,
                cert.pem,
            ):
                return existing
            _insert(conn, cert, None, now)
            insert_audit(
                conn,
                actor=f"site:{cert.site_id}",
                action="certificate.renewed",
                subject=cert.site_id,
                detail={"serial": cert.serial, "public_key_sha256": cert.public_key_sha256},
                at=now,
            )
            stored = _select(conn, cert.serial)
            assert stored is not None
            return stored

        return self._db.write(work)

    def get(self, serial: str) -> CertificateRecord | None:
        with self._db.read() as conn:
            return _select(conn, serial)

    def for_token(self, token_id: str) -> CertificateRecord | None:
        """The certificate a bootstrap token enrolled, if any."""
        with self._db.read() as conn:
            return _select_for_token(conn, token_id)

    def for_site(self, site_id: str) -> builtins.list[CertificateRecord]:
        """Every certificate of a site, oldest first."""
        query = (
            sa.select(certificates)
            .where(certificates.c.site_id == site_id)
            .order_by(certificates.c.not_before, certificates.c.serial)
        )
        with self._db.read() as conn:
            return [_record(row) for row in conn.execute(query)]

    def is_usable(self, serial: str, site_id: str, now: datetime) -> bool:
        """True when the certificate exists, belongs to the site, is within its validity
        and neither it nor its site is revoked."""
        when = aware(now, "now")
        query = (
            sa.select(certificates.c.not_before, certificates.c.not_after)
            .join(sites, sites.c.site_id == certificates.c.site_id)
            .where(
                certificates.c.serial == serial,
                certificates.c.site_id == site_id,
                certificates.c.revoked_at.is_(None),
                sites.c.status != "revoked",
            )
        )
        with self._db.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            return False
        return bool(row.not_before <= when < row.not_after)

    def revoked_serials_since(
        self, cursor: datetime | None
    ) -> tuple[builtins.list[str], datetime | None]:
        """Serials revoked after `cursor` (all when None) and the cursor for the next call.

        Answers overlap by `REVOCATION_OVERLAP`, so a serial may come back again: treat the
        list as additions to a set.
        """
        query = (
            sa.select(certificates.c.serial, certificates.c.revoked_at)
            .where(certificates.c.revoked_at.is_not(None))
            .order_by(certificates.c.revoked_at, certificates.c.serial)
        )
        if cursor is not None:
            query = query.where(
                certificates.c.revoked_at > aware(cursor, "cursor") - REVOCATION_OVERLAP
            )
        with self._db.read() as conn:
            rows = conn.execute(query).all()
        if not rows:
            return [], cursor
        newest = max(row.revoked_at for row in rows)
        if cursor is not None:
            newest = max(newest, cursor)
        return [row.serial for row in rows], newest
