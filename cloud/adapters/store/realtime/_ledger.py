"""The real-time ledger: decides each operation once per (site, operation id), by the provider
of its family, in one transaction with the provider's effects; settles what stores decided
offline and opens a compensation case where the cloud decides otherwise.

Adapter room: SQL on `realtime_operations` and `realtime_exceptions`; the family providers
run on the same connection. Blocking: call from a thread.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from google.protobuf.timestamp_pb2 import Timestamp

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.adapters.store._db import Database
from cloud.adapters.store.errors import StoreError
from cloud.adapters.store.realtime._answer import Provider, ProviderAnswer
from cloud.adapters.store.realtime._customers import decide_customer
from cloud.adapters.store.realtime._gift_cards import decide_gift_card
from cloud.adapters.store.realtime._inventory import decide_inventory
from cloud.adapters.store.realtime._loyalty import decide_loyalty
from cloud.adapters.store.realtime._returns import decide_return
from cloud.adapters.store.realtime._risk import RiskRules, risk_decider
from cloud.adapters.store.realtime_records import Settled
from cloud.store.realtime_tables import realtime_exceptions, realtime_operations
from shared.errors import InvalidInput
from shared.realtime import (
    amount_of,
    fingerprint,
    kind_name,
    operation_id_is_valid,
    subject_of,
    validate_operation,
)

logger = logging.getLogger(__name__)

FAMILY_OF_PAYLOAD = {
    "gift_card_check": "gift_card",
    "gift_card_redeem": "gift_card",
    "gift_card_load": "gift_card",
    "loyalty_earn": "loyalty",
    "loyalty_redeem": "loyalty",
    "customer_create": "customer",
    "customer_update": "customer",
    "return_authorization": "return",
    "inventory_transfer": "inventory",
    "inventory_adjustment": "inventory",
    "risk_check": "risk",
}


def embedded_providers(rules: RiskRules | None = None) -> dict[str, Provider]:
    """The embedded provider of every family."""
    return {
        "gift_card": decide_gift_card,
        "loyalty": decide_loyalty,
        "customer": decide_customer,
        "return": decide_return,
        "inventory": decide_inventory,
        "risk": risk_decider(rules or RiskRules()),
    }


# Built once: SQLAlchemy then reuses their compiled form on the hot path.
_SELECT_DECIDED = sa.select(
    realtime_operations.c.fingerprint,
    realtime_operations.c.kind,
    realtime_operations.c.decision,
    realtime_operations.c.decided_at,
).where(
    realtime_operations.c.site_id == sa.bindparam("site"),
    realtime_operations.c.operation_id == sa.bindparam("op"),
)
_SELECT_DECIDED_MANY = sa.select(
    realtime_operations.c.operation_id,
    realtime_operations.c.fingerprint,
    realtime_operations.c.kind,
    realtime_operations.c.decision,
    realtime_operations.c.decided_at,
).where(
    realtime_operations.c.site_id == sa.bindparam("site"),
    realtime_operations.c.operation_id.in_(sa.bindparam("ops", expanding=True)),
)
_INSERT_DECISION = realtime_operations.insert()


@dataclass(frozen=True)
class _Decided:
    """What a decision on record says about the operation it decided."""

    fingerprint: str
    kind: int
    decision: bytes
    decided_at: datetime


class _Undo(Exception):
    """An operation of a batch failed after it may have written: the batch is done again,
    each operation in its own savepoint."""


class OperationConflict(InvalidInput):
    """An operation id the site used before arrived with another kind or payload."""


def exception_id_of(site_id: str, operation_id: str) -> str:
    return f"rt-exc/{site_id}/{operation_id}"


def _timestamp(at: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(at)
    return stamp


def _decision(
    op: realtime_pb2.RealtimeOperation, answer: ProviderAnswer, now: datetime
) -> realtime_pb2.RealtimeDecision:
    return realtime_pb2.RealtimeDecision(
        operation_id=op.operation_id,
        kind=op.kind,
        verdict=realtime_pb2.VERDICT_APPROVED if answer.approved else realtime_pb2.VERDICT_REFUSED,
        decided_by=realtime_pb2.DECIDED_BY_CLOUD,
        reason=answer.reason,
        message=answer.message,
        outcome=answer.outcome,
        decided_at=_timestamp(now),
    )


def _earlier(
    row: _Decided | None, op: realtime_pb2.RealtimeOperation
) -> realtime_pb2.RealtimeDecision | None:
    """The decision on record for `op`; `OperationConflict` when its id decided another."""
    if row is None:
        return None
    if row.fingerprint != fingerprint(op):
        raise OperationConflict(
            f"operation.operation_id: {op.operation_id!r} was used by this store on "
            f"{row.decided_at:%Y-%m-%d %H:%M:%S} UTC for another {kind_name(row.kind)} "
            "operation; nothing was applied. Give a new operation its own id"
        )
    return realtime_pb2.RealtimeDecision.FromString(row.decision)


class RealtimeLedger:
    """Decisions of real-time-required operations over the cloud store."""

    def __init__(
        self,
        db: Database,
        providers: Mapping[str, Provider] | None = None,
        serial: threading.Lock | None = None,
    ) -> None:
        self._db = db
        self._providers = dict(embedded_providers())
        self._providers.update(providers or {})
        # SQLite has one writer; threads of this process queue on this lock rather than in
        # SQLite's busy handler, which sleeps in growing steps (a p99 of hundreds of ms).
        # PostgreSQL writers run side by side (row locks on the card or account).
        self._serial = serial or threading.Lock()
        self._serialize = db.engine.dialect.name == "sqlite"

    def _write(self, work: Callable[[sa.Connection], Settled]) -> Settled:
        if not self._serialize:
            return self._db.write(work)
        with self._serial:
            return self._db.write(work)

    def with_providers(self, providers: Mapping[str, Provider]) -> RealtimeLedger:
        """The same ledger with some families answered by other providers (e.g. external)."""
        return RealtimeLedger(self._db, {**self._providers, **providers}, self._serial)

    def _existing(
        self, conn: sa.Connection, site_id: str, op: realtime_pb2.RealtimeOperation
    ) -> realtime_pb2.RealtimeDecision | None:
        row = conn.execute(_SELECT_DECIDED, {"site": site_id, "op": op.operation_id}).first()
        if row is None:
            return None
        return _earlier(_Decided(row.fingerprint, row.kind, row.decision, row.decided_at), op)

    def _existing_many(
        self, conn: sa.Connection, calls: Sequence[tuple[str, realtime_pb2.RealtimeOperation]]
    ) -> dict[tuple[str, str], _Decided]:
        """The decisions on record for `calls`, one query per site."""
        by_site: dict[str, list[str]] = {}
        for site_id, op in calls:
            by_site.setdefault(site_id, []).append(op.operation_id)
        found: dict[tuple[str, str], _Decided] = {}
        for site_id, ids in by_site.items():
            for row in conn.execute(_SELECT_DECIDED_MANY, {"site": site_id, "ops": ids}):
                found[(site_id, row.operation_id)] = _Decided(
                    row.fingerprint, row.kind, row.decision, row.decided_at
                )
        return found

    def _record(
        self,
        conn: sa.Connection,
        site_id: str,
        op: realtime_pb2.RealtimeOperation,
        decision: realtime_pb2.RealtimeDecision,
        path: str,
        now: datetime,
    ) -> None:
        conn.execute(
            _INSERT_DECISION,
            {
                "site_id": site_id,
                "operation_id": op.operation_id,
                "kind": op.kind,
                "fingerprint": fingerprint(op),
                "verdict": decision.verdict,
                "reason": decision.reason[:64],
                "path": path,
                "subject": subject_of(op)[:300],
                "amount": amount_of(op),
                "decision": decision.SerializeToString(deterministic=True),
                "decided_at": now,
                "reconciled": 0,
            },
        )

    def _apply(
        self, conn: sa.Connection, site_id: str, op: realtime_pb2.RealtimeOperation, now: datetime
    ) -> realtime_pb2.RealtimeDecision:
        family = FAMILY_OF_PAYLOAD[op.WhichOneof("payload") or ""]
        answer = self._providers[family](conn, site_id, op, now)
        return _decision(op, answer, now)

    def decide(self, site_id: str, op: realtime_pb2.RealtimeOperation, now: datetime) -> Settled:
        """Decide `op` for `site_id` now, or return the decision made before for the same id
        and payload. `InvalidInput` (nothing applied) for a malformed operation or a reused id.
        """
        validate_operation(op)

        def work(conn: sa.Connection) -> Settled:
            earlier = self._existing(conn, site_id, op)
            if earlier is not None:
                return Settled(earlier, replayed=True)
            decision = self._apply(conn, site_id, op, now)
            self._record(conn, site_id, op, decision, "decide", now)
            return Settled(decision, replayed=False)

        return self._write(work)

    def decide_many(
        self, calls: Sequence[tuple[str, realtime_pb2.RealtimeOperation]], now: datetime
    ) -> list[Settled | InvalidInput | StoreError]:
        """Decide `calls` (site, operation) in one transaction, so one commit makes all of
        them durable: group commit. Each answer is what `decide` would answer alone, or the
        error it would raise. The batch first runs without savepoints (the decisions on
        record read in one query); when an operation fails after it may have written, that
        transaction is undone and the batch runs again with each operation in its own
        savepoint (the failed one undone alone, the others kept). An error of the database
        itself fails the whole batch (nothing committed).
        """
        checked: list[InvalidInput | None] = []
        for _, op in calls:
            try:
                validate_operation(op)
                checked.append(None)
            except InvalidInput as exc:
                checked.append(exc)

        def at_once(conn: sa.Connection) -> list[Settled | InvalidInput | StoreError]:
            # Without savepoints: the decisions on record in one query, then each operation;
            # one that fails after it may have written undoes the batch (`_Undo`).
            valid = [call for call, invalid in zip(calls, checked, strict=True) if not invalid]
            on_record = self._existing_many(conn, valid)
            answers: list[Settled | InvalidInput | StoreError] = []
            for (site_id, op), invalid in zip(calls, checked, strict=True):
                if invalid is not None:
                    answers.append(invalid)
                    continue
                key = (site_id, op.operation_id)
                try:
                    earlier = _earlier(on_record.get(key), op)
                except OperationConflict as exc:  # nothing written for it
                    answers.append(exc)
                    continue
                if earlier is not None:
                    answers.append(Settled(earlier, replayed=True))
                    continue
                try:
                    decision = self._apply(conn, site_id, op, now)
                    self._record(conn, site_id, op, decision, "decide", now)
                except (InvalidInput, StoreError) as exc:
                    raise _Undo from exc
                on_record[key] = _Decided(
                    fingerprint(op), op.kind, decision.SerializeToString(deterministic=True), now
                )
                answers.append(Settled(decision, replayed=False))
            return answers

        def one_by_one(conn: sa.Connection) -> list[Settled | InvalidInput | StoreError]:
            answers: list[Settled | InvalidInput | StoreError] = []
            for (site_id, op), invalid in zip(calls, checked, strict=True):
                if invalid is not None:
                    answers.append(invalid)
                    continue
                try:
                    with conn.begin_nested():
                        earlier = self._existing(conn, site_id, op)
                        if earlier is not None:
                            answers.append(Settled(earlier, replayed=True))
                            continue
                        decision = self._apply(conn, site_id, op, now)
                        self._record(conn, site_id, op, decision, "decide", now)
                        answers.append(Settled(decision, replayed=False))
                except (InvalidInput, StoreError) as exc:
                    answers.append(exc)
            return answers

        try:
            return self._write_many(at_once)
        except _Undo:
            return self._write_many(one_by_one)

    def _write_many(
        self,
        work: Callable[[sa.Connection], list[Settled | InvalidInput | StoreError]],
    ) -> list[Settled | InvalidInput | StoreError]:
        if not self._serialize:
            return self._db.write(work)
        with self._serial:
            return self._db.write(work)

    def reconcile(
        self,
        site_id: str,
        op: realtime_pb2.RealtimeOperation,
        store_decision: realtime_pb2.RealtimeDecision,
        now: datetime,
    ) -> Settled:
        """Settle an operation the store decided offline (or lost the answer of).

        A decision made before stands. Otherwise a store approval is decided now (applied when
        the provider approves) and a store refusal is recorded as final, so a request still in
        flight can never apply it later. When the cloud's verdict differs from the store's, a
        compensation case is opened (once).

        An operation the cloud can never take (it breaks the cloud's rules, or its id was used
        for another payload) is refused; when the store approved it offline that is a
        compensation case too, under its own id, so an operator can resolve it. `InvalidInput`
        only when the call cannot name a case (no usable operation id, no store verdict).
        """
        if store_decision.verdict not in (
            realtime_pb2.VERDICT_APPROVED,
            realtime_pb2.VERDICT_REFUSED,
        ):
            raise InvalidInput("store_decision.verdict: must be APPROVED or REFUSED")
        problem: InvalidInput | None = None
        try:
            validate_operation(op)
        except InvalidInput as exc:
            if not operation_id_is_valid(op.operation_id):
                raise
            problem = exc

        def work(conn: sa.Connection) -> Settled:
            if problem is not None:
                return self._unsettleable(conn, site_id, op, store_decision, problem, now)
            try:
                decision = self._existing(conn, site_id, op)
            except OperationConflict as exc:
                return self._unsettleable(conn, site_id, op, store_decision, exc, now)
            replayed = decision is not None
            t = realtime_operations.c
            if decision is not None:
                conn.execute(
                    realtime_operations.update()
                    .where(t.site_id == site_id, t.operation_id == op.operation_id)
                    .values(reconciled=t.reconciled + 1)
                )
            elif store_decision.verdict == realtime_pb2.VERDICT_REFUSED:
                decision = realtime_pb2.RealtimeDecision()
                decision.CopyFrom(store_decision)
                self._record(conn, site_id, op, decision, "fence", now)
            else:
                decision = self._apply(conn, site_id, op, now)
                self._record(conn, site_id, op, decision, "reconcile", now)
            if decision.verdict == store_decision.verdict:
                return Settled(decision, replayed)
            exception_id = exception_id_of(site_id, op.operation_id)
            opened = self._open_exception(
                conn, exception_id, site_id, op, store_decision, decision, now
            )
            return Settled(decision, replayed, exception_id, opened)

        return self._write(work)

    def _unsettleable(
        self,
        conn: sa.Connection,
        site_id: str,
        op: realtime_pb2.RealtimeOperation,
        store_decision: realtime_pb2.RealtimeDecision,
        problem: InvalidInput,
        now: datetime,
    ) -> Settled:
        """The cloud refuses `op` for `problem`; a store approval of it opens a case named
        after the operation and its payload (the operation id alone may name another case)."""
        refusal = realtime_pb2.RealtimeDecision(
            operation_id=op.operation_id,
            kind=op.kind,
            verdict=realtime_pb2.VERDICT_REFUSED,
            decided_by=realtime_pb2.DECIDED_BY_CLOUD,
            reason="CannotSettle",
            message=f"the cloud cannot take this operation: {problem}",
            decided_at=_timestamp(now),
        )
        if store_decision.verdict == realtime_pb2.VERDICT_REFUSED:
            return Settled(refusal, replayed=False)
        exception_id = f"{exception_id_of(site_id, op.operation_id)}/{fingerprint(op)[:12]}"
        t = realtime_exceptions.c
        row = conn.execute(sa.select(t.rejection).where(t.exception_id == exception_id)).first()
        if row is not None:
            earlier = realtime_pb2.OfflineOperationRejected.FromString(row.rejection)
            return Settled(earlier.cloud_decision, True, exception_id, False)
        self._open_exception(conn, exception_id, site_id, op, store_decision, refusal, now)
        return Settled(refusal, False, exception_id, True)

    def _open_exception(
        self,
        conn: sa.Connection,
        exception_id: str,
        site_id: str,
        op: realtime_pb2.RealtimeOperation,
        store_decision: realtime_pb2.RealtimeDecision,
        cloud_decision: realtime_pb2.RealtimeDecision,
        now: datetime,
    ) -> bool:
        t = realtime_exceptions.c
        if conn.execute(sa.select(t.status).where(t.exception_id == exception_id)).first():
            return False
        rejection = realtime_pb2.OfflineOperationRejected(
            exception_id=exception_id,
            site_id=site_id,
            operation_id=op.operation_id,
            kind=op.kind,
            store_decision=store_decision,
            cloud_decision=cloud_decision,
        )
        conn.execute(
            realtime_exceptions.insert().values(
                exception_id=exception_id,
                site_id=site_id,
                operation_id=op.operation_id,
                kind=op.kind,
                status="open",
                rejection=rejection.SerializeToString(deterministic=True),
                opened_at=now,
            )
        )
        logger.warning(
            "compensation %s opened: store %s %s, cloud %s (%s)",
            exception_id,
            site_id,
            realtime_pb2.Verdict.Name(store_decision.verdict),
            realtime_pb2.Verdict.Name(cloud_decision.verdict),
            cloud_decision.reason,
        )
        return True
