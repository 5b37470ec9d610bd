"""Domain claims of the cloud store: who holds which hostname, and what its checks saw.

Adapter room: reads and writes `domain_claims` and appends to `audit_log` in the same
transaction (subject `domain:<hostname>`), so every claim, check, verification, refusal,
override and release is in the audit log with the DNS answers that were seen.

Ownership rule, applied under a per-hostname lock (PostgreSQL advisory lock; SQLite
serializes writers): a hostname has at most one pending or verified claim. Another tenant's
claim is refused while one exists, and while the last released claim's cooldown runs; the
same tenant gets its claim back (or a new one after a release). An admin override ends the
holder's claim (state superseded) and is audited.
"""

from __future__ import annotations

import builtins
import logging
import zlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from cloud.adapters.store._db import Database, aware, jsonable
from cloud.adapters.store.audit import insert_audit
from cloud.domains.errors import HostnameUnavailable
from cloud.domains.records import (
    ACTIVE_CLAIM_STATES,
    CLAIM_FAILED,
    CLAIM_PENDING,
    CLAIM_RELEASED,
    CLAIM_SUPERSEDED,
    CLAIM_VERIFIED,
    ConditionRecord,
    DnsAnswer,
    DomainClaim,
    ExpectedRecord,
    NewDomainClaim,
    audit_subject,
)
from cloud.store.domain_tables import domain_claims
from shared.errors import NotFound

__all__ = ["ClaimOutcome", "DomainClaimRepository", "audit_subject"]

logger = logging.getLogger(__name__)

_LOCK_DOMAINS = 523_110


def _parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _conditions(raw: Sequence[Mapping[str, Any]]) -> list[ConditionRecord]:
    return [
        ConditionRecord(
            type=c["type"],
            status=c["status"],
            reason=c["reason"],
            message=c["message"],
            last_transition_time=_parse_time(c.get("last_transition_time")),
        )
        for c in raw
    ]


def _record(row: sa.Row[Any]) -> DomainClaim:
    values = dict(row._mapping)
    values["expected_records"] = [ExpectedRecord(**r) for r in values["expected_records"]]
    values["observed"] = [DnsAnswer(**a) for a in values["observed"]]
    values["conditions"] = _conditions(values["conditions"])
    return DomainClaim(**values)


def _lock_hostname(conn: sa.Connection, hostname: str) -> None:
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text("SELECT pg_advisory_xact_lock(:space, :key)"),
            {"space": _LOCK_DOMAINS, "key": zlib.crc32(hostname.encode()) - 2**31},
        )


def _with_transitions(
    new: Sequence[ConditionRecord], old: Sequence[ConditionRecord], at: datetime
) -> list[ConditionRecord]:
    """`new`, keeping each condition's transition time while its status stays the same."""
    before = {c.type: c for c in old}
    out = []
    for condition in new:
        prior = before.get(condition.type)
        since = (
            prior.last_transition_time
            if prior is not None and prior.status == condition.status
            else at
        )
        out.append(
            ConditionRecord(
                condition.type, condition.status, condition.reason, condition.message, since or at
            )
        )
    return out


class ClaimOutcome:
    """A claim as stored, and whether this call created it."""

    def __init__(self, claim: DomainClaim, created: bool) -> None:
        self.claim = claim
        self.created = created


