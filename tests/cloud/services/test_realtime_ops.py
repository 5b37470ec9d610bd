"""Resolving compensation cases over the real cloud store: through the case's workflow when it
has one, in the store when it has none, and nothing changes when Temporal cannot be reached.
The workflow side is a stand-in here (the real one: tests/e2e/test_realtime_compensation.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from cloud.adapters.store import CloudStore
from cloud.services.realtime import CompensationSignals, RealtimeOpsService
from shared.errors import InvalidInput, NotFound
from tests.support.realtime_ops import load, redeem, store_decision

NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


class StandInSignals:
    """Stands in for TemporalCompensations: no workflow, or Temporal unreachable."""

    def __init__(self, *, reachable: bool) -> None:
        self.reachable = reachable

    async def resolve(self, exception_id: str, resolution: str, resolved_by: str) -> bool:
        if not self.reachable:
            raise ConnectionError("Temporal is down")
        return False


def _service(store: CloudStore, signals: StandInSignals) -> RealtimeOpsService:
    async def connected() -> CompensationSignals:
        return signals

    return RealtimeOpsService(store.realtime_cases, connected, actor="ops:test")


@pytest.fixture
def store_with_case(tmp_path: Path) -> CloudStore:
    store = CloudStore.open(f"sqlite:///{tmp_path / 'cloud.db'}")
    store.realtime.decide("s1", load("l", "GC-1", 100), NOW)
    op = redeem("r", "GC-1", 500)
    assert store.realtime.reconcile("s1", op, store_decision(op), NOW).opened
    return store


async def test_nothing_changes_when_temporal_is_unreachable(store_with_case: CloudStore) -> None:
    service = _service(store_with_case, StandInSignals(reachable=False))
    with pytest.raises(ConnectionError):
        await service.resolve("rt-exc/s1/r", "customer paid cash")
    assert [c.status for c in service.exceptions()] == ["open"]
    store_with_case.close()


async def test_a_case_without_workflow_is_closed_in_the_store(store_with_case: CloudStore) -> None:
    service = _service(store_with_case, StandInSignals(reachable=True))
    with pytest.raises(InvalidInput, match="--resolution"):
        await service.resolve("rt-exc/s1/r", "  ")
    with pytest.raises(NotFound):
        await service.resolve("rt-exc/s1/nope", "x")
    case, signalled = await service.resolve("rt-exc/s1/r", "customer paid cash")
    assert (case.status, case.resolved_by, signalled) == ("resolved", "ops:test", False)
    assert service.exceptions() == []
    with pytest.raises(InvalidInput, match="already resolved"):
        await service.resolve("rt-exc/s1/r", "something else")
    store_with_case.close()
