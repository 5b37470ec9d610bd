"""Realtime room: the store's journal of real-time-required operations (`state/realtime.db`).

Every decision the POS got is recorded here once per operation id: the cloud's, or the store's
by its offline policy (with the policy and limits). Offline approvals and operations whose
answer was lost wait here until the cloud settled them; compensation cases the cloud opened
are kept until resolved. The exposure taken offline is summed from it.

A file of its own, WAL with `synchronous=FULL` (a decision is on disk before the POS gets
it). Every statement runs on the journal's one thread, never on the event loop; the offline
decision (exposure read + insert) is one job on that thread, so limits hold under
concurrent tills. Lookups and records of the connected path that arrive together go to the
thread as one group (one hop, the records in one transaction), as offline decisions do.
sqlite3 errors become agent errors through `projection._errors.translate`.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from ameide_core_proto.process.commerce.v1 import options_pb2, realtime_pb2
from edge_agent.errors import OutboxConflict
from edge_agent.projection._errors import translate
from edge_agent.realtime.policy import Exposure, offline_decision
from shared.errors import InvalidInput
from shared.realtime import KindPolicy, amount_of, fingerprint, kind_name, subject_of

# Cases only the store holds: the cloud refused to settle the operation outright.
LOCAL_CASE_PREFIX = "local/"

T = TypeVar("T")

_SCHEMA = (
    """
    CREATE TABLE IF NOT EXISTS operations (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        operation_id TEXT NOT NULL UNIQUE,
        kind INTEGER NOT NULL,
        fingerprint TEXT NOT NULL,
        subject TEXT NOT NULL,
        amount INTEGER NOT NULL,
        business_day TEXT NOT NULL,
        operation BLOB NOT NULL,
        decision BLOB NOT NULL,
        decided_by INTEGER NOT NULL,
        verdict INTEGER NOT NULL,
        policy INTEGER NOT NULL,
        in_doubt INTEGER NOT NULL,
        settle INTEGER NOT NULL,
        cloud_decision BLOB,
        exception_id TEXT,
        decided_at TEXT NOT NULL,
        settled_at TEXT
    )
    """,
    "CREATE INDEX IF NOT EXISTS operations_unsettled ON operations (position) "
    "WHERE settle = 1 AND settled_at IS NULL",
    """
    CREATE TABLE IF NOT EXISTS policies_in_force (
        kind INTEGER PRIMARY KEY,
        policy INTEGER NOT NULL,
        per_subject INTEGER NOT NULL,
        per_store_per_day INTEGER NOT NULL
    )
    """,
    """
    CREATE TABLE IF NOT EXISTS compensations (
        exception_id TEXT PRIMARY KEY,
        operation_id TEXT NOT NULL,
        kind INTEGER NOT NULL,
        message TEXT NOT NULL,
        resolved INTEGER NOT NULL,
        resolution TEXT NOT NULL,
        updated_at TEXT NOT NULL
    )
    """,
)

_STORE = realtime_pb2.DECIDED_BY_STORE_POLICY
_APPROVED = realtime_pb2.VERDICT_APPROVED
_ALLOW = options_pb2.OFFLINE_POLICY_ALLOW_WITHIN_LIMITS


def journal_path(data_dir: Path) -> Path:
    return data_dir / "state" / "realtime.db"


@dataclass(frozen=True)
class _OfflineJob:
    op: realtime_pb2.RealtimeOperation
    policy: KindPolicy
    why: str
    business_day: str
    in_doubt: bool


@dataclass(frozen=True)
class _Lookup:
    op: realtime_pb2.RealtimeOperation


@dataclass(frozen=True)
class _Record:
    op: realtime_pb2.RealtimeOperation
    decision: realtime_pb2.RealtimeDecision
    business_day: str


@dataclass(frozen=True)
class Unsettled:
    """An operation the cloud has not settled yet, with what the store decided."""

    operation: realtime_pb2.RealtimeOperation
    store_decision: realtime_pb2.RealtimeDecision
    in_doubt: bool


@dataclass(frozen=True)
class OpenCompensation:
    exception_id: str
    operation_id: str
    kind: str
    message: str
    kind_number: int = 0


@dataclass(frozen=True)
class KindExposure:
    kind: str
    store_today: int
    unsettled: int


@dataclass(frozen=True)
class JournalSummary:
    """What the health page and `commerce-edge status` show."""

    unsettled: int = 0
    in_doubt: int = 0
    offline_decisions: int = 0
    exposure: list[KindExposure] = field(default_factory=list)
    open_compensations: list[OpenCompensation] = field(default_factory=list)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class Journal:
    """The operations journal; `await Journal.open(data_dir)`, then `await close()`."""

    def __init__(self, path: Path, busy_timeout: float) -> None:
        self._path = path
        self._busy = busy_timeout
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="realtime-journal")
        self._conn: sqlite3.Connection | None = None
        self._offline: list[tuple[_OfflineJob, asyncio.Future[realtime_pb2.RealtimeDecision]]] = []
        self._flusher: asyncio.Future[None] | None = None
        self._queued: list[
            tuple[_Lookup | _Record, asyncio.Future[realtime_pb2.RealtimeDecision | None]]
        ] = []
        self._hot_flusher: asyncio.Future[None] | None = None

    @classmethod
    async def open(cls, data_dir: Path, busy_timeout_seconds: float = 5.0) -> Journal:
        journal = cls(journal_path(data_dir), busy_timeout_seconds)
        await journal._run(journal._connect)
        return journal

    def _connect(self) -> None:
        self._path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        conn = sqlite3.connect(self._path, isolation_level=None)
        conn.execute(f"PRAGMA busy_timeout={round(self._busy * 1000)}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        for statement in _SCHEMA:
            conn.execute(statement)
        self._conn = conn

    async def _run(self, work: Callable[[], T]) -> T:
        def guarded() -> T:
            try:
                return work()
            except (sqlite3.Error, OSError) as exc:
                if self._conn is not None and self._conn.in_transaction:
                    self._conn.rollback()
                raise translate(exc, self._path, self._busy) from exc

        return await asyncio.get_running_loop().run_in_executor(self._executor, guarded)

    @property
    def _db(self) -> sqlite3.Connection:
        assert self._conn is not None, "journal not open"
        return self._conn

    async def close(self) -> None:
        if self._conn is not None:
            await self._run(self._db.close)
            self._conn = None
        self._executor.shutdown(wait=True)

    # --- decisions ------------------------------------------------------------------------

    def _earlier(self, op: realtime_pb2.RealtimeOperation) -> realtime_pb2.RealtimeDecision | None:
        row = self._db.execute(
            "SELECT fingerprint, decision, kind FROM operations WHERE operation_id = ?",
            (op.operation_id,),
        ).fetchone()
        if row is None:
            return None
        if row[0] != fingerprint(op):
            raise OutboxConflict(
                f"operation.operation_id: {op.operation_id!r} was used at this store for "
                f"another {kind_name(row[2])} operation; nothing was applied. Give a new "
                "operation its own id"
            )
        return realtime_pb2.RealtimeDecision.FromString(row[1])

    async def earlier(
        self, op: realtime_pb2.RealtimeOperation
    ) -> realtime_pb2.RealtimeDecision | None:
        """The decision the POS got for this operation id before (None: a new operation).
        `OutboxConflict` when the id was used for another operation."""
        return await self._hot(_Lookup(op))

    def _insert(
        self,
        op: realtime_pb2.RealtimeOperation,
        decision: realtime_pb2.RealtimeDecision,
        business_day: str,
        *,
        in_doubt: bool,
        settle: bool,
    ) -> None:
        self._db.execute(
            "INSERT INTO operations (operation_id, kind, fingerprint, subject, amount, "
            "business_day, operation, decision, decided_by, verdict, policy, in_doubt, settle, "
            "decided_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                op.operation_id,
                op.kind,
                fingerprint(op),
                subject_of(op),
                amount_of(op),
                business_day,
                op.SerializeToString(deterministic=True),
                decision.SerializeToString(deterministic=True),
                decision.decided_by,
                decision.verdict,
                decision.policy,
                int(in_doubt),
                int(settle),
                _now(),
            ),
        )

    async def record_cloud(
        self,
        op: realtime_pb2.RealtimeOperation,
        decision: realtime_pb2.RealtimeDecision,
        business_day: str,
    ) -> realtime_pb2.RealtimeDecision:
        """Record the cloud's decision; an earlier one for the same id stays (and is returned).
        Answered once the record is committed."""
        recorded = await self._hot(_Record(op, decision, business_day))
        assert recorded is not None, "a record answers with a decision"
        return recorded

    async def _hot(self, job: _Lookup | _Record) -> realtime_pb2.RealtimeDecision | None:
        """Queue a lookup or a record of the connected path; jobs that queue while a group
        is on the journal's thread go there together as the next group (one thread hop, one
        transaction for its records)."""
        future: asyncio.Future[realtime_pb2.RealtimeDecision | None] = (
            asyncio.get_running_loop().create_future()
        )
        self._queued.append((job, future))
        if self._hot_flusher is None or self._hot_flusher.done():
            self._hot_flusher = asyncio.ensure_future(self._flush_hot())
        return await future

    async def _flush_hot(self) -> None:
        while self._queued:
            group, self._queued = self._queued, []
            await self._answer(group, self._hot_group)

    def _hot_group(
        self, jobs: list[_Lookup | _Record]
    ) -> list[realtime_pb2.RealtimeDecision | Exception | None]:
        """Records first (one transaction), then lookups, so a lookup sees a record of the
        same group. Each job's answer is what it would be alone."""
        outcomes: dict[int, realtime_pb2.RealtimeDecision | Exception | None] = {}
        records = [(n, job) for n, job in enumerate(jobs) if isinstance(job, _Record)]
        if records:
            db = self._db
            # The cloud holds these decisions (a repeat gets them from there), so this commit
            # need not wait for the disk: WAL keeps them across a crash of the agent, only a
            # power cut may lose them. Offline decisions stay synchronous=FULL.
            db.execute("PRAGMA synchronous=NORMAL")
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    for n, record in records:
                        outcomes[n] = self._record_one(record)
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.rollback()
                    raise
            finally:
                db.execute("PRAGMA synchronous=FULL")
        for n, job in enumerate(jobs):
            if isinstance(job, _Lookup):
                try:
                    outcomes[n] = self._earlier(job.op)
                except OutboxConflict as exc:
                    outcomes[n] = exc
        return [outcomes[n] for n in range(len(jobs))]

    def _record_one(self, job: _Record) -> realtime_pb2.RealtimeDecision | Exception:
        try:
            earlier = self._earlier(job.op)
        except OutboxConflict as exc:
            return exc
        if earlier is not None:
            return earlier
        self._insert(job.op, job.decision, job.business_day, in_doubt=False, settle=False)
        return job.decision

    async def decide_offline(
        self,
        op: realtime_pb2.RealtimeOperation,
        policy: KindPolicy,
        why: str,
        business_day: str,
        *,
        in_doubt: bool,
    ) -> realtime_pb2.RealtimeDecision:
        """Decide `op` by `policy` against the exposure on record and record the decision.

        Offline decisions that arrive together share one transaction (one fsync), taken in
        arrival order on the journal's thread: each sees the exposure of those before it, so
        concurrent tills cannot squeeze past a limit together.
        """
        future: asyncio.Future[realtime_pb2.RealtimeDecision] = (
            asyncio.get_running_loop().create_future()
        )
        self._offline.append((_OfflineJob(op, policy, why, business_day, in_doubt), future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush_offline())
        return await future

    async def _flush_offline(self) -> None:
        while self._offline:
            batch, self._offline = self._offline, []
            await self._answer(batch, self._decide_batch)

    async def _answer(
        self, group: list[tuple[Any, asyncio.Future[Any]]], work: Callable[[list[Any]], list[Any]]
    ) -> None:
        """Run `work` over the group's jobs in the journal's thread, in one go, and answer each
        job's future with its outcome (an exception for the jobs whose own part failed, for
        all of them when the whole transaction did)."""
        try:
            outcomes = await self._run(functools.partial(work, [job for job, _ in group]))
        except Exception as exc:  # the group's transaction failed: every job with it
            for _, future in group:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), outcome in zip(group, outcomes, strict=True):
            if future.done():
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)

    def _decide_batch(
        self, jobs: list[_OfflineJob]
    ) -> list[realtime_pb2.RealtimeDecision | Exception]:
        db = self._db
        outcomes: list[realtime_pb2.RealtimeDecision | Exception] = []
        db.execute("BEGIN IMMEDIATE")
        try:
            for job in jobs:
                try:
                    outcomes.append(self._decide_one(job))
                except OutboxConflict as exc:
                    outcomes.append(exc)
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.rollback()
            raise
        return outcomes

    def _decide_one(self, job: _OfflineJob) -> realtime_pb2.RealtimeDecision:
        op = job.op
        earlier = self._earlier(op)
        if earlier is not None:
            return earlier
        exposure = self._exposure(op, job.business_day)
        decision = offline_decision(op, job.policy, exposure, job.why, datetime.now(UTC))
        # An approval goes to the cloud later; a refusal only when the cloud may have
        # seen the operation (so it is never applied behind the store's back).
        settle = decision.verdict == _APPROVED or job.in_doubt
        self._insert(op, decision, job.business_day, in_doubt=job.in_doubt, settle=settle)
        return decision

    def _exposure(self, op: realtime_pb2.RealtimeOperation, business_day: str) -> Exposure:
        base = (
            "SELECT COALESCE(SUM(amount), 0) FROM operations WHERE kind = ? AND decided_by = ? "
            "AND verdict = ? AND policy = ?"
        )
        args = (op.kind, _STORE, _APPROVED, _ALLOW)
        subject = self._db.execute(
            base + " AND subject = ? AND settled_at IS NULL", (*args, subject_of(op))
        ).fetchone()[0]
        today = self._db.execute(base + " AND business_day = ?", (*args, business_day)).fetchone()[
            0
        ]
        return Exposure(subject=int(subject), store_today=int(today))

    # --- settling -------------------------------------------------------------------------

    async def unsettled(self, limit: int = 100) -> list[Unsettled]:
        def work() -> list[Unsettled]:
            rows = self._db.execute(
                "SELECT operation, decision, in_doubt FROM operations "
                "WHERE settle = 1 AND settled_at IS NULL ORDER BY position LIMIT ?",
                (limit,),
            ).fetchall()
            return [
                Unsettled(
                    realtime_pb2.RealtimeOperation.FromString(op),
                    realtime_pb2.RealtimeDecision.FromString(decision),
                    bool(in_doubt),
                )
                for op, decision, in_doubt in rows
            ]

        return await self._run(work)

    async def settled(
        self,
        operation_id: str,
        cloud_decision: realtime_pb2.RealtimeDecision,
        exception_id: str,
        message: str,
    ) -> None:
        """The cloud's decision on an unsettled operation; a case when it opened one."""

        def work() -> None:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            db.execute(
                "UPDATE operations SET cloud_decision = ?, exception_id = ?, settled_at = ? "
                "WHERE operation_id = ?",
                (
                    cloud_decision.SerializeToString(deterministic=True),
                    exception_id or None,
                    _now(),
                    operation_id,
                ),
            )
            if exception_id:
                db.execute(
                    "INSERT OR IGNORE INTO compensations VALUES (?, ?, ?, ?, 0, '', ?)",
                    (exception_id, operation_id, cloud_decision.kind, message, _now()),
                )
            db.execute("COMMIT")

        await self._run(work)

    async def compensation_notice(self, notice: realtime_pb2.CompensationNotice) -> None:
        """A case the cloud told the store about (opened, or resolved by an operator)."""
        rejection = notice.rejection

        def work() -> None:
            self._db.execute(
                "INSERT INTO compensations VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (exception_id) DO UPDATE SET resolved = MAX(resolved, "
                "excluded.resolved), resolution = CASE WHEN excluded.resolved = 1 THEN "
                "excluded.resolution ELSE resolution END, updated_at = excluded.updated_at",
                (
                    rejection.exception_id,
                    rejection.operation_id,
                    rejection.kind,
                    rejection.cloud_decision.message,
                    int(notice.resolved),
                    notice.resolution,
                    _now(),
                ),
            )

        await self._run(work)

    async def resolve_local(self, exception_id: str, resolution: str) -> bool:
        """Close a case only this store holds (`local/<op>`: the cloud would not settle the
        operation, so no cloud workflow will ever close it); False when it was closed already.
        `InvalidInput` for a case the cloud holds, an unknown case or an empty resolution."""
        if not exception_id.startswith(LOCAL_CASE_PREFIX):
            raise InvalidInput(
                f"{exception_id!r} is a case the cloud holds; resolve it there with "
                "`commerce-cloud realtime exceptions resolve`, which also tells this store"
            )
        if not resolution.strip():
            raise InvalidInput("--resolution: say what was done (e.g. 'customer paid cash')")

        def work() -> bool | None:
            db = self._db
            row = db.execute(
                "SELECT resolved FROM compensations WHERE exception_id = ?", (exception_id,)
            ).fetchone()
            if row is None:
                return None
            if row[0]:
                return False
            db.execute(
                "UPDATE compensations SET resolved = 1, resolution = ?, updated_at = ? "
                "WHERE exception_id = ?",
                (resolution, _now(), exception_id),
            )
            return True

        closed = await self._run(work)
        if closed is None:
            raise InvalidInput(
                f"no case {exception_id!r} in this store; "
                "`commerce-edge status` lists the open ones"
            )
        return closed

    # --- reporting ------------------------------------------------------------------------

    async def open_compensations(self) -> list[OpenCompensation]:
        return list((await self.summary("")).open_compensations)

    async def save_policies(self, policies: dict[int, KindPolicy]) -> None:
        """The offline policies in force, for `commerce-edge status` in another process."""
        rows = [(k, p.policy, p.per_subject, p.per_store_per_day) for k, p in policies.items()]

        def work() -> None:
            db = self._db
            if sorted(db.execute("SELECT * FROM policies_in_force").fetchall()) == sorted(rows):
                return
            db.execute("BEGIN IMMEDIATE")
            db.execute("DELETE FROM policies_in_force")
            db.executemany("INSERT INTO policies_in_force VALUES (?, ?, ?, ?)", rows)
            db.execute("COMMIT")

        await self._run(work)

    def _policies(self) -> dict[int, KindPolicy]:
        return {
            kind: KindPolicy(kind, True, policy, per_subject, per_day)
            for kind, policy, per_subject, per_day in self._db.execute(
                "SELECT * FROM policies_in_force"
            )
        }

    async def summary(self, business_day: str) -> JournalSummary:
        return await self._run(lambda: self._summary(business_day))

    def _summary(self, business_day: str) -> JournalSummary:
        db = self._db
        unsettled, in_doubt = db.execute(
            "SELECT COUNT(*), COALESCE(SUM(in_doubt), 0) FROM operations "
            "WHERE settle = 1 AND settled_at IS NULL"
        ).fetchone()
        offline = db.execute(
            "SELECT COUNT(*) FROM operations WHERE decided_by = ?", (_STORE,)
        ).fetchone()[0]
        exposure = [
            KindExposure(kind_name(kind), int(today), int(open_amount))
            for kind, today, open_amount in db.execute(
                "SELECT kind, SUM(CASE WHEN business_day = ? THEN amount ELSE 0 END), "
                "SUM(CASE WHEN settled_at IS NULL THEN amount ELSE 0 END) FROM operations "
                "WHERE decided_by = ? AND verdict = ? GROUP BY kind ORDER BY kind",
                (business_day, _STORE, _APPROVED),
            )
        ]
        cases = [
            OpenCompensation(exception_id, operation_id, kind_name(kind), message, kind)
            for exception_id, operation_id, kind, message in db.execute(
                "SELECT exception_id, operation_id, kind, message FROM compensations "
                "WHERE resolved = 0 ORDER BY updated_at"
            )
        ]
        return JournalSummary(int(unsettled), int(in_doubt), int(offline), exposure, cases)


def read_journal(
    data_dir: Path, business_day: str, *, busy_timeout_seconds: float = 5.0
) -> tuple[dict[int, KindPolicy], JournalSummary] | None:
    """For `commerce-edge status` (its own process): the journal as last committed; None
    when the agent never ran here. Blocking; not for an event loop."""
    path = journal_path(data_dir)
    if not path.exists():
        return None
    journal = Journal(path, busy_timeout_seconds)
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        conn.execute(f"PRAGMA busy_timeout={round(busy_timeout_seconds * 1000)}")
        journal._conn = conn
        return journal._policies(), journal._summary(business_day)
    except (sqlite3.Error, OSError) as exc:
        raise translate(exc, path, busy_timeout_seconds) from exc
    finally:
        if journal._conn is not None:
            journal._conn.close()
        journal._executor.shutdown(wait=False)
