"""The store's real-time journal on a real SQLite file: offline decisions from many tills at
once never squeeze past a limit together, a reused operation id is refused, and a decision
survives reopening the file."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from edge_agent.errors import OutboxConflict
from edge_agent.realtime.journal import Journal
from shared.realtime import DEFAULT_POLICIES
from tests.support.realtime_ops import redeem

REDEEM = DEFAULT_POLICIES[realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM]  # 5000 per card


async def test_concurrent_offline_decisions_hold_the_limit_exactly(tmp_path: Path) -> None:
    journal = await Journal.open(tmp_path)
    try:
        decisions = await asyncio.gather(
            *(
                journal.decide_offline(
                    redeem(f"op-{n}", "GC-1", 700), REDEEM, "offline", "2026-11-25", in_doubt=False
                )
                for n in range(20)
            )
        )
        approved = [d for d in decisions if d.verdict == realtime_pb2.VERDICT_APPROVED]
        assert len(approved) == 7  # 7 * 700 = 4900 <= 5000 < 8 * 700
        assert {d.reason for d in decisions} == {"WithinOfflineLimits", "OfflineLimitExceeded"}
        with pytest.raises(OutboxConflict, match="'op-1' was used"):
            await journal.decide_offline(
                redeem("op-1", "GC-1", 1), REDEEM, "offline", "2026-11-25", in_doubt=False
            )
    finally:
        await journal.close()
    reopened = await Journal.open(tmp_path)
    try:
        summary = await reopened.summary("2026-11-25")
        assert (summary.unsettled, summary.offline_decisions) == (7, 20)
        assert [(e.kind, e.store_today) for e in summary.exposure] == [("gift-card-redeem", 4900)]
        again = await reopened.decide_offline(
            redeem("op-0", "GC-1", 700), REDEEM, "offline", "2026-11-25", in_doubt=False
        )
        assert again == decisions[0]
    finally:
        await reopened.close()


async def test_a_case_only_the_store_holds_is_closed_by_the_operator_command(
    tmp_path: Path,
) -> None:
    journal = await Journal.open(tmp_path)
    try:
        op = redeem("op-9", "GC-1", 700)
        await journal.decide_offline(op, REDEEM, "offline", "2026-11-25", in_doubt=False)
        # The cloud refused to settle it outright (an older cloud, a broken operation).
        refusal = realtime_pb2.RealtimeDecision(
            operation_id="op-9",
            kind=op.kind,
            verdict=realtime_pb2.VERDICT_REFUSED,
            reason="RefusedByCloud",
        )
        await journal.settled("op-9", refusal, "local/op-9", "the cloud refused it")
        assert [c.exception_id for c in await journal.open_compensations()] == ["local/op-9"]
    finally:
        await journal.close()

    async def cli(*args: str) -> tuple[int, str, str]:
        proc = await asyncio.create_subprocess_exec(
            str(Path(sys.executable).parent / "commerce-edge"),
            "realtime",
            "resolve",
            *args,
            "--data-dir",
            str(tmp_path),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode is not None
        return proc.returncode, out.decode(), err.decode()

    code, _, err = await cli("rt-exc/store-0042/op-9", "--resolution", "x")
    assert code == 2 and "commerce-cloud realtime exceptions resolve" in err
    code, _, err = await cli("local/op-404", "--resolution", "x")
    assert code == 2 and "no case 'local/op-404'" in err
    code, _, err = await cli("local/op-9", "--resolution", " ")
    assert code == 2 and "--resolution" in err
    code, out, err = await cli("local/op-9", "--resolution", "customer paid cash")
    assert code == 0, err
    assert "local/op-9: resolved" in out
    reopened = await Journal.open(tmp_path)
    try:
        assert await reopened.open_compensations() == []
    finally:
        await reopened.close()
    code, out, _ = await cli("local/op-9", "--resolution", "customer paid cash")
    assert code == 0 and "already resolved" in out


async def test_lookups_and_records_from_many_tills_at_once_are_each_answered_alone(
    tmp_path: Path,
) -> None:
    """The connected path groups the journal's lookups and records; every till still gets
    exactly its own answer: a repeat gets the first decision, a reused id is refused alone."""

    def cloud_decision(op_id: str, verdict: int) -> realtime_pb2.RealtimeDecision:
        return realtime_pb2.RealtimeDecision(
            operation_id=op_id,
            kind=realtime_pb2.OPERATION_KIND_GIFT_CARD_REDEEM,
            verdict=verdict,  # type: ignore[arg-type]
            decided_by=realtime_pb2.DECIDED_BY_CLOUD,
        )

    approved, refused = realtime_pb2.VERDICT_APPROVED, realtime_pb2.VERDICT_REFUSED
    journal = await Journal.open(tmp_path)
    try:
        first = await asyncio.gather(
            *(
                journal.record_cloud(
                    redeem(f"op-{n}", "GC-1", 100), cloud_decision(f"op-{n}", approved), "d"
                )
                for n in range(30)
            ),
            # The same id recorded again in the same group: the first record stands.
            journal.record_cloud(redeem("op-3", "GC-1", 100), cloud_decision("op-3", refused), "d"),
        )
        assert [d.verdict for d in first] == [approved] * 31
        answers = await asyncio.gather(
            *(journal.earlier(redeem(f"op-{n}", "GC-1", 100)) for n in range(35)),
            journal.earlier(redeem("op-7", "GC-2", 100)),
            journal.record_cloud(redeem("op-8", "GC-9", 5), cloud_decision("op-8", refused), "d"),
            return_exceptions=True,
        )
        assert [a.operation_id for a in answers[:30]] == [f"op-{n}" for n in range(30)]  # type: ignore[union-attr]
        assert answers[30:35] == [None] * 5
        assert isinstance(answers[35], OutboxConflict) and "'op-7' was used" in str(answers[35])
        assert isinstance(answers[36], OutboxConflict) and "'op-8' was used" in str(answers[36])
    finally:
        await journal.close()
    reopened = await Journal.open(tmp_path)
    try:
        again = await reopened.earlier(redeem("op-3", "GC-1", 100))
        assert again is not None and again.verdict == approved
        assert await reopened.earlier(redeem("op-30", "GC-1", 100)) is None
    finally:
        await reopened.close()
