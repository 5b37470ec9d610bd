"""The store's real-time journal on a real SQLite file: offline decisions from many tills at
once never squeeze past a limit together, a reused operation id is refused, and a decision
survives reopening the file."""

from __future__ import annotations

import asyncio
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
