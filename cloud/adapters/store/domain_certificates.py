"""Certificates of domain mappings in the cloud store: one row per ACME order.

Adapter room: reads and writes `domain_certificates` and appends audit rows for issuance,
serving and removal in the same transaction. Keys arrive and leave sealed.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cloud.adapters.store._db import Database, aware
from cloud.adapters.store.audit import insert_audit
from cloud.domains.certificates import (
    CERT_ISSUED,
    CERT_ORDERING,
    CERT_REMOVED,
    CERT_REPLACED,
    CERT_SERVING,
    DomainCertificate,
)
from cloud.domains.records import audit_subject
from cloud.store.domain_certificate_tables import domain_certificates as table

logger = logging.getLogger(__name__)


def _record(row: sa.Row[Any]) -> DomainCertificate:
    m = row._mapping
    return DomainCertificate(
        order_key=m["order_key"],
        hostname=m["hostname"],
        tenant_id=m["tenant_id"],
        state=m["state"],
        key_sealed=bytes(m["key_sealed"]),
        order_url=m["order_url"],
        fullchain_pem=m["fullchain_pem"],
        serial_hex=m["serial_hex"],
        not_before=m["not_before"],
        not_after=m["not_after"],
        created_at=m["created_at"],
        revoked_at_ca=bool(m["revoked_at_ca"]),
    )


class DomainCertificateRepository:
    """Certificate orders of hostnames, each keyed by the workflow's order key."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def get(self, order_key: str) -> DomainCertificate | None:
        with self._db.read() as conn:
            row = conn.execute(sa.select(table).where(table.c.order_key == order_key)).first()
        return _record(row) if row is not None else None

    def for_hostname(self, hostname: str) -> list[DomainCertificate]:
        """Every certificate order of `hostname`, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute(
                sa.select(table).where(table.c.hostname == hostname).order_by(table.c.created_at)
            ).all()
        return [_record(r) for r in rows]

    def serving(self, hostname: str) -> DomainCertificate | None:
        """The certificate the gateway serves for `hostname`, if any."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(table)
                .where(table.c.hostname == hostname, table.c.state == CERT_SERVING)
                .order_by(table.c.created_at.desc())
            ).first()
        return _record(row) if row is not None else None

    def start_order(
        self, order_key: str, hostname: str, tenant_id: str, key_sealed: bytes, at: datetime
    ) -> DomainCertificate:
        """The row of `order_key`, created with this sealed key when it does not exist yet."""
        when = aware(at, "at")

        def work(conn: sa.Connection) -> DomainCertificate:
            row = conn.execute(sa.select(table).where(table.c.order_key == order_key)).first()
            if row is not None:
                return _record(row)
            conn.execute(
                table.insert().values(
                    order_key=order_key,
                    hostname=hostname,
                    tenant_id=tenant_id,
                    state=CERT_ORDERING,
                    key_sealed=key_sealed,
                    revoked_at_ca=False,
                    created_at=when,
                    updated_at=when,
                )
            )
            return _record(
                conn.execute(sa.select(table).where(table.c.order_key == order_key)).one()
            )

        return self._db.write(work)

    def set_order_url(self, order_key: str, order_url: str, at: datetime) -> None:
        self._update(order_key, at, {"order_url": order_url})

    def mark_issued(
        self,
        order_key: str,
        *,
        fullchain_pem: str,
        serial_hex: str,
        not_before: datetime,
        not_after: datetime,
        at: datetime,
        actor: str,
    ) -> DomainCertificate:
        return self._update(
            order_key,
            at,
            {
                "state": CERT_ISSUED,
                "fullchain_pem": fullchain_pem,
                "serial_hex": serial_hex,
                "not_before": aware(not_before, "not_before"),
                "not_after": aware(not_after, "not_after"),
            },
            audit=(
                "domain.certificate_issued",
                actor,
                {"serial": serial_hex, "not_after": not_after},
            ),
        )

    def mark_serving(self, order_key: str, at: datetime, actor: str) -> DomainCertificate:
        """This certificate now serves its hostname; any earlier one is replaced."""
        current = self.get(order_key)
        if current is None:
            raise LookupError(order_key)
        when = aware(at, "at")

        def work(conn: sa.Connection) -> None:
            conn.execute(
                table.update()
                .where(
                    table.c.hostname == current.hostname,
                    table.c.state == CERT_SERVING,
                    table.c.order_key != order_key,
                )
                .values(state=CERT_REPLACED, updated_at=when)
            )

        self._db.write(work)
        return self._update(
            order_key,
            at,
            {"state": CERT_SERVING},
            audit=("domain.mapping_serving", actor, {"serial": current.serial_hex}),
        )

    def mark_removed(
        self, hostname: str, at: datetime, actor: str, *, revoked_at_ca: bool, reason: str
    ) -> list[DomainCertificate]:
        """Every issued or serving certificate of `hostname` is removed (and maybe revoked)."""
        when = aware(at, "at")

        def work(conn: sa.Connection) -> list[DomainCertificate]:
            rows = conn.execute(
                sa.select(table).where(
                    table.c.hostname == hostname,
                    table.c.state.in_((CERT_ISSUED, CERT_SERVING, CERT_REPLACED, CERT_ORDERING)),
                )
            ).all()
            conn.execute(
                table.update()
                .where(table.c.order_key.in_([r._mapping["order_key"] for r in rows]))
                .values(state=CERT_REMOVED, revoked_at_ca=revoked_at_ca, updated_at=when)
            )
            insert_audit(
                conn,
                actor=actor,
                action="domain.mapping_removed",
                subject=audit_subject(hostname),
                detail={
                    "reason": reason,
                    "revoked_at_ca": revoked_at_ca,
                    "serials": [r._mapping["serial_hex"] for r in rows],
                },
                at=when,
            )
            return [_record(r) for r in rows]

        return self._db.write(work)

    def _update(
        self,
        order_key: str,
        at: datetime,
        values: Mapping[str, Any],
        *,
        audit: tuple[str, str, Mapping[str, Any]] | None = None,
    ) -> DomainCertificate:
        when = aware(at, "at")

        def work(conn: sa.Connection) -> DomainCertificate:
            conn.execute(
                table.update()
                .where(table.c.order_key == order_key)
                .values(updated_at=when, **values)
            )
            row = conn.execute(sa.select(table).where(table.c.order_key == order_key)).one()
            record = _record(row)
            if audit is not None:
                action, actor, detail = audit
                insert_audit(
                    conn,
                    actor=actor,
                    action=action,
                    subject=audit_subject(record.hostname),
                    detail={"tenant_id": record.tenant_id, "order_key": order_key, **detail},
                    at=when,
                )
            return record

        return self._db.write(work)
