"""The external gift card provider adapter against a stand-in provider over real HTTP on
loopback, inside the real ledger (SQLite): answers become decisions, each failure says whether
retrying can help, and a retry after a lost answer is not a second redemption."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ameide_core_proto.process.commerce.v1 import realtime_pb2
from cloud.adapters.giftcard_http import HttpGiftCardProvider
from cloud.adapters.store import CloudStore, StoreUnavailable
from cloud.adapters.store.realtime import RealtimeLedger
from cloud.adapters.store.realtime_records import ProviderRefusedUs
from shared.errors import InvalidInput
from tests.support.realtime_ops import load, redeem
from tests.support.stand_in_giftcard_provider import StandInGiftCardProvider, stand_in_provider

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


@pytest.fixture
def external(tmp_path: Path) -> Iterator[tuple[StandInGiftCardProvider, RealtimeLedger]]:
    with (
        stand_in_provider() as (state, url),
        CloudStore.open(f"sqlite:///{tmp_path / 'cloud.db'}") as store,
    ):
        provider = HttpGiftCardProvider(url, timeout_seconds=0.5)
        try:
            yield state, store.realtime.with_providers({"gift_card": provider})
        finally:
            provider.close()


def test_answers_become_decisions_and_a_repeat_applies_once(
    external: tuple[StandInGiftCardProvider, RealtimeLedger],
) -> None:
    state, ledger = external
    ledger.decide("s1", load("op-1", "GC-1", 5000), NOW)
    spent = ledger.decide("s1", redeem("op-2", "GC-1", 1200), NOW).decision
    assert (spent.verdict, spent.outcome.balance.minor_units) == (
        realtime_pb2.VERDICT_APPROVED,
        3800,
    )
    short = ledger.decide("s1", redeem("op-3", "GC-1", 9000), NOW).decision
    assert (short.verdict, short.reason) == (realtime_pb2.VERDICT_REFUSED, "InsufficientBalance")
    assert ledger.decide("s1", redeem("op-4", "GC-404", 1), NOW).decision.reason == "UnknownCard"
    calls = state.calls
    assert ledger.decide("s1", redeem("op-2", "GC-1", 1200), NOW).replayed
    assert state.calls == calls  # the ledger answered the repeat itself
    assert state.balances["GC-1"] == 3800


@pytest.mark.parametrize(
    ("status", "error", "text"),
    [
        (503, StoreUnavailable, "unavailable (HTTP 503); retry"),
        (429, StoreUnavailable, "HTTP 429"),
        (400, InvalidInput, "rejected the request"),
        (401, ProviderRefusedUs, "retrying will not help"),
        (418, ProviderRefusedUs, "contract does not know"),
    ],
)
def test_failures_say_whether_retrying_helps_and_record_nothing(
    external: tuple[StandInGiftCardProvider, RealtimeLedger],
    status: int,
    error: type[Exception],
    text: str,
) -> None:
    state, ledger = external
    state.forced.append(status)
    with pytest.raises(error, match=text.replace("(", r"\(").replace(")", r"\)")):
        ledger.decide("s1", load("op-1", "GC-1", 100), NOW)
    # Nothing recorded: the same operation goes through once the provider answers.
    assert ledger.decide("s1", load("op-1", "GC-1", 100), NOW).decision.verdict == (
        realtime_pb2.VERDICT_APPROVED
    )


def test_a_lost_answer_retried_is_not_a_second_redemption(
    external: tuple[StandInGiftCardProvider, RealtimeLedger],
) -> None:
    state, ledger = external
    ledger.decide("s1", load("op-1", "GC-1", 5000), NOW)
    state.delay_seconds = 1.0  # the provider applies, but answers after our timeout
    with pytest.raises(StoreUnavailable, match="did not answer in time"):
        ledger.decide("s1", redeem("op-2", "GC-1", 1000), NOW)
    state.delay_seconds = 0.0
    again = ledger.decide("s1", redeem("op-2", "GC-1", 1000), NOW).decision
    assert again.outcome.balance.minor_units == 4000
    assert state.balances["GC-1"] == 4000