class DomainClaimRepository:
    """Create, read and update domain claims (`DomainClaimsPort`)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    # Reads ---------------------------------------------------------------------------------
    def get(self, claim_id: str) -> DomainClaim | None:
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(domain_claims).where(domain_claims.c.claim_id == claim_id)
            ).first()
        return None if row is None else _record(row)

    def current(self, hostname: str) -> DomainClaim | None:
        """The hostname's newest claim, whatever its state."""
        with self._db.read() as conn:
            row = conn.execute(
                sa.select(domain_claims)
                .where(domain_claims.c.hostname == hostname)
                .order_by(domain_claims.c.created_at.desc(), domain_claims.c.claim_id.desc())
                .limit(1)
            ).first()
        return None if row is None else _record(row)

    def list(
        self, tenant_id: str | None = None, state: str | None = None, limit: int = 500
    ) -> builtins.list[DomainClaim]:
        query = sa.select(domain_claims).order_by(domain_claims.c.hostname).limit(limit)
        if tenant_id is not None:
            query = query.where(domain_claims.c.tenant_id == tenant_id)
        if state is not None:
            query = query.where(domain_claims.c.state == state)
        with self._db.read() as conn:
            return [_record(row) for row in conn.execute(query)]

    # Claiming ------------------------------------------------------------------------------
    def claim(
        self,
        new: NewDomainClaim,
        at: datetime,
        *,
        override_reason: str | None = None,
    ) -> ClaimOutcome:
        """Record `new`, or return the tenant's open claim of the name, or refuse.

        Raises `HostnameUnavailable` (audited as `domain.claim_refused`) when another
        tenant holds the name or its cooldown runs, unless `override_reason` is given.
        """
        when = aware(at, "at")
        try:
            return self._db.write(lambda conn: self._claim(conn, new, when, override_reason))
        except HostnameUnavailable as refused:
            detail = {
                "tenant_id": new.tenant_id,
                "reason": refused.reason,
                "claimable_at": refused.claimable_at,
                "message": str(refused),
            }
            self._db.write(
                lambda conn: insert_audit(
                    conn,
                    actor=new.created_by,
                    action="domain.claim_refused",
                    subject=audit_subject(new.hostname),
                    detail=detail,
                    at=when,
                )
            )
            raise

    def _claim(
        self,
        conn: sa.Connection,
        new: NewDomainClaim,
        at: datetime,
        override_reason: str | None,
    ) -> ClaimOutcome:
        _lock_hostname(conn, new.hostname)
        rows = conn.execute(
            sa.select(domain_claims)
            .where(domain_claims.c.hostname == new.hostname)
            .order_by(domain_claims.c.created_at.desc())
        ).all()
        claims = [_record(r) for r in rows]
        active = [c for c in claims if c.state in ACTIVE_CLAIM_STATES]
        for held in active:
            if held.tenant_id == new.tenant_id:
                return ClaimOutcome(held, created=False)
        blocker = active[0] if active else None
        cooldown = next(
            (
                c
                for c in claims
                if c.state == CLAIM_RELEASED
                and c.cooldown_until is not None
                and c.cooldown_until > at
                and c.tenant_id != new.tenant_id
            ),
            None,
        )
        if blocker is not None or cooldown is not None:
            if override_reason is None:
                raise self._refusal(new, blocker, cooldown)
            for held in active:
                conn.execute(
                    domain_claims.update()
                    .where(domain_claims.c.claim_id == held.claim_id)
                    .values(state=CLAIM_SUPERSEDED, updated_at=at, next_check_at=None)
                )
            insert_audit(
                conn,
                actor=new.created_by,
                action="domain.override",
                subject=audit_subject(new.hostname),
                detail={
                    "tenant_id": new.tenant_id,
                    "reason": override_reason,
                    "superseded_claims": [c.claim_id for c in active],
                    "previous_tenants": sorted({c.tenant_id for c in active}),
                    "cooldown_until": cooldown.cooldown_until if cooldown else None,
                },
                at=at,
            )
        conn.execute(
            domain_claims.insert().values(
                claim_id=new.claim_id,
                tenant_id=new.tenant_id,
                hostname=new.hostname,
                storefront_id=new.storefront_id,
                state=CLAIM_PENDING,
                challenge_name=new.challenge_name,
                challenge_value=new.challenge_value,
                expected_records=jsonable([asdict(r) for r in new.expected_records]),
                observed=[],
                conditions=[],
                checks=0,
                created_at=at,
                updated_at=at,
                created_by=new.created_by,
                workflow_id=new.workflow_id,
            )
        )
        insert_audit(
            conn,
            actor=new.created_by,
            action="domain.claimed",
            subject=audit_subject(new.hostname),
            detail={
                "claim_id": new.claim_id,
                "tenant_id": new.tenant_id,
                "storefront_id": new.storefront_id,
                "expected_records": [asdict(r) for r in new.expected_records],
            },
            at=at,
        )
        row = conn.execute(
            sa.select(domain_claims).where(domain_claims.c.claim_id == new.claim_id)
        ).one()
        return ClaimOutcome(_record(row), created=True)

    @staticmethod
    def _refusal(
        new: NewDomainClaim, blocker: DomainClaim | None, cooldown: DomainClaim | None
    ) -> HostnameUnavailable:
        if blocker is not None:
            state = "verified" if blocker.state == CLAIM_VERIFIED else "being verified"
            return HostnameUnavailable(
                f"hostname {new.hostname} is claimed by another tenant ({state} since "
                f"{blocker.created_at:%Y-%m-%d %H:%M} UTC); it becomes claimable only when "
                "that tenant releases it and its cooldown ends. Ask an administrator for an "
                "override if you own the name.",
                reason="ClaimedByAnotherTenant",
                claimable_at=None,
            )
        assert cooldown is not None and cooldown.cooldown_until is not None
        return HostnameUnavailable(
            f"hostname {new.hostname} was released by another tenant and is in its cooldown "
            f"until {cooldown.cooldown_until:%Y-%m-%d %H:%M} UTC; claim it again after then, "
            "or ask an administrator for an override if you own the name.",
            reason="InCooldown",
            claimable_at=cooldown.cooldown_until,
        )

    # Checks --------------------------------------------------------------------------------
    def _update(
        self,
        claim_id: str,
        at: datetime,
        action: str,
        actor: str,
        values: Callable[[DomainClaim], dict[str, Any]],
        detail: Mapping[str, Any] | Callable[[DomainClaim], Mapping[str, Any]],
        *,
        only_states: Sequence[str] = ACTIVE_CLAIM_STATES,
    ) -> DomainClaim:
        when = aware(at, "at")

        def work(conn: sa.Connection) -> DomainClaim:
            row = conn.execute(
                sa.select(domain_claims).where(domain_claims.c.claim_id == claim_id)
            ).first()
            if row is None:
                raise NotFound(f"no domain claim {claim_id!r}; `domains list` shows the claims")
            claim = _record(row)
            if claim.state not in only_states:
                logger.info("claim %s is %s; %s not applied", claim_id, claim.state, action)
                return claim
            conn.execute(
                domain_claims.update()
                .where(domain_claims.c.claim_id == claim_id)
                .values(updated_at=when, **values(claim))
            )
            insert_audit(
                conn,
                actor=actor,
                action=action,
                subject=audit_subject(claim.hostname),
                detail={
                    "claim_id": claim_id,
                    "tenant_id": claim.tenant_id,
                    **(detail(claim) if callable(detail) else detail),
                },
                at=when,
            )
            updated = conn.execute(
                sa.select(domain_claims).where(domain_claims.c.claim_id == claim_id)
            ).one()
            return _record(updated)

        return self._db.write(work)

    def record_check(
        self,
        claim_id: str,
        observed: Sequence[DnsAnswer],
        conditions: Sequence[ConditionRecord],
        next_check_at: datetime | None,
        at: datetime,
        *,
        actor: str = "verify-domain-claim",
    ) -> DomainClaim:
        """Store what a check saw and concluded, and when the next one is."""
        answers = [asdict(a) for a in observed]

        def values(claim: DomainClaim) -> dict[str, Any]:
            return {
                "observed": jsonable(answers),
                "conditions": jsonable(
                    [asdict(c) for c in _with_transitions(conditions, claim.conditions, at)]
                ),
                "checks": claim.checks + 1,
                "next_check_at": next_check_at,
            }

        return self._update(
            claim_id,
            at,
            "domain.checked",
            actor,
            values,
            {
                "answers": answers,
                "conditions": {c.type: c.status for c in conditions},
                "next_check_at": next_check_at,
            },
            only_states=(CLAIM_PENDING,),
        )

    def mark_verified(
        self, claim_id: str, at: datetime, *, actor: str = "verify-domain-claim"
    ) -> DomainClaim:
        """The claim is verified: the tenant holds the hostname."""
        return self._update(
            claim_id,
            at,
            "domain.verified",
            actor,
            lambda claim: {"state": CLAIM_VERIFIED, "verified_at": at, "next_check_at": None},
            lambda claim: {"answers": [asdict(a) for a in claim.observed]},
            only_states=(CLAIM_PENDING,),
        )

    def mark_failed(
        self,
        claim_id: str,
        conditions: Sequence[ConditionRecord],
        at: datetime,
        reason: str,
        *,
        actor: str = "verify-domain-claim",
    ) -> DomainClaim:
        """Verification gave up (deadline): the hostname is free again."""

        def values(claim: DomainClaim) -> dict[str, Any]:
            return {
                "state": CLAIM_FAILED,
                "next_check_at": None,
                "conditions": jsonable(
                    [asdict(c) for c in _with_transitions(conditions, claim.conditions, at)]
                ),
            }

        return self._update(
            claim_id,
            at,
            "domain.verification_failed",
            actor,
            values,
            {"reason": reason},
            only_states=(CLAIM_PENDING,),
        )

    def release(
        self, claim_id: str, at: datetime, cooldown_until: datetime, *, actor: str, reason: str
    ) -> DomainClaim:
        """The tenant lets the hostname go; only it may claim it again until `cooldown_until`."""
        return self._update(
            claim_id,
            at,
            "domain.released",
            actor,
            lambda claim: {
                "state": CLAIM_RELEASED,
                "released_at": at,
                "cooldown_until": aware(cooldown_until, "cooldown_until"),
                "next_check_at": None,
            },
            {"reason": reason, "cooldown_until": cooldown_until},
        )
